package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testWasmCache checks the compiled-module cache from the outside: a first
// create compiles and stores one entry, later creates reuse it, damaged
// entries are rebuilt, concurrent creates compile once, `cache list` and
// `cache prune` see and empty it, and a module wasmtime refuses fails create.
// Each subtest has a cache directory of its own.
func testWasmCache(t *testing.T, fx *wasmFixture) {
	newCacheDir := func(t *testing.T) string { return filepath.Join(t.TempDir(), "cache") }
	// moduleContainer runs module (a host file) as guest in a compat container.
	moduleContainer := func(t *testing.T, rt *runtime, module, guest string, args ...string) *container {
		t.Helper()
		c := newContainer(t, rt, withVariant("compat"), withArgs(append([]string{guest}, args...)...))
		installFile(t, c, guest, module, 0o755)
		return c
	}
	timedCreate := func(t *testing.T, c *container, o cmdOpts) time.Duration {
		t.Helper()
		start := time.Now()
		wasmCreate(t, c, o)
		return time.Since(start)
	}

	t.Run("compile_once_then_hit", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		native := newContainer(t, rt, withArgs("/bin/true"))
		nativeCreate := timedCreate(t, native, withCacheDir(dir))

		cold := moduleContainer(t, rt, fx.hello, "/hello.wasm", "exit", "0")
		coldCreate := timedCreate(t, cold, withCacheDir(dir))
		entries := cacheEntries(t, dir)
		if len(entries) != 1 {
			t.Fatalf("after the first create: %d cache entries %v; want 1", len(entries), entries)
		}
		before, err := os.Stat(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		// Another bundle, the same module bytes: found by content.
		warm := moduleContainer(t, rt, fx.hello, "/hello.wasm", "exit", "0")
		warmCreate := timedCreate(t, warm, withCacheDir(dir))
		if got := cacheEntries(t, dir); len(got) != 1 || got[0] != entries[0] {
			t.Errorf("after the second create: entries %v; want only %v", got, entries)
		}
		if after, err := os.Stat(entries[0]); err != nil || !os.SameFile(before, after) {
			t.Errorf("the entry was rewritten on a hit: %v", err)
		}
		t.Logf("create of the Go module (%.1f MB, entry %.1f MB): cold %v, warm %v; native busybox create %v",
			float64(hostFileSize(t, fx.hello))/1e6, float64(before.Size())/1e6, coldCreate.Round(time.Millisecond),
			warmCreate.Round(time.Millisecond), nativeCreate.Round(time.Millisecond))
		for _, c := range []*container{cold, warm} {
			c.start(t)
			rt.waitStatus(t, c.id, "stopped", commandTimeout)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("cache directory: mode %v, %v; want 0700", fi.Mode(), err)
		}
	})

	t.Run("damaged_entries_rebuilt", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		run := func(t *testing.T) {
			t.Helper()
			c := moduleContainer(t, rt, fx.bin["hello"], "/hello.wasm")
			if res := wasmRun(t, c, withCacheDir(dir)); res.code != 0 || res.stdout != "hello from wat\n" {
				t.Fatalf("want the module to run; got %s", res)
			}
		}
		run(t)
		entries := cacheEntries(t, dir)
		if len(entries) != 1 {
			t.Fatalf("%d cache entries; want 1", len(entries))
		}
		entry := entries[0]
		good, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		for _, damage := range []struct {
			name string
			do   func() []byte // damages the entry, returns what is on disk
		}{
			{"truncated", func() []byte { return good[:len(good)/2] }},
			{"tampered", func() []byte {
				b := bytes.Clone(good)
				b[len(b)-len(b)/3] ^= 0x5a // one byte of the payload
				return b
			}},
			{"header_only", func() []byte { return good[:64] }},
			{"empty", func() []byte { return nil }},
		} {
			t.Run(damage.name, func(t *testing.T) {
				if err := os.WriteFile(entry, damage.do(), 0o600); err != nil {
					t.Fatal(err)
				}
				run(t)
				got, err := os.ReadFile(entry)
				if err != nil {
					t.Fatalf("entry not rebuilt: %v", err)
				}
				if len(got) != len(good) {
					t.Errorf("rebuilt entry has %d bytes; the original %d", len(got), len(good))
				}
				if n := len(cacheEntries(t, dir)); n != 1 {
					t.Errorf("%d cache entries; want 1", n)
				}
			})
		}
	})

	t.Run("concurrent_creates", func(t *testing.T) {
		const n = 5
		dir := newCacheDir(t)
		rt := newRuntime(t)
		type started struct {
			c    *container
			cmd  *exec.Cmd
			outs outputs
		}
		var runs []started
		for i := 0; i < n; i++ {
			c := moduleContainer(t, rt, fx.hello, "/hello.wasm", "args", "exit", "0")
			cmd, outs := rt.command(t, withCacheDir(dir), "run", "--bundle", c.bundle, c.id)
			runs = append(runs, started{c, cmd, outs})
		}
		type done struct {
			res  result
			took time.Duration
		}
		results := make(chan done, n)
		start := time.Now()
		for _, r := range runs {
			go func() {
				err := runTracked(r.cmd)
				results <- done{r.outs.result(r.cmd, err), time.Since(start)}
			}()
		}
		var took []time.Duration
		for i := 0; i < n; i++ {
			d := <-results
			took = append(took, d.took.Round(time.Millisecond))
			if d.res.code != 0 || !strings.HasPrefix(d.res.stdout, "arg[0]=/hello.wasm\narg[1]=args\n") {
				t.Errorf("%s", d.res)
			}
		}
		t.Logf("%d concurrent runs of the Go module on an empty cache returned after %v", n, took)
		if entries := cacheEntries(t, dir); len(entries) != 1 {
			t.Errorf("%d cache entries %v; want 1", len(entries), entries)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) != 0 {
			t.Errorf("temporary files left in the cache: %v", tmp)
		}
	})

	t.Run("list_and_prune", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		for _, name := range []string{"hello", "exit"} {
			c := moduleContainer(t, rt, fx.bin[name], "/"+name+".wasm")
			if res := wasmRun(t, c, withCacheDir(dir)); res.code != 0 {
				t.Fatalf("%s", res)
			}
		}
		entries := cacheEntries(t, dir)
		if len(entries) != 2 {
			t.Fatalf("%d cache entries; want 2", len(entries))
		}
		// The global flag and the environment variable name the same cache.
		list := rt.mustRun(t, "--cache-dir", dir, "cache", "list")
		lines := strings.Split(strings.TrimSpace(list.stdout), "\n")
		if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "KEY SIZE LAST USED" {
			t.Fatalf("cache list: want a header and 2 entries; got %q", list.stdout)
		}
		for _, e := range entries {
			key := strings.TrimSuffix(filepath.Base(e), ".cwasm")
			if !strings.Contains(list.stdout, key) {
				t.Errorf("cache list lacks %s:\n%s", key, list.stdout)
			}
		}
		prune := rt.runWith(t, withCacheDir(dir), "cache", "prune")
		if prune.code != 0 || strings.TrimSpace(prune.stdout) != "removed 2 compiled modules" {
			t.Errorf("cache prune: %s", prune)
		}
		if n := len(cacheEntries(t, dir)); n != 0 {
			t.Errorf("%d entries left after prune", n)
		}
		list = rt.runWith(t, withCacheDir(dir), "cache", "list")
		if list.code != 0 || len(strings.Split(strings.TrimSpace(list.stdout), "\n")) != 1 {
			t.Errorf("cache list after prune: %s", list)
		}
	})

	for _, tc := range []struct {
		name, guest, content, want string
	}{
		{"bad_binary_module", "/bad.wasm", "this is not a module\n", "not a WebAssembly module (no magic number)"},
		{"truncated_binary_module", "/bad.wasm", "\x00asm\x01\x00\x00\x00\x01\x05", "unexpected end"},
		{"bad_text_module", "/bad.wat", "(module (func $f (result i32) i64.const 1))\n", "type mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newCacheDir(t)
			rt := newRuntime(t)
			c := newContainer(t, rt, withVariant("compat-smart"), withArgs(tc.guest))
			writeRootfsFile(t, c, tc.guest, tc.content, 0o755)
			mountsBefore := mountsUnder(t, c.bundle)
			// With --log the error goes to the log and, bare, to stderr: both
			// must be one line (containerd reads the log's last error line).
			o := withCacheDir(dir)
			o.logFile = filepath.Join(t.TempDir(), "log.json")
			res := c.createWith(t, o)
			t.Logf("stderr: %s", strings.TrimSpace(res.stderr))
			if res.code != 1 || !strings.Contains(res.stderr, "compile "+tc.guest+": ") || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("want create to fail with exit 1 and wasmtime's %q; got %s", tc.want, res)
			}
			if n := len(nonEmptyLines(res.stderr)); n != 1 {
				t.Errorf("want one error line; got %d", n)
			}
			if log := readFile(o.logFile); !strings.Contains(log, `"level":"error"`) || !strings.Contains(log, tc.want) {
				t.Errorf("log file %q lacks the error", log)
			}
			assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
			if n := len(cacheEntries(t, dir)); n != 0 {
				t.Errorf("%d cache entries for a module that does not compile", n)
			}
		})
	}

	// A compiled module is native code: one found in the rootfs is never
	// loaded, whatever it is called.
	t.Run("compiled_module_in_rootfs_not_loaded", func(t *testing.T) {
		dir := newCacheDir(t)
		rt := newRuntime(t)
		first := moduleContainer(t, rt, fx.bin["hello"], "/hello.wasm")
		if res := wasmRun(t, first, withCacheDir(dir)); res.code != 0 {
			t.Fatalf("%s", res)
		}
		entry := cacheEntries(t, dir)[0]
		b, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		// The entry as it is, header and all, and its ELF payload alone.
		for name, content := range map[string][]byte{"entry": b, "payload": b[64:]} {
			for _, guest := range []string{"/app.cwasm", "/app.wasm"} {
				c := newContainer(t, rt, withVariant("compat"), withArgs(guest))
				writeRootfsFile(t, c, guest, string(content), 0o755)
				res := wasmRun(t, c, withCacheDir(dir))
				if res.code != 1 || strings.Contains(res.stdout, "hello from wat") {
					t.Errorf("%s as %s: want create refused; got %s", name, guest, res)
				}
				t.Logf("%s as %s: %s", name, guest, strings.TrimSpace(res.stderr))
			}
		}
	})

	// Like --root, a relative cache directory names a directory relative to
	// where the runtime was started, not to the bundle (create works from
	// the bundle directory).
	t.Run("relative_cache_dir", func(t *testing.T) {
		rt := newRuntime(t)
		for _, how := range []string{"flag", "env"} {
			t.Run(how, func(t *testing.T) {
				wd := t.TempDir()
				c := moduleContainer(t, rt, fx.bin["hello"], "/hello.wasm")
				o := cmdOpts{dir: wd}
				args := []string{"create", "--bundle", c.bundle, c.id}
				if how == "flag" {
					args = append([]string{"--cache-dir", "relcache"}, args...)
				} else {
					o.env = []string{"WASM_RUNC_CACHE_DIR=relcache"}
				}
				if res := rt.runWith(t, o, args...); res.code != 0 {
					t.Fatalf("%s", res)
				}
				c.state(t)
				if n := len(cacheEntries(t, filepath.Join(wd, "relcache"))); n != 1 {
					t.Errorf("%d entries in relcache under the working directory; want 1", n)
				}
				if _, err := os.Stat(filepath.Join(c.bundle, "relcache")); err == nil {
					t.Errorf("the cache went to the bundle directory %s", filepath.Join(c.bundle, "relcache"))
				}
			})
		}
	})

	t.Run("cache_dir_owned_by_another_user", func(t *testing.T) {
		dir := newCacheDir(t)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		rt := newRuntime(t)
		c := moduleContainer(t, rt, fx.bin["hello"], "/hello.wasm")
		res := c.createWith(t, withCacheDir(dir))
		if res.code != 1 || !strings.Contains(res.stderr, "owned by uid 1000") {
			t.Errorf("want create refused for a cache directory owned by uid 1000; got %s", res)
		}
		assertNothingLeft(t, rt, c.id, c.bundle, nil)
	})
}

func hostFileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
