package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// testWasmComponents: WASI preview 2 components (examples/wat/component-*.wat,
// as binaries and as text) go through every verb as core modules do. The
// guest matrix (wasm_guests_test.go) runs components built from C, Rust and
// JavaScript.
func testWasmComponents(t *testing.T, fx *wasmFixture) {
	for _, tc := range []struct {
		name    string
		module  string
		guest   string
		variant string
		code    int
		stderr  string // the one stderr line, when not ""
	}{
		{"run_ok", fx.bin["component-ok"], "/app.wasm", "compat", 0, ""},
		{"run_ok_text", fx.wat["component-ok"], "/app.wat", "compat", 0, ""},
		{"run_ok_smart", fx.bin["component-ok"], "/app.wasm", "compat-smart", 0, ""},
		{"run_ok_smart_no_suffix", fx.bin["component-ok"], "/app", "compat-smart", 0, ""},
		{"wasi_cli_exit_err", fx.bin["component-exit"], "/app.wasm", "compat", 1, ""},
		{"trap", fx.bin["component-trap"], "/app.wasm", "compat", 134, "wasm-runc: wasm trap: wasm `unreachable` instruction executed (in boom)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newContainer(t, newRuntime(t), withVariant(tc.variant), withArgs(tc.guest))
			installFile(t, c, tc.guest, tc.module, 0o755)
			res := wasmRun(t, c, fx.opts())
			if res.code != tc.code || res.err != nil {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			if tc.stderr == "" && res.stderr != "" {
				t.Errorf("want an empty stderr; got %q", res.stderr)
			}
			if tc.stderr != "" && (res.stderr != tc.stderr+"\n") {
				t.Errorf("stderr %q; want the one line %q", res.stderr, tc.stderr)
			}
		})
	}

	// Not a command, or imports wasmtime's WASI does not have: create
	// refuses it with one line (stderr and --log) and leaves nothing.
	for _, tc := range []struct {
		name, module, want string
	}{
		{"reactor_refused", "component-reactor",
			"compile /app.wasm: is a WebAssembly component that exports example:demo/greeter; wasm-runc runs components that export wasi:cli/run (a WASI command)"},
		{"unknown_import_refused", "component-import",
			"compile /app.wasm: link: component imports instance `example:missing/thing`, but a matching implementation was not found in the linker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat"), withArgs("/app.wasm"))
			installFile(t, c, "/app.wasm", fx.bin[tc.module], 0o755)
			mountsBefore := mountsUnder(t, c.bundle)
			o := withCacheDir(dir)
			o.logFile = filepath.Join(t.TempDir(), "log.json")
			res := rt.runWith(t, o, "create", "--bundle", c.bundle, c.id)
			if res.code != 1 || !strings.Contains(res.stderr, tc.want) || len(nonEmptyLines(res.stderr)) != 1 {
				t.Fatalf("want one line with %q and exit 1; got %s", tc.want, res)
			}
			if log := readFile(o.logFile); !strings.Contains(log, `"level":"error"`) || !strings.Contains(log, "example:") {
				t.Errorf("log file %q lacks the error", log)
			}
			assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
			assertCacheClean(t, dir)
		})
	}

	// create, start and a signal: the epoch check stops a component that
	// never calls the host, as it stops a module.
	t.Run("create_start_kill", func(t *testing.T) {
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/loop.wasm"))
		installFile(t, c, "/loop.wasm", fx.bin["component-loop"], 0o755)
		wasmCreate(t, c, fx.opts())
		c.start(t)
		rt.waitStatus(t, c.id, "running", commandTimeout)
		sent := time.Now()
		if res := rt.run(t, "kill", c.id, "TERM"); res.code != 0 {
			t.Fatalf("kill: %s", res)
		}
		rt.waitStatus(t, c.id, "stopped", commandTimeout)
		t.Logf("stopped %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	})

	t.Run("run_sigterm_exit_143", func(t *testing.T) {
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/loop.wasm"))
		installFile(t, c, "/loop.wasm", fx.bin["component-loop"], 0o755)
		run := startForegroundRun(t, c, fx.opts())
		rt.waitStatus(t, c.id, "running", commandTimeout)
		if res := rt.run(t, "kill", c.id, "TERM"); res.code != 0 {
			t.Fatalf("kill: %s", res)
		}
		if res := run.wait(t, commandTimeout); res.code != 143 {
			t.Fatalf("want exit 143; got %s", res)
		}
	})

	// exec of a component into a running Wasm container, and of a module
	// into a container whose process is a component.
	t.Run("exec", func(t *testing.T) {
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/loop.wasm"))
		installFile(t, c, "/loop.wasm", fx.bin["component-loop"], 0o755)
		installFile(t, c, "/ok.wasm", fx.bin["component-ok"], 0o755)
		installFile(t, c, "/exit.wasm", fx.bin["component-exit"], 0o755)
		installFile(t, c, "/hello.wasm", fx.bin["hello"], 0o755)
		wasmCreate(t, c, fx.opts())
		c.start(t)
		for _, tc := range []struct {
			args   []string
			code   int
			stdout string
		}{
			{[]string{"/ok.wasm"}, 0, ""},
			{[]string{"/exit.wasm"}, 1, ""},
			{[]string{"/hello.wasm"}, 0, "hello from wat\n"},
		} {
			res := rt.runWith(t, fx.opts(), append([]string{"exec", c.id}, tc.args...)...)
			if res.code != tc.code || res.stdout != tc.stdout || res.stderr != "" {
				t.Errorf("exec %v: want exit %d, stdout %q; got %s", tc.args, tc.code, tc.stdout, res)
			}
		}
	})

	// The container's memory limit bounds a component's memories:
	// component-grow returns err (exit 1) when a grow fails before 1 GiB.
	t.Run("memory_limit", func(t *testing.T) {
		limit := int64(64 << 20)
		c := newContainer(t, newRuntime(t), withVariant("compat"), withArgs("/grow.wasm"),
			withResourcesEdit(func(r *specs.LinuxResources) { r.Memory = &specs.LinuxMemory{Limit: &limit} }))
		installFile(t, c, "/grow.wasm", fx.bin["component-grow"], 0o755)
		if res := wasmRun(t, c, fx.opts()); res.code != 1 {
			t.Fatalf("with a 64 MiB limit: want exit 1 (a grow failed); got %s", res)
		}
	})
}
