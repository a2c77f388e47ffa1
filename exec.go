package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
)

var execCommand = &cli.Command{
	Name:  "exec",
	Usage: "execute new process inside the container",
	ArgsUsage: `<container-id> <command> [command options]  || -p process.json <container-id>

Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # wasm-runc exec <container-id> ps`,
	Description: `The exec command runs a new process in a running container, with the
container's own process as the default for everything the flags do not set.
In a Wasm container, a command that is a Wasm module runs with wasmtime as the
container's entrypoint does; a native program of the image (a debug shell)
runs natively.`,
	Flags: slices.Concat(
		[]cli.Flag{
			&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
			&cli.StringFlag{Name: "pidfd-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the exec process"},
			&cli.StringFlag{Name: "cwd", Usage: "current working directory in the container"},
		},
		repeatable("env", "e", "set environment variables"),
		[]cli.Flag{
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID (format: <uid>[:<gid>])"},
		},
		repeatable("additional-gids", "g", "additional gids"),
		[]cli.Flag{
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "path to the process.json"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
			&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
			&cli.StringFlag{Name: "process-label", Usage: "set the asm process label for the process commonly used with selinux"},
			&cli.StringFlag{Name: "apparmor", Usage: "set the apparmor profile for the process"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set the no new privileges value for the process"},
		},
		repeatable("cap", "c", "add a capability to the bounding set for the process"),
		[]cli.Flag{
			&cli.IntFlag{Name: "preserve-fds", Usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
			&cli.GenericFlag{Name: "cgroup", Value: &stringList{}, Usage: "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>."},
			&cli.BoolFlag{Name: "ignore-paused", Usage: "allow exec in a paused container"},
		},
	),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		status, err := execProcess(c)
		if err != nil {
			fatalWithCode(fmt.Errorf("exec failed: %w", err), 255)
		}
		os.Exit(status)
		return nil
	},
}

func execProcess(c *cli.Context) (int, error) {
	var signals *linux.Signals
	if !c.Bool("detach") {
		// Overlaps loading the container; never stopped, as in startContainer.
		signals = linux.ListenSignals()
	}
	pidFile := c.String("pid-file")
	if pidFile != "" {
		abs, err := filepath.Abs(pidFile)
		if err != nil {
			return -1, err
		}
		pidFile = abs
	}
	container, err := getContainer(c)
	if err != nil {
		return -1, err
	}
	if err := linux.CheckExecStatus(container, c.Bool("ignore-paused")); err != nil {
		return -1, err
	}
	var gids []int64
	for _, g := range stringListOf(c, "additional-gids") {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return -1, fmt.Errorf("invalid value %q for flag --additional-gids: %w", g, err)
		}
		gids = append(gids, n)
	}
	o := linux.ExecOptions{
		ProcessFile:    c.String("process"),
		Args:           c.Args().Tail(),
		Cwd:            c.String("cwd"),
		Env:            stringListOf(c, "env"),
		Tty:            c.Bool("tty"),
		User:           c.String("user"),
		AdditionalGids: gids,
		Caps:           stringListOf(c, "cap"),
		AppArmor:       c.String("apparmor"),
		ProcessLabel:   c.String("process-label"),
	}
	if c.IsSet("no-new-privs") {
		nnp := c.Bool("no-new-privs")
		o.NoNewPrivs = &nnp
	}
	p, err := linux.ExecProcess(container, o)
	if err != nil {
		return -1, err
	}
	subCgroups, err := linux.ParseSubCgroupPaths(stringListOf(c, "cgroup"))
	if err != nil {
		return -1, err
	}
	lim, err := compileLimits(c)
	if err != nil {
		return -1, err
	}
	rootless, err := rootlessCgroups(c)
	if err != nil {
		return -1, err
	}
	ctx, caught, stop := interruptible()
	executor, err := linux.ExecExecutor(ctx, container, p, c.App.Name, compileCache(c), lim, rootless)
	stop()
	exitIfInterrupted(err, caught)
	if err != nil {
		return -1, err
	}
	defer executor.Close()
	r := &linux.Runner{
		Container:      container,
		Action:         linux.ActExec,
		Executor:       executor,
		Detach:         c.Bool("detach"),
		Destroy:        false,
		PidFile:        pidFile,
		ConsoleSocket:  c.String("console-socket"),
		PidfdSocket:    c.String("pidfd-socket"),
		PreserveFDs:    c.Int("preserve-fds"),
		SubCgroupPaths: subCgroups,
		Signals:        signals,
	}
	return r.Run(p)
}

// stringList is a repeatable string flag that, unlike cli.StringSliceFlag,
// never splits a value at commas: "-e A=1,2" is one variable and
// "--cgroup cpu,cpuacct:/x" one argument, as with runc.
type stringList []string

// repeatable is a stringList flag and its short form (-e for --env) as two
// flags sharing the list, so that both forms may be mixed on one command
// line and keep their order, as with runc. (urfave/cli refuses two forms of
// one flag used together, and copies a flag's joined value to its aliases.)
func repeatable(name, short, usage string) []cli.Flag {
	l := &stringList{}
	return []cli.Flag{
		&cli.GenericFlag{Name: name, Value: l, Usage: usage},
		&cli.GenericFlag{Name: short, Value: l, Usage: "same as --" + name},
	}
}

func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (l *stringList) String() string { return strings.Join(*l, ",") }

// stringListOf returns the values of a stringList flag.
func stringListOf(c *cli.Context, name string) []string {
	if l, ok := c.Generic(name).(*stringList); ok && l != nil {
		return *l
	}
	return nil
}
