package wasm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkOpenHit is what a container start pays the cache on a hit: the
// directory and key checks, the index, the read-only view and the trailer
// check (one cache value per start, as in wasm-runc). docs/performance.md
// quotes it.
func BenchmarkOpenHit(b *testing.B) {
	d := b.TempDir()
	c := fakeCache(filepath.Join(d, "cache"))
	m := testModule(b, d, "a.wasm", "module a")
	old := settleTime
	settleTime = 0
	defer func() { settleTime = old }()
	for i := 0; i < 3; i++ {
		e, err := c.Open(context.Background(), m, CompileLimits{})
		if err != nil {
			b.Fatal(err)
		}
		e.File.Close()
	}
	c.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cc := fakeCache(c.Dir)
		e, err := cc.Open(context.Background(), m, CompileLimits{})
		if err != nil {
			b.Fatal(err)
		}
		e.File.Close()
		cc.Close()
	}
}

// BenchmarkReadOnlyTree is the detached read-only mount alone.
func BenchmarkReadOnlyTree(b *testing.B) {
	d := b.TempDir()
	for i := 0; i < b.N; i++ {
		fd, err := readOnlyTree(d)
		if err != nil {
			b.Skip("no mount privilege:", err)
		}
		os.NewFile(uintptr(fd), "tree").Close()
	}
}
