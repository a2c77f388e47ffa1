package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/docker/go-units"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/wasm-runc/wasm-runc/linux"
	"github.com/wasm-runc/wasm-runc/wasm"
)

// What every verb reads from the command line.

const (
	exactArgs = iota
	minArgs
	maxArgs
)

// checkArgs enforces a verb's argument count as runc does: the usage on
// stdout, the error (naming the program as it was invoked) for fatal.
func checkArgs(c *cli.Context, expected, checkType int) error {
	var err error
	name := c.Command.Name
	program := c.App.Name
	if len(os.Args) > 0 {
		program = os.Args[0]
	}
	switch checkType {
	case exactArgs:
		if c.NArg() != expected {
			err = fmt.Errorf("%s: %q requires exactly %d argument(s)", program, name, expected)
		}
	case minArgs:
		if c.NArg() < expected {
			err = fmt.Errorf("%s: %q requires a minimum of %d argument(s)", program, name, expected)
		}
	case maxArgs:
		if c.NArg() > expected {
			err = fmt.Errorf("%s: %q requires a maximum of %d argument(s)", program, name, expected)
		}
	}
	if err != nil {
		fmt.Fprintf(c.App.Writer, "Incorrect Usage.\n\n")
		if l := c.Lineage(); len(l) > 1 {
			_ = cli.ShowCommandHelp(l[1], name)
		}
		return err
	}
	return nil
}

// getContainer loads the container named by the first argument.
func getContainer(c *cli.Context) (*libcontainer.Container, error) {
	return linux.Load(c.String("root"), c.Args().First())
}

// compileCache is the host-side cache of compiled modules.
func compileCache(c *cli.Context) *wasm.CompileCache {
	return &wasm.CompileCache{Dir: c.String("cache-dir"), Jobs: c.Int("compile-jobs")}
}

// compileLimits are the global flags that bound a module's compile.
func compileLimits(c *cli.Context) (wasm.CompileLimits, error) {
	mem, err := units.RAMInBytes(c.String("compile-memory"))
	if err != nil || mem <= 0 {
		return wasm.CompileLimits{}, fmt.Errorf("invalid --compile-memory %q", c.String("compile-memory"))
	}
	size, err := units.RAMInBytes(c.String("module-max-size"))
	if err != nil || size <= 0 {
		return wasm.CompileLimits{}, fmt.Errorf("invalid --module-max-size %q", c.String("module-max-size"))
	}
	if c.Duration("compile-timeout") <= 0 {
		return wasm.CompileLimits{}, fmt.Errorf("invalid --compile-timeout %s", c.Duration("compile-timeout"))
	}
	return wasm.CompileLimits{
		Timeout:        c.Duration("compile-timeout"),
		Memory:         mem,
		ModuleMaxBytes: size,
		TextMaxBytes:   max(size/16, 1),
	}, nil
}

// interruptible is a context that SIGTERM or SIGINT cancels, for work a
// caller must be able to stop (a compile); caught tells which signal did.
// stop ends the registration.
func interruptible() (ctx context.Context, caught func() (syscall.Signal, bool), stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGTERM, unix.SIGINT)
	ctx, cancel := context.WithCancel(context.Background())
	var got atomic.Value
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			got.Store(s)
			cancel()
		case <-done:
		}
	}()
	caught = func() (syscall.Signal, bool) {
		s, ok := got.Load().(os.Signal)
		if !ok {
			return 0, false
		}
		return s.(syscall.Signal), true
	}
	stop = func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
	return ctx, caught, stop
}

// exitIfInterrupted ends the process as runc does for a signal (128+n) when
// a signal cancelled the work that returned err.
func exitIfInterrupted(err error, caught func() (syscall.Signal, bool)) {
	if sig, ok := caught(); ok && err != nil && errors.Is(err, context.Canceled) {
		fatalWithCode(fmt.Errorf("interrupted by %s", unix.SignalName(sig)), 128+int(sig))
	}
}

func rootlessCgroups(c *cli.Context) (bool, error) {
	b, err := parseBoolOrAuto(c.String("rootless"))
	if err != nil {
		return false, err
	}
	if b != nil {
		return *b, nil
	}
	return linux.ShouldUseRootlessCgroups(c.Bool("systemd-cgroup")), nil
}
