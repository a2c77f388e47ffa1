package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWasmRuncVerbs runs exec, pause/resume, events, update and checkpoint
// on Wasm containers. The modules are built once for all parts.
//
// Select a part with -run 'TestWasmRuncVerbs/Exec'.
func TestWasmRuncVerbs(t *testing.T) {
	fx := newWasmFixture(t)
	for _, part := range []struct {
		name string
		test func(*testing.T, *wasmFixture)
	}{
		{"Exec", testWasmExec},
		{"ExecSignal", testWasmExecSignal},
		{"PauseResume", testWasmPauseResume},
		{"Events", testWasmEvents},
		{"Update", testWasmUpdate},
		{"Checkpoint", testWasmCheckpoint},
	} {
		t.Run(part.name, func(t *testing.T) { part.test(t, fx) })
	}
}

// runningWasm creates and starts a container of the given variant whose
// process is args, with the test modules installed in its (busybox)
// rootfs, and waits for its output to contain ready.
func runningWasm(t *testing.T, fx *wasmFixture, rt *runtime, variant, ready string, args ...string) *container {
	t.Helper()
	c := newContainer(t, rt, withVariant(variant), withArgs(args...), withLimits(256<<20, 64))
	installFile(t, c, "/hello.wasm", fx.hello, 0o755)
	installFile(t, c, "/trap.wasm", fx.bin["trap"], 0o755)
	installFile(t, c, "/exit.wasm", fx.bin["exit"], 0o755)
	installFile(t, c, "/ready-loop.wasm", fx.bin["ready-loop"], 0o755)
	wasmCreate(t, c, fx.opts())
	c.start(t)
	c.waitOutput(t, ready, commandTimeout)
	return c
}

// wasmExec runs exec with the shared compiled-module cache.
func wasmExec(t *testing.T, fx *wasmFixture, rt *runtime, args ...string) result {
	t.Helper()
	return rt.runWith(t, fx.opts(), append([]string{"exec"}, args...)...)
}

// testWasmExec: exec of a module runs it with WASI like the entrypoint
// (args, env, cwd, exit codes, traps); a native program of the image runs
// natively even in a compat (Wasm-only) container.
func testWasmExec(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	c := runningWasm(t, fx, rt, "compat", "arg[0]=", "/hello.wasm", "args", "sleep", "300")
	for _, tc := range []struct {
		name  string
		flags []string
		cmd   []string
		code  int
		want  []string // lines of stdout
	}{
		{"args_and_exit", nil, []string{"/hello.wasm", "args", "exit", "5"}, 5, []string{"arg[0]=/hello.wasm", "arg[1]=args", "arg[3]=5"}},
		{"env_cwd", []string{"-e", "EXEC_VAR=from-exec", "--cwd", "/tmp"}, []string{"/hello.wasm", "cwd", "env"}, 0, []string{"cwd=/tmp", "EXEC_VAR=from-exec"}},
		{"path_lookup", []string{"-e", "PATH=/"}, []string{"hello.wasm", "args"}, 0, []string{"arg[0]=hello.wasm"}},
		{"wat_exit", nil, []string{"/exit.wasm", "42"}, 42, nil},
		{"trap", nil, []string{"/trap.wasm"}, 134, nil},
		{"native_in_wasm_container", nil, []string{"sh", "-c", "echo native-$((40+2))"}, 0, []string{"native-42"}},
		{"missing", nil, []string{"/nope.wasm"}, 255, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := wasmExec(t, fx, rt, slices.Concat(tc.flags, []string{c.id}, tc.cmd)...)
			if res.code != tc.code {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			for _, w := range tc.want {
				if !outputHasLine(res.stdout, w) {
					t.Errorf("stdout lacks %q: %s", w, res)
				}
			}
		})
	}

	t.Run("detach", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "exec.pid")
		res := wasmExec(t, fx, rt, "--detach", "--pid-file", pidFile, c.id, "/hello.wasm", "sleep", "30")
		if res.code != 0 {
			t.Fatalf("%s", res)
		}
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(string(b))
		if !slices.Contains(cgroupProcs(c.id), strconv.Itoa(pid)) {
			t.Fatalf("exec'd pid %d not in the container's cgroup %v", pid, cgroupProcs(c.id))
		}
		// The exec'd runner shows the user's command, in /proc and in ps,
		// once it has started (detach returns as soon as it is exec'd).
		want := []string{"/hello.wasm", "sleep", "30"}
		if !eventually(5*time.Second, func() bool { return slices.Equal(procCmdline(t, pid), want) }) {
			t.Errorf("cmdline of the exec'd module %q; want %q", procCmdline(t, pid), want)
		}
		table := rt.mustRun(t, "ps", c.id)
		if !strings.Contains(table.stdout, "/hello.wasm sleep 30") {
			t.Errorf("ps lacks the exec'd module:\n%s", table.stdout)
		}
	})
}

// testWasmExecSignal: a signal to a foreground exec reaches the module,
// which stops with 128+signal.
func testWasmExecSignal(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	c := runningWasm(t, fx, rt, "compat-smart", "arg[0]=", "/hello.wasm", "args", "sleep", "300")
	cmd, outs := rt.command(t, fx.opts(), "exec", c.id, "/ready-loop.wasm")
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- outs.result(cmd, waitTracked(cmd)) }()
	if !eventually(commandTimeout, func() bool {
		s, _ := readFileString(outs.stdout.Name())
		return strings.Contains(s, "ready")
	}) {
		t.Fatal("the exec'd spinning module never printed ready")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.code != 130 {
			t.Fatalf("SIGINT to exec of a spinning module: want exit 130; got %s", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exec did not return within 10s of SIGINT")
	}
}

// testWasmPauseResume: the freezer stops a spinning Wasm guest and resume
// lets it go on.
func testWasmPauseResume(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	c := runningWasm(t, fx, rt, "compat", "ready", "/ready-loop.wasm")
	if !usesCPU(t, c.id, 20*time.Millisecond) {
		t.Fatalf("the spinning guest used no CPU")
	}
	rt.mustRun(t, "pause", c.id)
	if st := c.state(t); st.Status != "paused" {
		t.Fatalf("after pause: %+v", st)
	}
	if used := cpuUsedOver(t, c.id, 300*time.Millisecond); used > 5*time.Millisecond {
		t.Errorf("a paused Wasm guest used %v of CPU in 300ms", used)
	}
	rt.mustRun(t, "resume", c.id)
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("after resume: %+v", st)
	}
	if !usesCPU(t, c.id, 20*time.Millisecond) {
		t.Errorf("the resumed guest used no CPU")
	}
}

// testWasmEvents: `events --stats` of a Wasm container reports its
// process's memory and pids like any container's.
func testWasmEvents(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	c := runningWasm(t, fx, rt, "compat", "arg[0]=", "/hello.wasm", "args", "sleep", "300")
	res := rt.run(t, "events", "--stats", c.id)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("%s", res)
	}
	events := decodeEvents(t, res.stdout)
	if len(events) != 1 || events[0].Type != "stats" || events[0].ID != c.id || events[0].Data == nil {
		t.Fatalf("want one stats event; got %s", res.stdout)
	}
	d := events[0].Data
	if d.Memory.Usage.Usage < 1<<20 || d.Memory.Usage.Limit != 256<<20 {
		t.Errorf("memory usage %d (want at least 1 MiB for wasmtime and the guest), limit %d (want 256 MiB)", d.Memory.Usage.Usage, d.Memory.Usage.Limit)
	}
	if d.Pids.Current < 1 || d.Pids.Limit != 64 {
		t.Errorf("pids current %d, limit %d; want at least 1 and 64", d.Pids.Current, d.Pids.Limit)
	}
}

// testWasmUpdate: update changes a Wasm container's cgroup like any other.
func testWasmUpdate(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	c := runningWasm(t, fx, rt, "compat", "arg[0]=", "/hello.wasm", "args", "sleep", "300")
	rt.mustRun(t, "update", "--memory", "128m", "--pids-limit", "32", c.id)
	if got := mustCgroupFile(t, c.id, "memory", "memory.limit_in_bytes"); got != strconv.Itoa(128<<20) {
		t.Errorf("memory.limit_in_bytes = %s; want %d", got, 128<<20)
	}
	if got := mustCgroupFile(t, c.id, "pids", "pids.max"); got != "32" {
		t.Errorf("pids.max = %s; want 32", got)
	}
	// An exec after the update runs under the new limit: the module still
	// works.
	if res := wasmExec(t, fx, rt, c.id, "/hello.wasm", "exit", "3"); res.code != 3 {
		t.Errorf("exec after update: %s", res)
	}
}

// testWasmCheckpoint: checkpoint refuses a container running Wasm (its
// entrypoint, or a module exec'd into a native one) with a clear error and
// leaves it running; restore refuses a Wasm bundle. A native entrypoint in
// a compat-smart container is not refused (CRIU may still fail here).
func testWasmCheckpoint(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	images := t.TempDir()
	const refused = "checkpoint is not supported for Wasm containers"

	wasm := runningWasm(t, fx, rt, "compat-smart", "arg[0]=", "/hello.wasm", "args", "sleep", "300")
	res := rt.run(t, "checkpoint", "--image-path", images, wasm.id)
	if res.code != 1 || !strings.Contains(res.stderr, refused) {
		t.Fatalf("checkpoint of a Wasm container: want exit 1 and %q; got %s", refused, res)
	}
	if st := wasm.state(t); st.Status != "running" {
		t.Fatalf("a refused checkpoint disturbed the container: %+v", st)
	}

	native := runningWasm(t, fx, rt, "compat-smart", "ready", "sh", "-c", sleeper)
	res = rt.run(t, "checkpoint", "--leave-running", "--image-path", images, native.id)
	if strings.Contains(res.stderr, refused) {
		t.Fatalf("checkpoint refused a native entrypoint of a compat-smart container: %s", res)
	}
	if res := wasmExec(t, fx, rt, "--detach", native.id, "/hello.wasm", "sleep", "30"); res.code != 0 {
		t.Fatalf("%s", res)
	}
	res = rt.run(t, "checkpoint", "--leave-running", "--image-path", images, native.id)
	if res.code != 1 || !strings.Contains(res.stderr, refused) {
		t.Fatalf("checkpoint with an exec'd module running: want exit 1 and %q; got %s", refused, res)
	}

	bundleOnly := newContainer(t, rt, withVariant("compat"), withArgs("/hello.wasm"))
	installFile(t, bundleOnly, "/hello.wasm", fx.hello, 0o755)
	res = bundleOnly.invoke(t, fx.opts(), "restore", "--image-path", images)
	if res.code != 1 || !strings.Contains(res.stderr, "restore is not supported for Wasm containers") {
		t.Fatalf("restore of a Wasm bundle: %s", res)
	}
}
