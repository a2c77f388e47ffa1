// wasm-runc is a drop-in replacement for runc that runs WebAssembly
// containers with wasmtime inside the container's namespaces and cgroups,
// and every other container with runc's libcontainer.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	// The cgroup manager needs the device rules implementation.
	"github.com/moby/sys/userns"
	_ "github.com/opencontainers/cgroups/devices"
	"github.com/opencontainers/runc/libcontainer"
	// nsenter's cgo constructor runs before the Go runtime in `init`.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/wasm"
	// The compile worker's constructor (compiler.c), which runs before the
	// Go runtime in the process whose argv[1] is its marker.
	_ "github.com/wasm-runc/wasm-runc/wasm/compiler"
	"github.com/wasm-runc/wasm-runc/wasm/engine"
	"github.com/wasm-runc/wasm-runc/wasm/runner"
)

// Set by the Makefile.
var (
	version   = "0.1.0"
	gitCommit = ""
)

// init dispatches the two ways libcontainer re-executes this binary before
// anything else runs: libcontainer's container init, and the Wasm runner
// that the container init execs as the container's process.
func init() {
	if len(os.Args) < 2 {
		return
	}
	switch os.Args[1] {
	case "init":
		// One P, unless the user chose GOMAXPROCS (libcontainer passes it
		// on). The init does one thing at a time, mostly in syscalls, with
		// OS threads locked around namespace work; with a P per CPU the
		// scheduler wakes idle threads to spin whenever a goroutine becomes
		// runnable, cross-CPU wake-ups that cost more than they give.
		if os.Getenv("GOMAXPROCS") == "" {
			runtime.GOMAXPROCS(1)
		}
		libcontainer.Init() // never returns
	case runner.Marker:
		os.Exit(runner.Main(os.Args[2:]))
	}
}

const description = `wasm-runc is a drop-in replacement for runc. Containers annotated
module.wasm.image/variant=compat (or run.oci.handler=wasm) run their Wasm
entrypoint with wasmtime inside the container's namespaces and cgroups;
with compat-smart (or wasm-smart) only when the entrypoint really is a Wasm
module. Every other container runs exactly as under runc.

To start a new instance of a container:

    # wasm-runc run [ -b bundle ] <container-id>

The bundle is a directory holding config.json and the root filesystem.`

func main() {
	app := newApp(filepath.Base(os.Args[0]))
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		fatal(err)
	}
}

func newApp(program string) *cli.App {
	app := cli.NewApp()
	app.Name = program
	app.Usage = "Open Container Initiative runtime with WebAssembly support"
	app.Description = description
	app.Version = version
	app.HideHelpCommand = true
	app.EnableBashCompletion = false
	// runc's repeatable flags (-e A=1,2, --cgroup cpu,cpuacct:/x) take
	// commas literally.
	app.DisableSliceFlagSeparator = true
	cli.VersionPrinter = printVersion

	root, xdg := defaultRoot(program)
	app.Flags = []cli.Flag{
		&cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
		&cli.StringFlag{Name: "log", Usage: "set the log file to write logs to (default is '/dev/stderr')"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "set the log format ('text' (default), or 'json')"},
		&cli.StringFlag{Name: "root", Value: root, Usage: "root directory for storage of container state (this should be located in tmpfs)"},
		&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary used for checkpoint and restore"},
		&cli.BoolFlag{Name: "systemd-cgroup", Usage: "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" for e.g. \"system.slice:runc:434234\""},
		&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "ignore cgroup permission errors ('true', 'false', or 'auto')"},
		&cli.StringFlag{Name: "cache-dir", Value: defaultCacheDir(), EnvVars: []string{"WASM_RUNC_CACHE_DIR"}, Usage: "directory of the compiled Wasm module cache (owned by the user running wasm-runc)"},
		&cli.DurationFlag{Name: "compile-timeout", Value: wasm.DefaultCompileTimeout, EnvVars: []string{"WASM_RUNC_COMPILE_TIMEOUT"}, Usage: "longest a Wasm module's compile (and the wait for other compiles) may take"},
		&cli.StringFlag{Name: "compile-memory", Value: "2GiB", EnvVars: []string{"WASM_RUNC_COMPILE_MEMORY"}, Usage: "memory a Wasm module's compile may use (its cgroup sits under the container's cgroup parent)"},
		&cli.IntFlag{Name: "compile-jobs", Value: wasm.DefaultCompileJobs, EnvVars: []string{"WASM_RUNC_COMPILE_JOBS"}, Usage: "Wasm module compiles that may run at once on this host"},
		&cli.StringFlag{Name: "module-max-size", Value: "256MiB", EnvVars: []string{"WASM_RUNC_MODULE_MAX_SIZE"}, Usage: "largest Wasm module file accepted (.wat text: a sixteenth of it)"},
	}
	app.Commands = commands()
	app.Before = func(c *cli.Context) error {
		if !c.IsSet("root") && xdg {
			// XDG_RUNTIME_DIR entries need the sticky bit to escape pruning.
			if err := os.MkdirAll(root, 0o700); err != nil {
				return fmt.Errorf("the path in $XDG_RUNTIME_DIR must be writable by the user: %w", err)
			}
			if err := os.Chmod(root, 0o700|os.ModeSticky); err != nil {
				return fmt.Errorf("you should check permission of the path in $XDG_RUNTIME_DIR: %w", err)
			}
		}
		if c.IsSet("root") {
			abs, err := filepath.Abs(c.String("root"))
			if err != nil {
				return err
			}
			if abs == "/" {
				return errors.New("Option --root argument should not be set to /")
			}
			if err := c.Set("root", abs); err != nil {
				return err
			}
		}
		// create changes into the bundle before it opens the cache. An
		// empty one (a rootless user without a home) is refused where a
		// cache is used.
		if dir := c.String("cache-dir"); dir != "" {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			if err := c.Set("cache-dir", abs); err != nil {
				return err
			}
		}
		return configureLogging(c)
	}
	// urfave/cli prints usage errors itself; route them through the logger
	// so they reach --log like every other error.
	cli.ErrWriter = fatalWriter{cli.ErrWriter}
	return app
}

func commands() []*cli.Command {
	return []*cli.Command{
		cacheCommand,
		checkpointCommand,
		createCommand,
		deleteCommand,
		eventsCommand,
		execCommand,
		featuresCommand,
		killCommand,
		listCommand,
		pauseCommand,
		psCommand,
		restoreCommand,
		resumeCommand,
		runCommand,
		specCommand,
		startCommand,
		stateCommand,
		updateCommand,
	}
}

// defaultRoot is runc's default state root when we are installed as runc
// (so replacing /usr/bin/runc changes nothing for callers), ours otherwise.
func defaultRoot(program string) (string, bool) {
	name := "wasm-runc"
	if program == "runc" {
		name = "runc"
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" && honorXDGRuntimeDir() {
		return filepath.Join(dir, name), true
	}
	return "/run/" + name, false
}

// defaultCacheDir is root's system cache, or a rootless user's own: the
// cache must belong to whoever loads from it, and never sit in a shared
// directory such as /tmp, where another user could create it first.
func defaultCacheDir() string {
	if os.Geteuid() == 0 {
		return wasm.DefaultCacheDir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "wasm-runc")
	}
	if u, err := user.LookupId(strconv.Itoa(os.Geteuid())); err == nil && u.HomeDir != "" && u.HomeDir != "/" {
		return filepath.Join(u.HomeDir, ".cache", "wasm-runc")
	}
	// No home: the cache refuses to work until --cache-dir names one.
	return ""
}

func honorXDGRuntimeDir() bool {
	if os.Geteuid() != 0 {
		return true
	}
	if !userns.RunningInUserNS() {
		return false
	}
	u, ok := os.LookupEnv("USER")
	return !ok || u != "root"
}

func printVersion(c *cli.Context) {
	w := c.App.Writer
	fmt.Fprintln(w, c.App.Name, "version", c.App.Version)
	if gitCommit != "" {
		fmt.Fprintln(w, "commit:", gitCommit)
	}
	fmt.Fprintln(w, "spec:", specs.Version)
	fmt.Fprintln(w, "go:", runtime.Version())
	fmt.Fprintln(w, "wasmtime:", engine.Version)
	if major, minor, micro := seccomp.Version(); major+minor+micro > 0 {
		fmt.Fprintf(w, "libseccomp: %d.%d.%d\n", major, minor, micro)
	}
}

func configureLogging(c *cli.Context) error {
	if c.Bool("debug") {
		logrus.SetLevel(logrus.DebugLevel)
	}
	switch f := c.String("log-format"); f {
	case "", "text":
	case "json":
		logrus.SetFormatter(new(logrus.JSONFormatter))
	default:
		return errors.New("invalid log-format: " + f)
	}
	if path := c.String("log"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return err
		}
		logrus.SetOutput(f)
		logToStderr = false
	}
	return nil
}

// logToStderr is true while log lines already go to stderr, so an error
// must not be printed twice.
var logToStderr = true

// fatal reports err once in the log (the last "level":"error" line that
// containerd reads) and once on stderr, then exits 1.
func fatal(err error) {
	fatalWithCode(err, 1)
}

func fatalWithCode(err error, code int) {
	logrus.Error(err)
	if !logToStderr {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

type fatalWriter struct{ w io.Writer }

func (f fatalWriter) Write(p []byte) (int, error) {
	logrus.Error(strings.TrimRight(string(p), "\n"))
	if !logToStderr {
		return f.w.Write(p)
	}
	return len(p), nil
}

// parseBoolOrAuto returns nil for "auto" (or empty).
func parseBoolOrAuto(s string) (*bool, error) {
	if s == "" || strings.EqualFold(s, "auto") {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	return &b, err
}
