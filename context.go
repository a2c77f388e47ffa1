package main

import (
	"fmt"
	"os"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/urfave/cli/v2"

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
	return &wasm.CompileCache{Dir: c.String("cache-dir")}
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
