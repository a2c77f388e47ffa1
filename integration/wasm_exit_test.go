package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testWasmExitCodes checks the exit codes of `run` for every way a module
// ends (documented in wasm/doc.go and docs/wasm.md).
func testWasmExitCodes(t *testing.T, fx *wasmFixture) {
	for _, tc := range []struct {
		name   string
		module string // host file installed at guest
		guest  string
		args   []string // after args[0]
		code   int
		stdout string // exact, when not ""
		stderr string // in the stderr, when not ""
		// oneLine: stderr must be exactly one line (the runner's own report).
		oneLine bool
	}{
		{name: "return", module: fx.bin["hello"], guest: "/hello.wasm", code: 0, stdout: "hello from wat\n"},
		{name: "go_exit_0", module: fx.hello, guest: "/hello.wasm", args: []string{"exit", "0"}, code: 0},
		{name: "go_exit_5", module: fx.hello, guest: "/hello.wasm", args: []string{"exit", "5"}, code: 5},
		{name: "wat_proc_exit_7", module: fx.wat["exit"], guest: "/exit.wat", args: []string{"7"}, code: 7},
		{name: "proc_exit_125", module: fx.wat["exit"], guest: "/exit.wat", args: []string{"125"}, code: 125},
		{name: "proc_exit_126", module: fx.wat["exit"], guest: "/exit.wat", args: []string{"126"}, code: 1,
			stderr: "wasm-runc: guest exit status out of range", oneLine: true},
		{name: "proc_exit_200", module: fx.wat["exit"], guest: "/exit.wat", args: []string{"200"}, code: 1,
			stderr: "wasm-runc: guest exit status out of range", oneLine: true},
		{name: "trap", module: fx.wat["trap"], guest: "/trap.wat", code: 134,
			stderr: "wasm-runc: wasm trap: wasm `unreachable` instruction executed", oneLine: true},
		{name: "trap_in_start_function", module: fx.bin["start-trap"], guest: "/start-trap.wasm", code: 134,
			stderr: "wasm-runc: wasm trap: wasm `unreachable` instruction executed", oneLine: true},
		{name: "go_panic", module: fx.hello, guest: "/hello.wasm", args: []string{"panic"}, code: 2,
			stderr: "panic: hello: asked to panic"},
		{name: "go_fatal", module: fx.hello, guest: "/hello.wasm", args: []string{"no-such-command"}, code: 1,
			stderr: `hello: unknown command "no-such-command"`, oneLine: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newContainer(t, newRuntime(t), withVariant("compat"), withArgs(append([]string{tc.guest}, tc.args...)...))
			installFile(t, c, tc.guest, tc.module, 0o755)
			res := wasmRun(t, c, fx.opts())
			if res.code != tc.code || res.err != nil {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			if tc.stdout != "" && res.stdout != tc.stdout {
				t.Errorf("stdout %q; want %q", res.stdout, tc.stdout)
			}
			if tc.stderr != "" && !strings.Contains(res.stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", res.stderr, tc.stderr)
			}
			if tc.stderr == "" && res.stderr != "" {
				t.Errorf("want an empty stderr; got %q", res.stderr)
			}
			if n := len(nonEmptyLines(res.stderr)); tc.oneLine && n != 1 {
				t.Errorf("want exactly one stderr line; got %d: %q", n, res.stderr)
			}
		})
	}
}

// testWasmSignals checks that `kill` stops a guest whether it runs Wasm
// code or waits in a host call, with the exit code of the signal, and
// reports how long that took. Speed targets belong to the benchmarks: the
// bound here only catches a guest that does not stop at all.
func testWasmSignals(t *testing.T, fx *wasmFixture) {
	// Far below the guests' own sleep (100 s) and far above what a loaded
	// machine takes: only a signal that never stops the guest fails.
	const sanity = 20 * time.Second
	for _, tc := range []struct {
		name   string
		module string
		args   []string
		ready  string // printed once the guest runs
		signal string // as given to kill
		code   int
	}{
		{"wat_loop_TERM", fx.bin["ready-loop"], []string{"/loop.wasm"}, "ready", "TERM", 143},
		{"go_spin_TERM", fx.hello, []string{"/hello.wasm", "spin"}, "spinning", "TERM", 143},
		{"go_sleep_TERM", fx.hello, []string{"/hello.wasm", "args", "sleep", "100"}, "arg[0]", "TERM", 143},
		{"go_sleep_INT", fx.hello, []string{"/hello.wasm", "args", "sleep", "100"}, "arg[0]", "INT", 130},
		{"wat_loop_KILL", fx.bin["ready-loop"], []string{"/loop.wasm"}, "ready", "KILL", 137},
		{"go_sleep_KILL", fx.hello, []string{"/hello.wasm", "args", "sleep", "100"}, "arg[0]", "KILL", 137},
		{"wat_loop_15", fx.bin["ready-loop"], []string{"/loop.wasm"}, "ready", "15", 143},
		{"go_spin_9", fx.hello, []string{"/hello.wasm", "spin"}, "spinning", "9", 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat"), withArgs(tc.args...))
			installFile(t, c, tc.args[0], tc.module, 0o755)
			run := startForegroundRun(t, c, fx.opts())
			c.waitOutput(t, tc.ready, commandTimeout)
			c.state(t)

			start := time.Now()
			if res := rt.run(t, "kill", c.id, tc.signal); res.code != 0 || res.stderr != "" {
				t.Fatalf("kill: %s", res)
			}
			killed := time.Since(start)
			res := run.wait(t, commandTimeout)
			stopped := time.Since(start)
			t.Logf("kill %s: kill returned after %v, run returned after %v", tc.signal,
				killed.Round(100*time.Microsecond), stopped.Round(100*time.Microsecond))
			if res.code != tc.code {
				t.Errorf("run: want exit %d; got %s", tc.code, res)
			}
			if stopped > sanity {
				t.Errorf("the container took %v to stop", stopped)
			}
		})
	}

	// A signal that arrives while the runner is still starting (before it
	// listens for signals) must end it the same way. `kill` takes a few ms to
	// get there, so the test signals the pid itself (what `kill` does in the
	// end) as soon as the runner has a SIGTERM handler: before that only the
	// kernel and libc run, and the kernel drops a signal without a handler
	// to a namespace's PID 1, as it would for any program.
	t.Run("TERM_while_starting", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat"), withArgs("/hello.wasm", "args", "sleep", "100"))
			installFile(t, c, "/hello.wasm", fx.hello, 0o755)
			run := startForegroundRun(t, c, fx.opts())
			pid := waitRunnerPid(t, c.id)
			for !hasSignalHandler(pid, unix.SIGTERM) {
				if processGone(pid) {
					t.Fatalf("runner %d gone before catching SIGTERM", pid)
				}
			}
			if err := unix.Kill(pid, unix.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if res := run.wait(t, sanity); res.code != 143 {
				t.Errorf("attempt %d: want exit 143; got %s", i, res)
			}
		}
	})

	// Detached, as containerd runs it: kill, then poll state.
	for _, tc := range []struct {
		name   string
		module string
		args   []string
		ready  string
	}{
		{"detached_wat_loop", fx.bin["ready-loop"], []string{"/loop.wasm"}, "ready"},
		{"detached_go_sleep", fx.hello, []string{"/hello.wasm", "args", "sleep", "100"}, "arg[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat"), withArgs(tc.args...))
			installFile(t, c, tc.args[0], tc.module, 0o755)
			wasmCreate(t, c, fx.opts())
			c.start(t)
			c.waitOutput(t, tc.ready, commandTimeout)
			pid := c.state(t).Pid

			start := time.Now()
			rt.mustRun(t, "kill", c.id, "TERM")
			for !processGone(pid) {
				if time.Since(start) > sanity {
					t.Fatalf("pid %d still runs %v after SIGTERM", pid, sanity)
				}
				time.Sleep(time.Millisecond)
			}
			gone := time.Since(start)
			st := rt.waitStatus(t, c.id, "stopped", sanity)
			t.Logf("kill TERM: process gone after %v, state %q after %v", gone.Round(100*time.Microsecond),
				st.Status, time.Since(start).Round(100*time.Microsecond))
		})
	}
}

// waitRunnerPid returns the pid of the Wasm runner in container id's cgroup
// as soon as it has been exec'd (libcontainer's init stages come and go
// before it).
func waitRunnerPid(t *testing.T, id string) int {
	t.Helper()
	procs := filepath.Join(cgroupMount, "pids", cgroupParent, id, "cgroup.procs")
	for deadline := time.Now().Add(commandTimeout); time.Now().Before(deadline); {
		b, _ := os.ReadFile(procs)
		for _, f := range strings.Fields(string(b)) {
			cmdline, _ := os.ReadFile("/proc/" + f + "/cmdline")
			// The runner's own args, or the user's once it has set its title.
			if bytes.Contains(cmdline, []byte("wasm-runc:run-module")) || bytes.HasPrefix(cmdline, []byte("/hello.wasm\x00")) {
				pid, _ := strconv.Atoi(f)
				return pid
			}
		}
	}
	t.Fatalf("no Wasm runner appeared in the cgroup of %s", id)
	return 0
}

// hasSignalHandler reports whether pid has a handler for sig (SigCgt).
func hasSignalHandler(pid int, sig unix.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}
