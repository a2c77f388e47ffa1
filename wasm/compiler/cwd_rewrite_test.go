package compiler

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v42"
)

// Modules shaped like wasi-libc programs, small enough to reason about:
// the functions the rewrite looks for, by name, with their signatures.
// Each lookup returns the path it was given, so a test can read what
// reached the original; malloc is a bump allocator.
const cwdLibc = `
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (global $frees (export "frees") (mut i32) (i32.const 0))
  (func $malloc (param i32) (result i32) (local i32)
    (local.set 1 (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 0)))
    (local.get 1))
  (func $free (param i32)
    (if (local.get 0) (then (global.set $frees (i32.add (global.get $frees) (i32.const 1))))))
  (func (export "_start"))
`

// cwdJoinWat: no chdir. getcwd's original answers "/" (wasi-libc's
// "cwd"), or 0 for a buffer too small.
const cwdJoinWat = `(module` + cwdLibc + `
  (data (i32.const 16) "/\00")
  (func $__wasilibc_find_abspath (param i32 i32 i32) (result i32) (local.get 0))
  (func $__wasilibc_find_relpath (param i32 i32 i32 i32) (result i32) (local.get 0))
  (func $getcwd (param i32 i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 1) (i32.const 2))
      (then (i32.const 0))
      (else (i32.store16 (local.get 0) (i32.const 0x2f)) (local.get 0))))
  (func (export "abspath") (param i32) (result i32)
    (call $__wasilibc_find_abspath (local.get 0) (i32.const 0) (i32.const 0)))
  (func (export "relpath") (param i32) (result i32)
    (call $__wasilibc_find_relpath (local.get 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "getcwd") (param i32 i32) (result i32) (call $getcwd (local.get 0) (local.get 1))))`

// cwdChdirWat: chdir linked. chdir copies its argument to 1024 and counts
// its calls; the lookup returns its path.
const cwdChdirWat = `(module` + cwdLibc + `
  (global $chdirs (export "chdirs") (mut i32) (i32.const 0))
  (func $chdir (param i32) (result i32) (local i32)
    (global.set $chdirs (i32.add (global.get $chdirs) (i32.const 1)))
    (block $done (loop $copy
      (i32.store8 (i32.add (i32.const 1024) (local.get 1)) (i32.load8_u (i32.add (local.get 0) (local.get 1))))
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get 0) (local.get 1)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $copy)))
    (i32.const 0))
  (func $__wasilibc_find_relpath_alloc (param i32 i32 i32 i32 i32) (result i32) (local.get 0))
  (func $getcwd (param i32 i32) (result i32) (i32.const 1024))
  (func (export "alloc") (param i32) (result i32)
    (call $__wasilibc_find_relpath_alloc (local.get 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "getcwd") (param i32 i32) (result i32) (call $getcwd (local.get 0) (local.get 1))))`

func wat(t testing.TB, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cwdInstance rewrites module for cwd and instantiates it (no imports).
func cwdInstance(t *testing.T, module []byte, cwd string, want int) (*wasmtime.Store, *wasmtime.Instance) {
	t.Helper()
	out, rc := rewriteCwd(module, cwd)
	if rc != want {
		t.Fatalf("rewrite: %d, want %d", rc, want)
	}
	engine := wasmtime.NewEngine()
	m, err := wasmtime.NewModule(engine, out)
	if err != nil {
		t.Fatalf("rewritten module: %v", err)
	}
	store := wasmtime.NewStore(engine)
	inst, err := wasmtime.NewInstance(store, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	mark := inst.GetExport(store, "wasm-runc:cwd")
	if mark == nil || mark.Global() == nil || mark.Global().Get(store).I32() != int32(want) {
		t.Fatalf("no export wasm-runc:cwd = %d", want)
	}
	return store, inst
}

type guestMem struct {
	t     *testing.T
	store *wasmtime.Store
	inst  *wasmtime.Instance
}

func (g guestMem) bytes() []byte {
	return g.inst.GetExport(g.store, "memory").Memory().UnsafeData(g.store)
}

func (g guestMem) put(at int, s string) int32 {
	copy(g.bytes()[at:], s+"\x00")
	return int32(at)
}

func (g guestMem) str(at int32) string {
	b := g.bytes()[at:]
	return string(b[:bytes.IndexByte(b, 0)])
}

func (g guestMem) call(name string, args ...any) int32 {
	g.t.Helper()
	r, err := g.inst.GetFunc(g.store, name).Call(g.store, args...)
	if err != nil {
		g.t.Fatalf("%s: %v", name, err)
	}
	return r.(int32)
}

func (g guestMem) global(name string) int32 {
	return g.inst.GetExport(g.store, name).Global().Get(g.store).I32()
}

// TestCwdRewriteJoin: without chdir, a relative path reaches the original
// lookup as "<cwd>/<path>"; absolute paths and NULL go through as they
// are; two lookups in a row keep both results (rename); getcwd says cwd.
func TestCwdRewriteJoin(t *testing.T) {
	store, inst := cwdInstance(t, wat(t, cwdJoinWat), "/data/dir", cwdJoin)
	g := guestMem{t, store, inst}
	for _, fn := range []string{"abspath", "relpath"} {
		for path, want := range map[string]string{
			"local.txt":       "/data/dir/local.txt",
			"./local.txt":     "/data/dir/./local.txt",
			"../etc/hostname": "/data/dir/../etc/hostname",
			"/etc/hostname":   "/etc/hostname",
			"":                "/data/dir/",
		} {
			p := g.put(100, path)
			got := g.call(fn, p)
			if path != "" && path[0] == '/' && got != p {
				t.Errorf("%s(%q): the absolute path was copied", fn, path)
			}
			if s := g.str(got); s != want {
				t.Errorf("%s(%q) looked up %q, want %q", fn, path, s, want)
			}
		}
	}
	if got := g.call("abspath", int32(0)); got != 0 {
		t.Errorf("abspath(NULL) = %d", got)
	}
	a := g.call("abspath", g.put(100, "a"))
	b := g.call("abspath", g.put(200, strings.Repeat("b", 300)))
	if g.str(a) != "/data/dir/a" || g.str(b) != "/data/dir/"+strings.Repeat("b", 300) {
		t.Errorf("two lookups in a row: %q, %q", g.str(a), g.str(b))
	}
	// A longer path than the slot held: a new buffer, the old one freed.
	frees := g.global("frees")
	c := g.call("abspath", g.put(100, strings.Repeat("c", 100)))
	if g.str(c) != "/data/dir/"+strings.Repeat("c", 100) || g.global("frees") != frees+1 {
		t.Errorf("grown buffer: %q, frees %d -> %d", g.str(c), frees, g.global("frees"))
	}

	if p := g.call("getcwd", int32(0), int32(0)); p == 0 || g.str(p) != "/data/dir" {
		t.Errorf("getcwd(NULL, 0) = %d", p)
	}
	if p := g.call("getcwd", int32(300), int32(10)); p != 300 || g.str(p) != "/data/dir" {
		t.Errorf("getcwd(buf, 10) = %d %q", p, g.str(p))
	}
	if p := g.call("getcwd", int32(300), int32(9)); p != 0 {
		t.Errorf("getcwd(buf, 9) = %d, want NULL (ERANGE from the original)", p)
	}
}

// TestCwdRewriteChdir: with chdir linked, the first lookup or getcwd
// calls the guest's chdir(cwd), once; paths go through unchanged.
func TestCwdRewriteChdir(t *testing.T) {
	for _, first := range []string{"alloc", "getcwd"} {
		t.Run(first, func(t *testing.T) {
			store, inst := cwdInstance(t, wat(t, cwdChdirWat), "/data", cwdChdir)
			g := guestMem{t, store, inst}
			if n := g.global("chdirs"); n != 0 {
				t.Fatalf("chdir ran %d times before any lookup", n)
			}
			if first == "getcwd" {
				g.call("getcwd", int32(0), int32(0))
			}
			p := g.put(100, "local.txt")
			if got := g.call("alloc", p); got != p {
				t.Errorf("the path was changed")
			}
			g.call("alloc", p)
			g.call("getcwd", int32(0), int32(0))
			if n := g.global("chdirs"); n != 1 {
				t.Errorf("chdir ran %d times, want 1", n)
			}
			if s := g.str(1024); s != "/data" {
				t.Errorf("chdir(%q), want /data", s)
			}
			if g.global("frees") != 1 {
				t.Errorf("the cwd string was not freed")
			}
		})
	}
}

// TestCwdRewriteUnchanged: what the rewrite leaves alone, and why.
func TestCwdRewriteUnchanged(t *testing.T) {
	join := wat(t, cwdJoinWat)
	stripped, rc := stripNames(join)
	if !rc {
		t.Fatal("no name section in the test module")
	}
	noMalloc := wat(t, strings.Replace(cwdJoinWat, "$malloc", "$my_malloc", -1))
	badSig := wat(t, strings.Replace(cwdJoinWat, "(func $getcwd (param i32 i32)", "(func $getcwd (param i32 i64)", 1))
	for _, tc := range []struct {
		name   string
		module []byte
		cwd    string
		want   int
	}{
		{"no names (Go, WAT)", wat(t, helloWat), "/data", cwdUnchanged},
		{"stripped", stripped, "/data", cwdUnchanged},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), "/data", cwdUnchanged},
		{"truncated", join[:len(join)-3], "/data", cwdMalformed},
		{"no malloc", noMalloc, "/data", cwdUnsupported},
		{"other signature", badSig, "/data", cwdUnsupported},
		{"cwd /", join, "/", cwdUnsupported},
		{"cwd relative", join, "data", cwdUnsupported},
		{"cwd trailing slash", join, "/data/", cwdUnsupported},
		{"cwd too long", join, "/" + strings.Repeat("d", 4095), cwdUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rc := rewriteCwd(tc.module, tc.cwd)
			if rc != tc.want || out != nil {
				t.Errorf("rewrite: %d (%d bytes), want %d and nothing", rc, len(out), tc.want)
			}
		})
	}
	if _, rc := rewriteCwd(join, "/"+strings.Repeat("d", 4094)); rc != cwdJoin {
		t.Errorf("the longest cwd: %d", rc)
	}
}

// stripNames drops custom sections, as wasm-ld --strip-all does.
func stripNames(m []byte) ([]byte, bool) {
	out := append([]byte{}, m[:8]...)
	found := false
	for p := 8; p < len(m); {
		id := m[p]
		size, n := 0, 1
		for shift := 0; ; shift += 7 {
			b := m[p+n]
			n++
			size |= int(b&0x7f) << shift
			if b&0x80 == 0 {
				break
			}
		}
		if id == 0 {
			found = true
		} else {
			out = append(out, m[p:p+n+size]...)
		}
		p += n + size
	}
	return out, found
}

// cwdGuests builds examples/cwdprobe once per test binary: C (clang,
// wasi-libc) without and with chdir, Rust (Debian's rustc) the same.
var cwdGuests = struct {
	sync.Once
	dir  string
	errs map[string]string
}{errs: map[string]string{}}

func cwdGuest(t *testing.T, name string) []byte {
	t.Helper()
	cwdGuests.Do(func() {
		dir, err := os.MkdirTemp("", "cwdprobe")
		if err != nil {
			t.Fatal(err)
		}
		cwdGuests.dir = dir
		src := filepath.Join("..", "..", "examples", "cwdprobe")
		for n, args := range map[string][]string{
			"c":          {"clang", "--target=wasm32-wasi", "-O2", "-o", "c.wasm", filepath.Join(src, "probe.c")},
			"c-chdir":    {"clang", "--target=wasm32-wasi", "-O2", "-DWITH_CHDIR", "-o", "c-chdir.wasm", filepath.Join(src, "probe.c")},
			"c-stripped": {"clang", "--target=wasm32-wasi", "-O2", "-DWITH_CHDIR", "-Wl,--strip-all", "-o", "c-stripped.wasm", filepath.Join(src, "probe.c")},
			"rust":       {"/usr/bin/rustc", "--target", "wasm32-wasi", "-O", "--cfg", "no_chdir", "-o", "rust.wasm", filepath.Join(src, "probe.rs")},
			"rust-chdir": {"/usr/bin/rustc", "--target", "wasm32-wasi", "-O", "-o", "rust-chdir.wasm", filepath.Join(src, "probe.rs")},
		} {
			abs, _ := filepath.Abs(args[len(args)-1])
			args[len(args)-1] = abs
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				cwdGuests.errs[n] = strings.Join(args, " ") + ": " + err.Error() + ": " + string(out)
			}
		}
	})
	if e := cwdGuests.errs[name]; e != "" {
		t.Skipf("cannot build the %s guest (needs clang, lld, wasi-libc, libclang-rt-14-dev-wasm32; rustc, libstd-rust-dev-wasm32: scripts/install-deps.sh): %s", name, e)
	}
	b, err := os.ReadFile(filepath.Join(cwdGuests.dir, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cwdGuests.dir != "" {
		os.RemoveAll(cwdGuests.dir)
	}
	os.Exit(code)
}

// runWasi runs module's _start with root preopened as "/" only (as the
// runner does for a rewritten module) and returns its stdout.
func runWasi(t *testing.T, module []byte, root string, args ...string) string {
	t.Helper()
	engine := wasmtime.NewEngine()
	m, err := wasmtime.NewModule(engine, module)
	if err != nil {
		t.Fatal(err)
	}
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	wc := wasmtime.NewWasiConfig()
	wc.SetArgv(append([]string{"probe"}, args...))
	out := filepath.Join(t.TempDir(), "stdout")
	if err := wc.SetStdoutFile(out); err != nil {
		t.Fatal(err)
	}
	if err := wc.PreopenDir(root, "/", wasmtime.DIR_READ|wasmtime.DIR_WRITE, wasmtime.FILE_READ|wasmtime.FILE_WRITE); err != nil {
		t.Fatal(err)
	}
	store.SetWasi(wc)
	inst, err := linker.Instantiate(store, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.GetFunc(store, "_start").Call(store); err != nil {
		if w, ok := err.(*wasmtime.Error); !ok || w == nil {
			t.Fatal(err)
		} else if st, ok := w.ExitStatus(); !ok || st != 0 {
			t.Fatalf("_start: %v", err)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCwdRewriteGuests runs real wasi-libc guests, rewritten for /data,
// in this process with a directory as their "/": the lines they print are
// what a native process with cwd /data would see.
func TestCwdRewriteGuests(t *testing.T) {
	for _, tc := range []struct {
		guest string
		kind  int
		chdir bool
	}{
		{"c", cwdJoin, false},
		{"c-chdir", cwdChdir, true},
		{"rust", cwdJoin, false},
		{"rust-chdir", cwdChdir, true},
	} {
		t.Run(tc.guest, func(t *testing.T) {
			module := cwdGuest(t, tc.guest)
			out, rc := rewriteCwd(module, "/data")
			if rc != tc.kind {
				t.Fatalf("rewrite: %d, want %d", rc, tc.kind)
			}
			root := t.TempDir()
			for name, content := range map[string]string{
				"etc/hostname":       "probe-host",
				"data/local.txt":     "local",
				"data/sub/inner.txt": "inner",
				"data/a.txt":         "moved",
			} {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := runWasi(t, out, root, "pwd", "cat:/etc/hostname", "cat:local.txt", "cat:./local.txt",
				"cat:../etc/hostname", "cat:/data/local.txt", "write:new.txt", "mv:a.txt:b.txt", "cat:b.txt",
				"cd:sub", "pwd", "cat:inner.txt", "cat:/etc/hostname")
			want := []string{"pwd: /data", "cat /etc/hostname: probe-host", "cat local.txt: local",
				"cat ./local.txt: local", "cat ../etc/hostname: probe-host", "cat /data/local.txt: local",
				"write new.txt: ok", "mv a.txt b.txt: ok", "cat b.txt: moved"}
			if tc.chdir {
				want = append(want, "cd sub: ok", "pwd: /data/sub", "cat inner.txt: inner")
			} else {
				want = append(want, "cd sub: not linked", "pwd: /data", "cat inner.txt: error No such file or directory")
			}
			want = append(want, "cat /etc/hostname: probe-host")
			gotLines := strings.Split(strings.TrimSpace(got), "\n")
			for i := range max(len(want), len(gotLines)) {
				g, w := "", ""
				if i < len(gotLines) {
					g = gotLines[i]
				}
				if i < len(want) {
					w = want[i]
				}
				// Rust words errors its own way: compare the start.
				if g != w && !(strings.HasPrefix(w, "cat inner.txt: error") && strings.HasPrefix(g, "cat inner.txt: error")) {
					t.Errorf("line %d: %q, want %q", i+1, g, w)
				}
			}
			if _, err := os.Stat(filepath.Join(root, "data", "new.txt")); err != nil {
				t.Errorf("write new.txt did not land in /data: %v", err)
			}

			// Unchanged, the same module gets its relative paths wrong
			// with "/" as its only preopen: what the rewrite fixes.
			if got := runWasi(t, module, root, "cat:local.txt"); !strings.Contains(got, "error") {
				t.Errorf("the module unchanged read local.txt from /: %q", got)
			}
		})
	}
}

// TestCwdRewriteStripped: a module built with --strip-all has no names to
// go by, and is left as it is.
func TestCwdRewriteStripped(t *testing.T) {
	if out, rc := rewriteCwd(cwdGuest(t, "c-stripped"), "/data"); rc != cwdUnchanged || out != nil {
		t.Fatalf("rewrite of a stripped module: %d", rc)
	}
}

// FuzzCwdRewrite: whatever the bytes, the rewrite never reads out of
// bounds, and what it makes of a valid module is valid.
func FuzzCwdRewrite(f *testing.F) {
	for _, src := range []string{cwdJoinWat, cwdChdirWat, helloWat} {
		f.Add(wat(f, src), "/data")
	}
	f.Add(wat(f, cwdJoinWat), "/a/b/c/d/e/f/g/h/i")
	engine := wasmtime.NewEngine()
	f.Fuzz(func(t *testing.T, module []byte, cwd string) {
		out, rc := rewriteCwd(module, cwd)
		if (rc > 0) != (out != nil) {
			t.Fatalf("rc %d with %d bytes out", rc, len(out))
		}
		if out == nil {
			return
		}
		if !strings.HasPrefix(cwd, "/") || strings.HasSuffix(cwd, "/") {
			t.Fatalf("rewritten for cwd %q", cwd)
		}
		if wasmtime.ModuleValidate(engine, module) != nil {
			return
		}
		if err := wasmtime.ModuleValidate(engine, out); err != nil {
			t.Fatalf("a valid module rewritten (%d) is invalid: %v", rc, err)
		}
	})
}

// BenchmarkCwdRewrite: the rewrite alone, on the guests of the tests
// (docs/performance.md).
func BenchmarkCwdRewrite(b *testing.B) {
	for _, guest := range []string{"c", "c-chdir", "rust", "rust-chdir"} {
		b.Run(guest, func(b *testing.B) {
			module := cwdGuest(&testing.T{}, guest)
			b.SetBytes(int64(len(module)))
			for b.Loop() {
				if _, rc := rewriteCwd(module, "/data"); rc <= 0 {
					b.Fatalf("rewrite: %d", rc)
				}
			}
		})
	}
}

// BenchmarkCompileCwd: a whole compile in the worker, with and without
// the rewrite (docs/performance.md).
func BenchmarkCompileCwd(b *testing.B) {
	for _, guest := range []string{"c-chdir", "rust-chdir"} {
		module := cwdGuest(&testing.T{}, guest)
		dir := b.TempDir()
		in := filepath.Join(dir, "m.wasm")
		if err := os.WriteFile(in, module, 0o644); err != nil {
			b.Fatal(err)
		}
		for _, cwd := range []string{"", "/data"} {
			b.Run(guest+"/cwd="+cwd, func(b *testing.B) {
				lim := testLimits
				lim.Cwd = cwd
				for b.Loop() {
					src, _ := os.Open(in)
					out, _ := os.Create(filepath.Join(dir, "out"))
					err := Compile(b.Context(), src, out, Source{}, lim)
					src.Close()
					out.Close()
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// componentOf wraps core modules in a component's header and core module
// sections, as the preview 1 adapter tools lay them out (with no other
// sections: enough for the rewrite, not a component wasmtime would run).
func componentOf(modules ...[]byte) []byte {
	b := []byte("\x00asm\x0d\x00\x01\x00")
	for _, m := range modules {
		b = append(b, 1)
		n := uint32(len(m))
		for {
			c := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				b = append(b, c|0x80)
				continue
			}
			b = append(b, c)
			break
		}
		b = append(b, m...)
	}
	return b
}

// TestCwdRewriteComponent: each top-level core module of a component is
// rewritten as it would be alone, the others are left as they are, and a
// component with none to rewrite is unchanged.
func TestCwdRewriteComponent(t *testing.T) {
	join, hello := wat(t, cwdJoinWat), wat(t, helloWat)
	want, rc := rewriteCwd(join, "/data")
	if rc != cwdJoin {
		t.Fatalf("module rewrite: %d", rc)
	}
	out, rc := rewriteCwdComponent(componentOf(hello, join), "/data")
	if rc != cwdJoin {
		t.Fatalf("component rewrite: %d", rc)
	}
	if !bytes.Equal(out, componentOf(hello, want)) {
		t.Errorf("rewritten component is not the adapter's module unchanged and the program's rewritten")
	}
	if out, rc := rewriteCwdComponent(componentOf(hello), "/data"); out != nil || rc != cwdUnchanged {
		t.Errorf("nothing to rewrite: rc %d, %d bytes out", rc, len(out))
	}
	if out, rc := rewriteCwdComponent(join, "/data"); out != nil || rc != cwdUnchanged {
		t.Errorf("a core module given as a component: rc %d, %d bytes out", rc, len(out))
	}
	truncated := componentOf(join)
	if out, rc := rewriteCwdComponent(truncated[:len(truncated)-10], "/data"); out != nil || rc != cwdMalformed {
		t.Errorf("truncated: rc %d, %d bytes out", rc, len(out))
	}
}

// FuzzCwdRewriteComponent: any bytes, no read outside them; whatever comes
// out is the input's sections with some core modules replaced.
func FuzzCwdRewriteComponent(f *testing.F) {
	f.Add(componentOf(wat(f, helloWat), wat(f, cwdJoinWat)), "/data")
	f.Add(componentOf(wat(f, cwdChdirWat)), "/srv/app")
	f.Add([]byte("\x00asm\x0d\x00\x01\x00\x01\x05\x00asm\x01"), "/data")
	f.Fuzz(func(t *testing.T, component []byte, cwd string) {
		out, rc := rewriteCwdComponent(component, cwd)
		if (rc > 0) != (out != nil) {
			t.Fatalf("rc %d with %d bytes out", rc, len(out))
		}
		if out != nil && !bytes.Equal(out[:8], component[:8]) {
			t.Fatalf("header changed: %q", out[:8])
		}
	})
}
