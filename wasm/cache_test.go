package wasm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasm-runc/wasm-runc/wasm/compiler"
)

func open(t *testing.T, c *CompileCache, m *Module) *Entry {
	t.Helper()
	e, err := c.Open(context.Background(), m, CompileLimits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.File.Close() })
	var magic [4]byte
	if _, err := e.File.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "\x7fELF" {
		t.Fatalf("entry does not start with the compiled module: %q %v", magic, err)
	}
	if e.Size != 4096 {
		t.Fatalf("entry payload %d bytes, want 4096", e.Size)
	}
	return e
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

func newCache(t *testing.T) (*CompileCache, string) {
	d := t.TempDir()
	return fakeCache(filepath.Join(d, "cache")), d
}

func TestCacheMissThenHit(t *testing.T) {
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	before := compiles.Load()
	open(t, c, m)
	open(t, c, m)
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("%d compiles for two opens, want 1", n)
	}
	e := onlyEntry(t, c)
	if st, _ := os.Stat(e.Path); st.Mode().Perm() != entryMode {
		t.Errorf("entry mode %v", st.Mode().Perm())
	}
	// Text and binary of the same bytes are different entries.
	open(t, c, testModule(t, d, "a.wat", "module a"))
	if l, _ := c.List(); len(l) != 2 {
		t.Errorf("%d entries, want 2", len(l))
	}
}

// TestCacheEntryReadOnlyForContainers: the fd handed to a container refuses
// chmod, writes and truncation through /proc/<pid>/fd/N even for root, so
// no container can change the code other containers map (EROFS from the
// read-only mount, or EPERM from a sealed memfd).
func TestCacheEntryReadOnlyForContainers(t *testing.T) {
	c, d := newCache(t)
	e := open(t, c, testModule(t, d, "a.wasm", "module a"))
	link := "/proc/self/fd/" + strconv.Itoa(int(e.File.Fd()))
	if err := os.Chmod(link, 0o666); err == nil {
		t.Fatal("chmod through the container's fd succeeded")
	} else if !errors.Is(err, unix.EROFS) && !errors.Is(err, unix.EPERM) {
		t.Errorf("chmod: %v, want EROFS or EPERM", err)
	}
	if f, err := os.OpenFile(link, os.O_WRONLY, 0); err == nil {
		f.Close()
		t.Fatal("open for writing through the container's fd succeeded")
	}
	if err := unix.Ftruncate(int(e.File.Fd()), 1); err == nil {
		t.Fatal("truncate succeeded")
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(e.File.Fd()), &st); err == nil && os.Geteuid() == 0 && st.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("entry fd is not on a read-only mount (flags %#x)", st.Flags)
	}
	// Nothing is mounted where anyone could see it.
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(b), c.dir()) {
		t.Errorf("the cache directory appears in mountinfo")
	}
}

// TestCacheRebuildsBadEntries: a damaged, planted or moved entry is never
// handed out; it is rebuilt.
func TestCacheRebuildsBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, c *CompileCache, path string, size int64) error
	}{
		{"truncated", func(t *testing.T, c *CompileCache, p string, size int64) error { return os.Truncate(p, size/2) }},
		{"trailer only", func(t *testing.T, c *CompileCache, p string, size int64) error { return os.Truncate(p, trailerSize) }},
		{"trailer cut off", func(t *testing.T, c *CompileCache, p string, size int64) error {
			return os.Truncate(p, size-trailerSize)
		}},
		{"empty", func(t *testing.T, c *CompileCache, p string, size int64) error { return os.Truncate(p, 0) }},
		{"payload byte flipped", func(t *testing.T, c *CompileCache, p string, size int64) error { return flip(p, 100) }},
		{"trailer MAC changed", func(t *testing.T, c *CompileCache, p string, size int64) error {
			return flip(p, size-trailerSize+30)
		}},
		{"payload replaced, trailer recomputed without the key", func(t *testing.T, c *CompileCache, p string, size int64) error {
			// What an attacker who can write the file but not read the key
			// can do: a new payload and a trailer made with another key.
			other := fakeCache(filepath.Join(t.TempDir(), "other"))
			oe := open(t, other, testModule(t, t.TempDir(), "evil.wasm", "evil"))
			b, err := os.ReadFile(onlyEntry(t, other).Path)
			if err != nil {
				return err
			}
			oe.File.Close()
			os.Remove(p)
			return os.WriteFile(p, b, 0o444)
		}},
		{"entry of another key renamed", func(t *testing.T, c *CompileCache, p string, size int64) error {
			o := open(t, c, testModule(t, t.TempDir(), "b.wasm", "module b"))
			o.File.Close()
			var other string
			l, _ := c.List()
			for _, e := range l {
				if e.Path != p {
					other = e.Path
				}
			}
			return os.Rename(other, p)
		}},
		{"appended", func(t *testing.T, c *CompileCache, p string, size int64) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("junk"))
			return err
		}},
		{"replaced by a symlink", func(t *testing.T, c *CompileCache, p string, size int64) error {
			os.Remove(p)
			return os.Symlink("/etc/passwd", p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, d := newCache(t)
			m := testModule(t, d, "a.wasm", "module a")
			open(t, c, m).File.Close()
			e := onlyEntry(t, c)
			if err := tc.damage(t, c, e.Path, e.Size); err != nil {
				t.Fatal(err)
			}
			before := compiles.Load()
			open(t, c, m)
			if n := compiles.Load() - before; n != 1 {
				t.Errorf("%d compiles after damage, want 1", n)
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

// TestCacheIndexForged: an index line vouching for an entry only counts
// with the cache's MAC, so a planted entry plus a forged index line still
// gets its MAC checked (and is rebuilt).
func TestCacheIndexForged(t *testing.T) {
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	open(t, c, m).File.Close()
	open(t, c, m).File.Close() // records the checked identity
	e := onlyEntry(t, c)
	flip(e.Path, 100)
	// Forge every index line to vouch for the damaged file's identity.
	var st unix.Stat_t
	if err := unix.Stat(e.Path, &st); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(c.dir(), "index"))
	for _, ie := range ents {
		p := filepath.Join(c.dir(), "index", ie.Name())
		b, _ := os.ReadFile(p)
		line := string(b[:65]) + checkedIdentity(&st) + " " + strings.Repeat("0", 64) + "\n"
		os.WriteFile(p, []byte(line), 0o600)
	}
	before := compiles.Load()
	open(t, c, m)
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("%d compiles, want 1: the forged index line was believed", n)
	}
}

func TestCacheCheckedOncePerBoot(t *testing.T) {
	if bootID() == "" {
		t.Skip("no /proc/sys/kernel/random/boot_id: every open checks the MAC")
	}
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	open(t, c, m).File.Close()
	open(t, c, m).File.Close()
	before := macChecks.Load()
	for i := 0; i < 3; i++ {
		open(t, c, m).File.Close()
	}
	if n := macChecks.Load() - before; n != 0 {
		t.Errorf("%d MAC checks on three warm opens, want 0", n)
	}
	// Any change to the entry (here a chmod) changes its ctime: checked again.
	os.Chmod(onlyEntry(t, c).Path, 0o444)
	open(t, c, m).File.Close()
	if n := macChecks.Load() - before; n != 1 {
		t.Errorf("%d MAC checks after a chmod, want 1", n)
	}
}

func TestCacheStaleModule(t *testing.T) {
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "version 1")
	open(t, c, m)
	time.Sleep(10 * time.Millisecond)
	testModule(t, d, "a.wasm", "version 2")
	before := compiles.Load()
	open(t, c, m)
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("a changed module was not recompiled (%d compiles)", n)
	}
}

func TestCacheCompileErrors(t *testing.T) {
	c, d := newCache(t)
	for _, tc := range []struct {
		name, file, content, want string
		lim                       CompileLimits
	}{
		{"rejected", "r.wasm", "REJECT", "compile %s: refused: REJECT found", CompileLimits{}},
		{"no header", "n.wasm", "#!/bin/sh", "compile %s: not a WebAssembly module (no magic number)", CompileLimits{}},
		{"too large", "big.wasm", strings.Repeat("x", 100), "compile %s: 108 bytes is more than the 50 this runtime accepts", CompileLimits{ModuleMaxBytes: 50}},
		{"text too large", "big.wat", strings.Repeat("x", 100), "compile %s: 100 bytes is more than the 20 this runtime accepts", CompileLimits{TextMaxBytes: 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(d, tc.file)
			content := tc.content
			if strings.HasSuffix(tc.file, ".wasm") && tc.name != "no header" {
				content = "\x00asm\x01\x00\x00\x00" + content
			}
			os.WriteFile(p, []byte(content), 0o644)
			_, err := c.Open(context.Background(), &Module{GuestPath: p, Rootfs: "/", Text: strings.HasSuffix(p, ".wat")}, tc.lim)
			var ce *CompileError
			if !errors.As(err, &ce) || err.Error() != strings.Replace(tc.want, "%s", p, 1) {
				t.Errorf("err = %v", err)
			}
		})
	}
	if l, _ := c.List(); len(l) != 0 {
		t.Errorf("failed compiles left %d entries", len(l))
	}
	assertNoLeftovers(t, c)
}

// TestCacheHeaderBeforeRead: a huge sparse file named .wasm without a
// module header is refused without being read.
func TestCacheHeaderBeforeRead(t *testing.T) {
	c, d := newCache(t)
	p := filepath.Join(d, "sparse.wasm")
	f, _ := os.Create(p)
	f.Truncate(100 << 20)
	f.Close()
	start := time.Now()
	_, err := c.Open(context.Background(), &Module{GuestPath: p, Rootfs: "/"}, CompileLimits{})
	if err == nil || !strings.Contains(err.Error(), "not a WebAssembly module") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("refused in %v", time.Since(start))
}

// assertNoLeftovers: no temp names, no lock files but the compile slots.
func assertNoLeftovers(t *testing.T, c *CompileCache) {
	t.Helper()
	for _, dir := range []string{c.engineDir(), filepath.Join(c.dir(), "locks")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".tmp-") || (filepath.Base(dir) == "locks" && !strings.HasPrefix(e.Name(), "slot-")) {
				t.Errorf("left behind: %s/%s", dir, e.Name())
			}
		}
	}
}

func TestCacheConcurrentGoroutines(t *testing.T) {
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	before := compiles.Load()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := fakeCache(c.Dir) // one cache value per start, as in wasm-runc
			e, err := cc.Open(context.Background(), m, CompileLimits{})
			if err != nil {
				t.Error(err)
				return
			}
			e.File.Close()
			cc.Close()
		}()
	}
	wg.Wait()
	if n := compiles.Load() - before; n != 1 {
		t.Errorf("%d compiles, want 1", n)
	}
	onlyEntry(t, c)
	assertNoLeftovers(t, c)
}

func TestCacheConcurrentProcesses(t *testing.T) {
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	exe, _ := os.Executable()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), "WASM_CACHE_TEST=1", "WASM_CACHE_DIR="+c.Dir, "WASM_CACHE_MODULE="+m.GuestPath)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "4096" {
				t.Errorf("child: %v %q", err, out)
			}
		}()
	}
	wg.Wait()
	onlyEntry(t, c)
	assertNoLeftovers(t, c)
}

// TestCacheLockWaitBounded: a create waiting for another's compile of the
// same module gives up at the deadline with a clear error.
func TestCacheLockWaitBounded(t *testing.T) {
	c, d := newCache(t)
	m := testModule(t, d, "a.wasm", "module a")
	started := make(chan struct{})
	release := make(chan struct{})
	slow := fakeCache(c.Dir)
	slow.Compile = func(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error {
		close(started)
		<-release
		return fakeCompile(ctx, src, out, kind, lim)
	}
	done := make(chan error)
	go func() {
		e, err := slow.Open(context.Background(), m, CompileLimits{})
		if err == nil {
			e.File.Close()
		}
		done <- err
	}()
	<-started
	_, err := c.Open(context.Background(), m, CompileLimits{Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "(the compile deadline) for other compiles") {
		t.Errorf("err = %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertNoLeftovers(t, c)
}

// TestCacheCompileSlots: at most Jobs compiles run at once.
func TestCacheCompileSlots(t *testing.T) {
	c, d := newCache(t)
	var mu sync.Mutex
	running, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := fakeCache(c.Dir)
			cc.Jobs = 2
			cc.Compile = func(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
				return fakeCompile(ctx, src, out, kind, lim)
			}
			e, err := cc.Open(context.Background(), testModule(t, d, "m"+strconv.Itoa(i)+".wasm", "m"+strconv.Itoa(i)), CompileLimits{})
			if err != nil {
				t.Error(err)
				return
			}
			e.File.Close()
		}()
	}
	wg.Wait()
	if most > 2 {
		t.Errorf("%d compiles at once, want at most 2", most)
	}
}

func TestCachePruneList(t *testing.T) {
	c, d := newCache(t)
	for i := 0; i < 3; i++ {
		open(t, c, testModule(t, d, "m"+strconv.Itoa(i)+".wasm", "m"+strconv.Itoa(i))).File.Close()
	}
	l, _ := c.List()
	if len(l) != 3 {
		t.Fatalf("%d entries", len(l))
	}
	if n, err := c.Prune(l[0].Size * 2); err != nil || n != 1 {
		t.Errorf("prune to two entries removed %d (%v)", n, err)
	}
	if n, err := c.Prune(0); err != nil || n != 2 {
		t.Errorf("prune all removed %d (%v)", n, err)
	}
	ents, _ := os.ReadDir(filepath.Join(c.dir(), "locks"))
	if len(ents) != 0 {
		t.Errorf("locks left after prune all: %d", len(ents))
	}
}

// TestCacheEntryCap: an entry may not exceed EntryMaxBytes (nor half the
// cache), so one module cannot evict all the others.
func TestCacheEntryCap(t *testing.T) {
	c, d := newCache(t)
	c.MaxBytes = 1 << 20
	c.EntryMaxBytes = 4 << 20
	var got int64
	c.Compile = func(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error {
		got = lim.MaxOutput
		return fakeCompile(ctx, src, out, kind, lim)
	}
	open(t, c, testModule(t, d, "a.wasm", "a"))
	if got != c.MaxBytes/2-trailerSize {
		t.Errorf("worker's output cap %d, want %d", got, c.MaxBytes/2-trailerSize)
	}
}

func TestCacheOtherEnginesPruned(t *testing.T) {
	c, d := newCache(t)
	old := filepath.Join(c.dir(), "e-0000000000000000")
	os.MkdirAll(old, 0o700)
	os.WriteFile(filepath.Join(old, strings.Repeat("a", 64)+".cwasm"), []byte("old"), 0o444)
	os.WriteFile(filepath.Join(c.dir(), strings.Repeat("b", 64)+".cwasm"), []byte("v2"), 0o444)
	open(t, c, testModule(t, d, "a.wasm", "a"))
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("another engine's directory survived a store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir(), strings.Repeat("b", 64)+".cwasm")); !os.IsNotExist(err) {
		t.Errorf("an entry of the old layout survived a store: %v", err)
	}
}

// TestCacheDirChecks: a cache directory that is a symlink, or not ours, is
// refused before anything is created in it or its target.
func TestCacheDirChecks(t *testing.T) {
	d := t.TempDir()
	target := filepath.Join(d, "target")
	os.Mkdir(target, 0o700)
	link := filepath.Join(d, "link")
	os.Symlink(target, link)
	m := testModule(t, d, "a.wasm", "a")
	_, err := fakeCache(link).Open(context.Background(), m, CompileLimits{})
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("symlinked cache dir: %v", err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 0 {
		t.Errorf("created %d entries in the link's target", len(ents))
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(d, "other")
		os.Mkdir(other, 0o700)
		os.Chown(other, 65534, 65534)
		_, err := fakeCache(other).Open(context.Background(), m, CompileLimits{})
		if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("foreign cache dir: %v", err)
		}
		if ents, _ := os.ReadDir(other); len(ents) != 0 {
			t.Errorf("created %d entries in a foreign dir", len(ents))
		}
	}
	open := filepath.Join(d, "open")
	os.Mkdir(open, 0o777)
	if _, err := fakeCache(open).Open(context.Background(), m, CompileLimits{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(open); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %v left", st.Mode().Perm())
	}
	if st, err := os.Stat(open + ".key"); err != nil || st.Mode().Perm() != 0o600 || st.Size() != macKeySize {
		t.Errorf("key: %v %v", st, err)
	}
}

func TestCacheModuleInRootfs(t *testing.T) {
	c, d := newCache(t)
	root := filepath.Join(d, "rootfs")
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	testModule(t, filepath.Join(root, "app"), "m.wasm", "in rootfs")
	// A symlink that points outside the rootfs resolves inside it.
	os.Symlink("/app/m.wasm", filepath.Join(root, "link.wasm"))
	e, err := c.Open(context.Background(), &Module{GuestPath: "/link.wasm", Rootfs: root}, CompileLimits{})
	if err != nil {
		t.Fatal(err)
	}
	e.File.Close()
}
