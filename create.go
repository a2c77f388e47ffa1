package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
	"github.com/wasm-runc/wasm-runc/spec"
)

var createCommand = &cli.Command{
	Name:  "create",
	Usage: "create a container",
	ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
	Description: `The create command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem. A Wasm container's module is compiled (or found in the cache) now,
so a bad module fails here.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: `path to the root of the bundle directory, defaults to the current directory`},
		&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the init process"},
		&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		status, err := startContainer(c, linux.ActCreate, nil)
		if err != nil {
			// runc's prefix: callers log it, and match what follows.
			return fmt.Errorf("%s create failed: %w", c.App.Name, err)
		}
		// A failed start of the process still reports through the code.
		os.Exit(status)
		return nil
	},
}

// startContainer loads the bundle, creates the container and starts its init
// process for create, run and restore. The kernel's wait for moving that init
// into its cgroups began when this process started (linux/cgroupwarm.go).
func startContainer(c *cli.Context, action linux.Action, criuOpts *libcontainer.CriuOpts) (int, error) {
	// A runtime that stays with its container listens for signals before the
	// container's process exists; start that now so it overlaps the rest.
	// It is never stopped: the process exits as soon as this returns, and
	// signal.Stop would cost as many handshakes as the registration (0.4 ms)
	// after the container has exited. runc does not stop either.
	var signals *linux.Signals
	if action != linux.ActCreate && !c.Bool("detach") {
		signals = linux.ListenSignals()
	}
	bundle, err := filepath.Abs(c.String("bundle"))
	if err != nil {
		return -1, err
	}
	pidFile := c.String("pid-file")
	if pidFile != "" {
		if pidFile, err = filepath.Abs(pidFile); err != nil {
			return -1, err
		}
	}
	s, err := spec.Load(bundle)
	if err != nil {
		return -1, err
	}
	for _, note := range spec.Relax(s) {
		logrus.Debug(note)
	}
	id := c.Args().First()
	if id == "" {
		return -1, linux.ErrEmptyID
	}
	root := c.String("root")
	notify := linux.NewNotifySocket(root, id)
	if notify != nil {
		notify.SetupSpec(s)
	}
	// libcontainer resolves the rootfs relative to the working directory.
	if err := os.Chdir(bundle); err != nil {
		return -1, err
	}
	rootless, err := rootlessCgroups(c)
	if err != nil {
		return -1, err
	}
	// Native or Wasm, and for Wasm the compile (or a cache hit), before the
	// container exists: a module that fails, or a compile that is
	// interrupted, leaves no state behind.
	lim, err := compileLimits(c)
	if err != nil {
		return -1, err
	}
	kind, module, err := linux.Decide(linux.ExecutorOptions{
		Annotations: s.Annotations,
		Program:     c.App.Name,
		Rootfs:      spec.RootfsPath(bundle, s),
		Mounts:      linux.SpecMounts(s, bundle),
		Process:     s.Process,
	})
	if err != nil {
		return -1, err
	}
	if action == linux.ActRestore && kind == linux.Wasm {
		return -1, linux.ErrWasmRestore
	}
	var executor linux.Executor
	if kind == linux.Wasm {
		cgroupsPath := ""
		if s.Linux != nil {
			cgroupsPath = s.Linux.CgroupsPath
		}
		lim.Cgroup = linux.CompileCgroup(cgroupsPath, id, c.Bool("systemd-cgroup"), rootless)
		lim.CPUQuota, lim.CPUPeriod = linux.CPUQuota(s)
		ctx, caught, stop := interruptible()
		executor, err = linux.WasmExecutor(ctx, compileCache(c), module, lim, linux.MemoryLimit(s))
		stop()
		exitIfInterrupted(err, caught)
	} else {
		executor, err = linux.NativeExecutor(), nil
	}
	if err != nil {
		return -1, err
	}
	defer executor.Close()
	container, err := linux.Create(linux.CreateOptions{
		Root:            root,
		ID:              id,
		Spec:            s,
		SystemdCgroup:   c.Bool("systemd-cgroup"),
		NoPivotRoot:     c.Bool("no-pivot"),
		NoNewKeyring:    c.Bool("no-new-keyring"),
		RootlessCgroups: rootless,
	})
	if err != nil {
		return -1, err
	}
	if notify != nil {
		defer notify.Close()
		if err := notify.Setup(action == linux.ActRun); err != nil {
			_ = container.Destroy()
			return -1, err
		}
	}
	r := &linux.Runner{
		Container:       container,
		Action:          action,
		Executor:        executor,
		Detach:          c.Bool("detach"),
		Destroy:         !c.Bool("keep"),
		EnableSubreaper: !c.Bool("no-subreaper"),
		PidFile:         pidFile,
		ConsoleSocket:   c.String("console-socket"),
		PidfdSocket:     c.String("pidfd-socket"),
		PreserveFDs:     c.Int("preserve-fds"),
		ListenFDs:       activation.Files(true),
		CriuOpts:        criuOpts,
		Notify:          notify,
		Signals:         signals,
	}
	return r.Run(s.Process)
}
