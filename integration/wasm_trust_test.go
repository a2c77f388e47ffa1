package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// testWasmTrust: the defences of the Wasm path against hostile containers
// and images (docs/security.md). Each subtest fails without its defence.
func testWasmTrust(t *testing.T, fx *wasmFixture) {
	newCacheDir := func(t *testing.T) string { return filepath.Join(t.TempDir(), "cache") }
	// A native process in a Wasm container (an exec'd shell, a probe, a
	// sidecar in the pod's PID namespace) runs as root with runc's default
	// capabilities. It finds the compiled module among PID 1's fds and
	// tries to make it writable, write it and truncate it. Before the
	// read-only view, chmod succeeded and the next container of any bundle
	// with the same module ran the rewritten code.
	t.Run("cache_entry_not_writable_from_container", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat-smart"), withArgs("/ready-loop.wasm"))
		installFile(t, c, "/ready-loop.wasm", fx.bin["ready-loop"], 0o755)
		if res := wasmCreate(t, c, withCacheDir(dir)); res.code != 0 {
			t.Fatalf("create: %s", res)
		}
		entry := cacheEntries(t, dir)[0]
		before, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		// In the created state, libcontainer's init (PID 1) holds the fd.
		script := `n=0
for f in /proc/1/fd/*; do
  case "$(readlink $f)" in *.cwasm*) ;; *) continue;; esac
  n=$((n+1))
  chmod 666 $f 2>/dev/null && echo "CHMOD-OK $f"
  (echo x >> $f) 2>/dev/null && echo "WRITE-OK $f"
  (: > $f) 2>/dev/null && echo "TRUNCATE-OK $f"
done
echo "cwasm-fds=$n"`
		res := rt.runWith(t, withCacheDir(dir), "exec", c.id, "/bin/sh", "-c", script)
		t.Logf("exec: %s", res)
		if !strings.Contains(res.stdout, "cwasm-fds=1") {
			t.Fatalf("want the compiled module among PID 1's fds (else this test proves nothing); got %s", res)
		}
		for _, bad := range []string{"CHMOD-OK", "WRITE-OK", "TRUNCATE-OK"} {
			if strings.Contains(res.stdout, bad) {
				t.Errorf("a process in the container could change the cache entry: %s", res.stdout)
			}
		}
		after, err := os.ReadFile(entry)
		if err != nil || string(after) != string(before) {
			t.Errorf("the cache entry changed (%v)", err)
		}
		if st, err := os.Stat(entry); err != nil || st.Mode().Perm() != 0o444 {
			t.Errorf("entry mode after the attack: %v %v", st, err)
		}
		c.start(t)
		c.waitOutput(t, "ready", commandTimeout)
	})

	// The module is the one the container sees at args[0] after its mounts:
	// on a volume it runs; a file of the image under a mount never does.
	t.Run("module_on_volume", func(t *testing.T) {
		vol := t.TempDir()
		if err := copyFile(fx.bin["exit"], filepath.Join(vol, "app.wasm"), 0o755); err != nil {
			t.Fatal(err)
		}
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/data/app.wasm", "7"),
			withExtraMount(specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "ro"}}))
		// The image's own file under the mount point, hidden by the volume.
		installFile(t, c, "/data/app.wasm", fx.bin["hello"], 0o755)
		res := wasmRun(t, c, fx.opts())
		if res.code != 7 || strings.Contains(res.stdout, "hello from wat") {
			t.Fatalf("want the volume's module (exit 7), never the image's hidden one; got %s", res)
		}
	})

	t.Run("module_hidden_by_tmpfs", func(t *testing.T) {
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/data/app.wasm"),
			withExtraMount(specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs"}))
		installFile(t, c, "/data/app.wasm", fx.bin["hello"], 0o755)
		mountsBefore := mountsUnder(t, c.bundle)
		res := c.createWith(t, fx.opts())
		if res.code != 1 || !strings.Contains(res.stderr, "no such file or directory") {
			t.Fatalf("want create refused (the container has no such file); got %s", res)
		}
		assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
	})

	// Compile bombs: image content chooses what the host compiles, so a
	// compile has a deadline, a memory bound and size caps, and fails
	// create with one line and nothing left.
	bomb := bombWat(2000, 40000)
	for _, tc := range []struct {
		name    string
		file    string
		content string
		flags   []string
		want    string
	}{
		{"compile_deadline", "/bomb.wat", bomb, []string{"--compile-timeout", "3s"}, "(the compile deadline)"},
		{"compile_memory", "/bomb.wat", bomb, []string{"--compile-memory", "64MiB"}, "out of memory"},
		{"wat_too_large", "/big.wat", "(module " + strings.Repeat(" ", 17<<20) + ")", nil, "bytes is more than the 16777216 this runtime accepts"},
		{"module_too_large", "/big.wasm", "", []string{"--module-max-size", "1MiB"}, "bytes is more than the 1048576 this runtime accepts"},
		{"missing_import", "/imp.wat", `(module (import "env" "nope" (func)) (func (export "_start")))`, nil, "link: unknown import: `env::nope` has not been defined"},
		{"no_start", "/nostart.wat", `(module (func (export "main")))`, nil, "module has no _start function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newCacheDir(t)
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat"), withArgs(tc.file))
			if tc.name == "module_too_large" {
				// A sparse 2 MiB file with a module header.
				p := filepath.Join(c.bundle, "rootfs", tc.file)
				os.WriteFile(p, []byte("\x00asm\x01\x00\x00\x00"), 0o755)
				os.Truncate(p, 2<<20)
			} else {
				writeRootfsFile(t, c, tc.file, tc.content, 0o644)
			}
			mountsBefore := mountsUnder(t, c.bundle)
			o := withCacheDir(dir)
			o.logFile = filepath.Join(t.TempDir(), "log.json")
			args := append(append([]string{}, tc.flags...), "create", "--bundle", c.bundle, c.id)
			start := time.Now()
			res := rt.runWith(t, o, args...)
			t.Logf("refused in %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(res.stderr))
			if res.code != 1 || !strings.Contains(res.stderr, tc.want) || len(nonEmptyLines(res.stderr)) != 1 {
				t.Fatalf("want one line with %q and exit 1; got %s", tc.want, res)
			}
			if log := readFile(o.logFile); !strings.Contains(log, `"level":"error"`) || !strings.Contains(log, tc.want) {
				t.Errorf("log file %q lacks the error", log)
			}
			assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
			assertCacheClean(t, dir)
		})
	}

	// Error text from the image is capped and escaped: a 10 MB one-line
	// .wat with a terminal escape, which wasmtime quotes in its message.
	t.Run("error_text_capped_and_escaped", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/long.wat"))
		writeRootfsFile(t, c, "/long.wat", "(module \x1b[31m"+strings.Repeat("x", 10<<20)+")", 0o644)
		o := withCacheDir(dir)
		o.logFile = filepath.Join(t.TempDir(), "log.json")
		res := c.createWith(t, o)
		if res.code != 1 || len(res.stderr) > 1024 || strings.ContainsRune(res.stderr, 0x1b) {
			t.Fatalf("want one short line without control characters; got %d bytes: %q", len(res.stderr), res.stderr[:min(len(res.stderr), 2048)])
		}
		if log := readFile(o.logFile); len(log) > 4096 || strings.Contains(log, "\x1b") || strings.Contains(log, `\u001b`) {
			t.Errorf("log: %d bytes, %q", len(log), log[:min(len(log), 2048)])
		}
		t.Logf("stderr: %s", strings.TrimSpace(res.stderr))
	})

	// An interrupted compile leaves nothing: SIGKILL of create (its worker
	// dies with it, and the next compile under the same parent sweeps its
	// cgroup), SIGTERM of run (exit 143, cleaned up at once).
	t.Run("create_killed_during_compile", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/bomb.wat"))
		writeRootfsFile(t, c, "/bomb.wat", bomb, 0o644)
		mountsBefore := mountsUnder(t, c.bundle)
		cmd, outs := rt.command(t, withCacheDir(dir), "create", "--bundle", c.bundle, c.id)
		if err := startTracked(cmd); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		cmd.Process.Kill()
		waitTracked(cmd)
		_ = outs
		if res := rt.run(t, "state", c.id); res.code == 0 {
			t.Errorf("state of a create killed while compiling: %s", res)
		}
		// A new create of the same id works.
		c2 := newContainer(t, rt, withVariant("compat"), withArgs("/ready-loop.wasm"))
		installFile(t, c2, "/ready-loop.wasm", fx.bin["ready-loop"], 0o755)
		if res := rt.runWith(t, withCacheDir(dir), "create", "--bundle", c2.bundle, c.id); res.code != 0 {
			t.Fatalf("create of the same id after the kill: %s", res)
		}
		rt.mustRun(t, "delete", "-f", c.id)
		assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
		assertCacheClean(t, dir)
	})

	t.Run("run_sigterm_during_compile", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withArgs("/bomb.wat"))
		writeRootfsFile(t, c, "/bomb.wat", bomb, 0o644)
		mountsBefore := mountsUnder(t, c.bundle)
		cmd, outs := rt.command(t, withCacheDir(dir), "run", "--bundle", c.bundle, c.id)
		if err := startTracked(cmd); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		sent := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		res := outs.result(cmd, waitTracked(cmd))
		t.Logf("run ended %v after SIGTERM: %s", time.Since(sent).Round(time.Millisecond), res)
		if res.code != 143 {
			t.Errorf("want exit 143; got %s", res)
		}
		assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
		assertCacheClean(t, dir)
	})
}

// assertCacheClean: no temp file, no lock file but the compile slots.
func assertCacheClean(t *testing.T, dir string) {
	t.Helper()
	ents, _ := filepath.Glob(filepath.Join(dir, "e-*", ".tmp-*"))
	locks, _ := filepath.Glob(filepath.Join(dir, "locks", "*"))
	for _, l := range locks {
		if !strings.HasPrefix(filepath.Base(l), "slot-") {
			ents = append(ents, l)
		}
	}
	for _, e := range ents {
		t.Errorf("left in the cache: %s", e)
	}
}

// bombWat is one function with many live locals and a long chain of adds:
// minutes and gigabytes of Cranelift compile (docs/security.md).
func bombWat(locals, adds int) string {
	var b strings.Builder
	b.WriteString("(module (func $f (param $p i64) (result i64)")
	for i := 0; i < locals; i++ {
		fmt.Fprintf(&b, " (local $l%d i64)", i)
	}
	for i := 0; i < locals; i++ {
		fmt.Fprintf(&b, " (local.set $l%d (i64.mul (local.get $p) (i64.const %d)))", i, i+3)
	}
	for i := 0; i < adds; i++ {
		fmt.Fprintf(&b, " (local.set $l%d (i64.add (local.get $l%d) (local.get $l%d)))", i%locals, (i*7+1)%locals, (i*13+5)%locals)
	}
	b.WriteString(" (local.get $l0)")
	for i := 1; i < locals; i++ {
		fmt.Fprintf(&b, " (i64.add (local.get $l%d))", i)
	}
	b.WriteString(`) (func (export "_start") (drop (call $f (i64.const 3)))))`)
	return b.String()
}
