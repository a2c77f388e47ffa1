package wasm

// cache_prune.go: what the cache keeps: LRU eviction to MaxBytes, `cache
// prune`, and the sweeping of stale temp files and other engines' entries.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// List returns the cache's entries, least recently used first.
func (c *CompileCache) List() ([]CacheEntry, error) {
	ents, err := os.ReadDir(c.engineDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cache: %w", err)
	}
	var out []CacheEntry
	for _, e := range ents {
		key, ok := strings.CutSuffix(e.Name(), entrySuffix)
		if !ok || !isKey(key) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, CacheEntry{Key: key, Size: info.Size(), LastUsed: info.ModTime(), Path: filepath.Join(c.engineDir(), e.Name())})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastUsed.Equal(out[j].LastUsed) {
			return out[i].LastUsed.Before(out[j].LastUsed)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Prune removes least recently used entries until the rest fit in maxBytes;
// maxBytes <= 0 empties the cache (index and lock files too). Files already
// opened by a starting container stay readable until closed.
func (c *CompileCache) Prune(maxBytes int64) (removed int, err error) {
	removed, err = c.shrink(maxBytes, "")
	if err != nil {
		return removed, err
	}
	c.sweep()
	c.sweepIndex(maxBytes <= 0)
	if maxBytes <= 0 {
		ents, _ := os.ReadDir(filepath.Join(c.dir(), "locks"))
		for _, e := range ents {
			os.Remove(filepath.Join(c.dir(), "locks", e.Name()))
		}
	}
	return removed, nil
}

// evict enforces MaxBytes after a store, sparing the entry just stored.
func (c *CompileCache) evict(keep string) {
	if n, _ := c.shrink(c.maxBytes(), keep); n > 0 {
		c.sweepIndex(false)
	}
	c.sweep()
}

func (c *CompileCache) shrink(maxBytes int64, keep string) (int, error) {
	ents, err := c.List()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range ents {
		total += e.Size
	}
	removed := 0
	for _, e := range ents {
		if maxBytes > 0 && total <= maxBytes {
			break
		}
		if e.Key == keep {
			continue
		}
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("prune cache: %w", err)
		}
		total -= e.Size
		removed++
	}
	return removed, nil
}

// tmpMaxAge: a temp name this old belongs to a store that died between link
// and rename; younger ones may be in flight.
const tmpMaxAge = 10 * time.Minute

// sweep removes stale temp names and the directories of other engines
// (another wasmtime version or engine setting): their entries can never
// load again.
func (c *CompileCache) sweep() {
	ents, err := os.ReadDir(c.engineDir())
	if err == nil {
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".tmp-") {
				continue
			}
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > tmpMaxAge {
				os.Remove(filepath.Join(c.engineDir(), e.Name()))
			}
		}
	}
	// Lock files whose holder died (a create killed with SIGKILL): free
	// ones are taken and removed as their holder would have.
	locks, _ := os.ReadDir(filepath.Join(c.dir(), "locks"))
	for _, e := range locks {
		if isKey(e.Name()) {
			p := filepath.Join(c.dir(), "locks", e.Name())
			if f, busy, err := tryLock(p); err == nil && !busy {
				os.Remove(p)
				f.Close()
			}
		}
	}
	top, err := os.ReadDir(c.dir())
	if err != nil {
		return
	}
	mine := filepath.Base(c.engineDir())
	for _, e := range top {
		n := e.Name()
		if e.IsDir() && strings.HasPrefix(n, "e-") && n != mine {
			os.RemoveAll(filepath.Join(c.dir(), n))
		}
		// Entries of the layout before engine directories (wasm-runc 0.1).
		if e.Type().IsRegular() && (strings.HasSuffix(n, entrySuffix) || strings.HasPrefix(n, ".tmp-")) {
			os.Remove(filepath.Join(c.dir(), n))
		}
	}
}
