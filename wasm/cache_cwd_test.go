package wasm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasm-runc/wasm-runc/wasm/compiler"
)

// TestCacheCwd: a module that names wasi-libc's path lookup, run with a
// working directory other than "/", is compiled for that directory (the
// worker gets it) and has an entry per directory; run in "/" it keeps the
// key it always had; a module without those names (Go, WAT) has one entry
// whatever the directory, and the worker never sees a cwd for it.
func TestCacheCwd(t *testing.T) {
	c, d := newCache(t)
	var mu sync.Mutex
	var cwds []string
	c.Compile = func(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error {
		mu.Lock()
		cwds = append(cwds, lim.Cwd)
		mu.Unlock()
		return fakeCompile(ctx, src, out, kind, lim)
	}
	libc := testModule(t, d, "libc.wasm", "code ... name section: __wasilibc_find_abspath ...")
	golang := testModule(t, d, "go.wasm", "code ... name section: syscall.Open ...")
	keyOf := func(m *Module, cwd string) string {
		t.Helper()
		mm := *m
		mm.Cwd = cwd
		e := open(t, c, &mm)
		l, err := c.List()
		if err != nil {
			t.Fatal(err)
		}
		for _, ce := range l {
			if b, err := os.ReadFile(ce.Path); err == nil {
				if mine, err := readAll(e.File); err == nil && bytes.Equal(b, mine) {
					return ce.Key
				}
			}
		}
		t.Fatalf("the entry of %s (cwd %q) is not in the cache", m.GuestPath, cwd)
		return ""
	}

	src, err := os.Open(libc.GuestPath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	plain, err := moduleKey(src, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, cwd := range []string{"", "/", "//", "/.", "relative", "/" + strings.Repeat("d", cwdMax)} {
		if k := keyOf(libc, cwd); k != plain {
			t.Errorf("cwd %q: key %s, want the module's own key %s", cwd, k, plain)
		}
	}
	data := keyOf(libc, "/data")
	if data == plain || keyOf(libc, "/data/") != data || keyOf(libc, "/srv") == data {
		t.Errorf("cwd /data: key %s; /data/ must share it, / and /srv must not", data)
	}
	g := keyOf(golang, "/")
	if keyOf(golang, "/data") != g {
		t.Errorf("a module without wasi-libc's names got an entry per cwd")
	}
	want := []string{"", "/data", "/srv", ""}
	if strings.Join(cwds, ",") != strings.Join(want, ",") {
		t.Errorf("the worker compiled with cwds %q, want %q", cwds, want)
	}
}

// TestContainsBytes: the name is found wherever it lies, across the
// pieces the file is read in.
func TestContainsBytes(t *testing.T) {
	d := t.TempDir()
	n := len(wasiLibcName)
	for _, at := range []int{0, 1, 256<<10 - n, 256<<10 - n + 1, 256<<10 - 1, 256 << 10, 3 << 20} {
		b := make([]byte, 4<<20)
		copy(b[at:], wasiLibcName)
		p := filepath.Join(d, "m")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		found, err := containsBytes(f, wasiLibcName)
		f.Close()
		if err != nil || !found {
			t.Errorf("name at %d: found %v, %v", at, found, err)
		}
		b[at+n-1] ^= 1
		os.WriteFile(p, b, 0o644)
		f, _ = os.Open(p)
		found, _ = containsBytes(f, wasiLibcName)
		f.Close()
		if found {
			t.Errorf("a name cut short at %d was found", at)
		}
	}
}

func readAll(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	return b, err
}

// BenchmarkContainsBytes: the host's search for wasi-libc's name, paid on
// an index miss by a module run with a cwd other than "/"
// (docs/performance.md). The file is 3 MB, about a Go hello.
func BenchmarkContainsBytes(b *testing.B) {
	p := filepath.Join(b.TempDir(), "m")
	if err := os.WriteFile(p, bytes.Repeat([]byte("\x00asm_wasilibc"), 3<<20/13), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(3 << 20)
	for b.Loop() {
		if found, err := containsBytes(f, wasiLibcName); err != nil || found {
			b.Fatal(found, err)
		}
	}
}
