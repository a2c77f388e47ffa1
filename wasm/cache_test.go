package wasm

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
)

// loadEntry checks that f is positioned at a module NewEngine accepts.
func loadEntry(t *testing.T, f *os.File) {
	t.Helper()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	engine, _ := NewEngine()
	defer engine.Close()
	m, err := wasmtime.NewModuleDeserialize(engine, b)
	if err != nil {
		t.Fatalf("entry does not deserialize: %v", err)
	}
	m.Close()
}

func mustOpen(t *testing.T, c *CompileCache, m *Module) {
	t.Helper()
	f, err := c.Open(m)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if off, _ := f.Seek(0, io.SeekCurrent); off != 0 {
		t.Fatalf("offset %d, want 0", off)
	}
	if st, _ := f.Stat(); st.Mode().Perm() != entryMode {
		t.Errorf("entry mode %v, want %v", st.Mode().Perm(), os.FileMode(entryMode))
	}
	loadEntry(t, f)
}

func onlyEntry(t *testing.T, c *CompileCache) CacheEntry {
	t.Helper()
	l, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 {
		t.Fatalf("cache holds %d entries, want 1: %+v", len(l), l)
	}
	return l[0]
}

// copyModule puts a private copy of src in dir, so that tests may change it.
func copyModule(t *testing.T, src *Module, dir string) *Module {
	t.Helper()
	b, err := os.ReadFile(src.HostPath)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.Base(src.HostPath))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &Module{HostPath: p, GuestPath: p, Text: src.Text}
}

func TestCacheMissThenHit(t *testing.T) {
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	m := watModule(t, "hello")
	before := compiles.Load()
	mustOpen(t, c, m)
	e := onlyEntry(t, c)
	mustOpen(t, c, m)
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("%d compiles for a miss and a hit, want 1", n)
	}
	if e2 := onlyEntry(t, c); e2 != e {
		t.Errorf("entry changed on a hit: %+v -> %+v", e, e2)
	}
	st, err := os.Stat(c.Dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, %v", st.Mode(), err)
	}
	if !isKey(e.Key) || e.Path != filepath.Join(c.Dir, e.Key+".cwasm") {
		t.Errorf("entry %+v", e)
	}
}

func TestCacheRebuildsBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string, size int64) error
	}{
		{"truncated", func(p string, size int64) error { return os.Truncate(p, size/2) }},
		{"trailer only", func(p string, size int64) error { return os.Truncate(p, trailerSize) }},
		{"trailer cut off", func(p string, size int64) error { return os.Truncate(p, size-trailerSize) }},
		{"empty", func(p string, size int64) error { return os.Truncate(p, 0) }},
		{"payload byte flipped", func(p string, size int64) error { return flip(p, size-100) }},
		{"ELF header byte flipped", func(p string, size int64) error { return flip(p, 30) }},
		{"trailer key changed", func(p string, size int64) error { return flip(p, size-trailerSize+30) }},
		{"trailer CRC changed", func(p string, size int64) error { return flip(p, size-trailerSize+12) }},
		{"appended", func(p string, size int64) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("junk"))
			return err
		}},
		{"replaced by a symlink", func(p string, size int64) error {
			os.Remove(p)
			return os.Symlink("/etc/passwd", p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
			m := watModule(t, "trap")
			mustOpen(t, c, m)
			e := onlyEntry(t, c)
			if err := tc.damage(e.Path, e.Size); err != nil {
				t.Fatal(err)
			}
			before := compiles.Load()
			mustOpen(t, c, m)
			if n := compiles.Load() - before; n != 1 {
				t.Errorf("%d compiles after damage, want 1", n)
			}
			if e2 := onlyEntry(t, c); e2.Size != e.Size {
				t.Errorf("rebuilt entry has %d bytes, want %d", e2.Size, e.Size)
			}
		})
	}
}

func flip(path string, off int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= 0x40
	_, err = f.WriteAt(b, off)
	return err
}

func TestCacheStaleModule(t *testing.T) {
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	m := copyModule(t, watModule(t, "exit"), t.TempDir())
	mustOpen(t, c, m)
	first := onlyEntry(t, c)
	// Same size, new content: the identity pre-key changes with ctime.
	b, _ := os.ReadFile(m.HostPath)
	b[3] ^= 0x20 // inside the leading comment
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(m.HostPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, c, m)
	l, _ := c.List()
	if len(l) != 2 || (l[0].Key != first.Key && l[1].Key != first.Key) {
		t.Errorf("after a change: %+v", l)
	}
}

func TestCacheIndex(t *testing.T) {
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	m := copyModule(t, watModule(t, "hello"), t.TempDir())
	mustOpen(t, c, m)
	idx, _ := os.ReadDir(filepath.Join(c.Dir, "index"))
	if len(idx) != 1 {
		t.Fatalf("%d index files, want 1", len(idx))
	}
	// An index pointing at the wrong key must not be trusted blindly: the
	// entry it names is checked, and a missing one falls back to hashing.
	p := filepath.Join(c.Dir, "index", idx[0].Name())
	os.WriteFile(p, []byte(strings.Repeat("0", 64)+"\n"), 0o600)
	before := compiles.Load()
	mustOpen(t, c, m)
	if n := compiles.Load() - before; n != 0 {
		t.Errorf("bad index caused %d compiles", n)
	}
	if b, _ := os.ReadFile(p); !strings.HasPrefix(string(b), onlyEntry(t, c).Key+"\n") {
		t.Errorf("index not repaired: %q", b)
	}
}

func TestCacheModuleInRootfs(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	src, _ := os.ReadFile(watModule(t, "hello").HostPath)
	os.WriteFile(filepath.Join(root, "app", "hello.wat"), src, 0o644)
	m, err := DetectModule(root, "/app/hello.wat", "", "/")
	if err != nil || m == nil {
		t.Fatal(m, err)
	}
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	mustOpen(t, c, m)
	// Swap the module for a link leading out of the rootfs: Open resolves
	// inside the rootfs again and finds nothing.
	os.Remove(filepath.Join(root, "app", "hello.wat"))
	os.Symlink(watModule(t, "loop").HostPath, filepath.Join(root, "app", "hello.wat"))
	if f, err := c.Open(m); err == nil {
		f.Close()
		t.Error("Open followed a symlink out of the rootfs")
	}
}

func TestCacheConcurrentGoroutines(t *testing.T) {
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	m := goModule(t)
	before := compiles.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.Open(m)
			if err != nil {
				errs <- err
				return
			}
			f.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("%d compiles for 8 concurrent Opens, want 1", n)
	}
	onlyEntry(t, c)
}

func TestCacheConcurrentProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	m := goModule(t)
	exe, _ := os.Executable()
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 4 {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "WASM_CACHE_TEST=1", "WASM_CACHE_DIR="+dir, "WASM_CACHE_MODULE="+m.HostPath)
		out := new(strings.Builder)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	// This process joins in as well.
	c := &CompileCache{Dir: dir}
	mustOpen(t, c, m)
	e := onlyEntry(t, c)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, outs[i])
			continue
		}
		if got := strings.TrimSpace(outs[i].String()); got != itoa(e.Size) {
			t.Errorf("child %d saw an entry of %s bytes, want %d", i, got, e.Size)
		}
	}
	onlyEntry(t, c)
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestCachePruneList(t *testing.T) {
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	if l, err := c.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty cache: %v %v", l, err)
	}
	names := []string{"hello", "loop", "trap", "exit"}
	base := time.Now().Add(-time.Hour)
	for i, n := range names {
		mustOpen(t, c, watModule(t, n))
		l, _ := c.List()
		for _, e := range l {
			if fi, _ := os.Stat(e.Path); fi.ModTime().After(base) && len(l) == i+1 {
				// the newest entry: age it i minutes after base
				os.Chtimes(e.Path, base, base.Add(time.Duration(i)*time.Minute))
			}
		}
	}
	l, err := c.List()
	if err != nil || len(l) != 4 {
		t.Fatalf("List: %v %v", l, err)
	}
	for i := 1; i < len(l); i++ {
		if l[i].LastUsed.Before(l[i-1].LastUsed) {
			t.Errorf("List not least recently used first: %+v", l)
		}
	}
	// A hit refreshes LastUsed: the oldest becomes the newest.
	oldest := l[0].Key
	mustOpen(t, c, watModule(t, names[0]))
	l, _ = c.List()
	if l[len(l)-1].Key != oldest {
		t.Errorf("hit did not refresh LastUsed: %+v", l)
	}
	keep := l[2].Size + l[3].Size
	removed, err := c.Prune(keep)
	if err != nil || removed != 2 {
		t.Fatalf("Prune(%d) = %d, %v; want 2", keep, removed, err)
	}
	l2, _ := c.List()
	if len(l2) != 2 || l2[0].Key != l[2].Key || l2[1].Key != l[3].Key {
		t.Errorf("after Prune: %+v, want the two most recent of %+v", l2, l)
	}
	removed, err = c.Prune(0)
	if err != nil || removed != 2 {
		t.Fatalf("Prune(0) = %d, %v", removed, err)
	}
	if l, _ := c.List(); len(l) != 0 {
		t.Errorf("after Prune(0): %+v", l)
	}
}

func TestCacheMaxBytesEvicts(t *testing.T) {
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
	mustOpen(t, c, watModule(t, "hello"))
	e := onlyEntry(t, c)
	os.Chtimes(e.Path, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	c.MaxBytes = e.Size + e.Size/2 // room for one entry
	mustOpen(t, c, watModule(t, "loop"))
	if got := onlyEntry(t, c); got.Key == e.Key {
		t.Errorf("the new entry was evicted instead of the old one")
	}
	// An entry larger than MaxBytes on its own is still kept and returned.
	c.MaxBytes = 1
	mustOpen(t, c, watModule(t, "trap"))
	onlyEntry(t, c)
}

func TestCacheCompileErrors(t *testing.T) {
	dir := t.TempDir()
	c := &CompileCache{Dir: filepath.Join(dir, "cache")}
	for _, tc := range []struct {
		name, data string
		text       bool
		want       string // from wasmtime
	}{
		{"bad.wasm", "\x00asm\x01\x00\x00\x00\x01\xff", false, "failed to parse WebAssembly module"},
		{"elf.wasm", "\x7fELF\x02\x01", false, "magic header not detected"},
		{"bad.wat", "(module (func (export \"_start\") (i32.add)))", true, "type mismatch"},
		{"syntax.wat", "(module (fnuc))", true, "expected valid module field"},
	} {
		t.Setenv("RUST_BACKTRACE", "1") // must not leak into messages
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.data), 0o644)
		_, err := c.Open(&Module{HostPath: p, GuestPath: "/app/" + tc.name, Text: tc.text})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/app/"+tc.name) ||
			strings.Contains(err.Error(), "backtrace") {
			t.Errorf("%s: error %v, want it to name the module and contain %q", tc.name, err, tc.want)
		}
	}
	if l, _ := c.List(); len(l) != 0 {
		t.Errorf("failed compiles left entries: %+v", l)
	}
}

func TestCacheDirChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	os.Mkdir(dir, 0o755)
	c := &CompileCache{Dir: dir}
	mustOpen(t, c, watModule(t, "hello"))
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", st.Mode().Perm())
	}
	if os.Geteuid() == 0 {
		os.Chown(dir, 1000, 1000)
		defer os.Chown(dir, 0, 0)
		if _, err := c.Open(watModule(t, "hello")); err == nil || !strings.Contains(err.Error(), "owned by uid 1000") {
			t.Errorf("foreign-owned cache dir: %v", err)
		}
	}
}

// TestCacheCheckedOncePerBoot: after a full check the index records the
// entry's identity and later Opens skip the CRC, until anything about the
// entry changes.
func TestCacheCheckedOncePerBoot(t *testing.T) {
	if bootID() == "" {
		t.Skip("no /proc/sys/kernel/random/boot_id: every Open checks the CRC")
	}
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	m := copyModule(t, watModule(t, "hello"), t.TempDir())
	indexFile := func(c *CompileCache) string {
		idx, _ := filepath.Glob(filepath.Join(c.Dir, "index", "[0-9a-f]*"))
		if len(idx) != 1 {
			t.Fatalf("index files %v, want 1", idx)
		}
		return idx[0]
	}
	// opens returns how many full CRC checks and compiles n Opens took.
	opens := func(c *CompileCache, n int) (checks, compiled int64) {
		c0, k0 := crcChecks.Load(), compiles.Load()
		for range n {
			mustOpen(t, c, m)
		}
		return crcChecks.Load() - c0, compiles.Load() - k0
	}
	for _, tc := range []struct {
		name    string
		change  func(c *CompileCache, e CacheEntry) error
		rebuild bool // the change must make the entry fail its check
	}{
		{"payload byte flipped", func(c *CompileCache, e CacheEntry) error { return flip(e.Path, e.Size/2) }, true},
		{"trailer CRC changed", func(c *CompileCache, e CacheEntry) error { return flip(e.Path, e.Size-trailerSize+12) }, true},
		{"truncated", func(c *CompileCache, e CacheEntry) error { return os.Truncate(e.Path, e.Size-1) }, true},
		{"flipped, mtime put back", func(c *CompileCache, e CacheEntry) error {
			if err := flip(e.Path, e.Size/2); err != nil {
				return err
			}
			return os.Chtimes(e.Path, e.LastUsed, e.LastUsed)
		}, true},
		{"chmod only", func(c *CompileCache, e CacheEntry) error { return os.Chmod(e.Path, entryMode) }, false},
		{"other boot", func(c *CompileCache, e CacheEntry) error {
			p := indexFile(c)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, []byte(strings.Replace(string(b), bootID(), "00000000-0000-0000-0000-000000000000", 1)), 0o600)
		}, false},
		{"record dropped", func(c *CompileCache, e CacheEntry) error {
			p := indexFile(c)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:65], 0o600)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}
			if _, n := opens(c, 1); n != 1 {
				t.Fatalf("%d compiles for the first Open", n)
			}
			// The first hit checks the CRC and records the entry; later ones
			// do not check it again.
			if checks, _ := opens(c, 1); checks != 1 {
				t.Fatalf("%d CRC checks on the first hit, want 1", checks)
			}
			if b, _ := os.ReadFile(indexFile(c)); !strings.Contains(string(b), "\nchecked "+bootID()+" ") {
				t.Fatalf("index not recording the check: %q", b)
			}
			if checks, _ := opens(c, 3); checks != 0 {
				t.Fatalf("%d CRC checks on 3 more hits, want 0", checks)
			}
			// A change within the kernel's ctime granularity would go
			// unseen: settleTime is 0 here.
			time.Sleep(20 * time.Millisecond)
			if err := tc.change(c, onlyEntry(t, c)); err != nil {
				t.Fatal(err)
			}
			checks, compiled := opens(c, 1)
			if want := map[bool]int64{true: 1, false: 0}[tc.rebuild]; compiled != want {
				t.Errorf("%d compiles after the change, want %d", compiled, want)
			}
			if !tc.rebuild {
				if checks != 1 {
					t.Errorf("%d CRC checks after the change, want 1", checks)
				}
				if checks, _ := opens(c, 2); checks != 0 {
					t.Errorf("%d CRC checks after the entry was checked again, want 0", checks)
				}
			}
		})
	}
}
