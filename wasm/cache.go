package wasm

// cache.go: the compiled-module cache, and Open, the one call a container
// start makes of it. The other cache_*.go files each hold one of its jobs.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/wasm-runc/wasm-runc/wasm/compiler"
	"github.com/wasm-runc/wasm-runc/wasm/engine"
)

// DefaultCacheDir holds compiled modules of root when CompileCache.Dir is empty.
const DefaultCacheDir = "/var/cache/wasm-runc"

// Defaults of the limits (docs/wasm.md, "Compile limits"); each has a flag.
const (
	DefaultCacheMaxBytes  int64 = 2 << 30
	DefaultEntryMaxBytes  int64 = 512 << 20
	DefaultModuleMaxBytes int64 = 256 << 20
	DefaultTextMaxBytes   int64 = 16 << 20
	DefaultCompileMemory  int64 = 2 << 30
	DefaultCompileTimeout       = 120 * time.Second
	DefaultCompileJobs          = 2
)

// CompileCache keeps modules compiled by the compile worker (wasm/compiler)
// in a directory owned by the user running wasm-runc, so that a container
// start costs a file check instead of a Cranelift compile. docs/wasm.md
// ("Compiled-module cache") and docs/security.md describe the design.
//
// Layout of Dir:
//
//	e-<engine id>/<key>.cwasm  an entry: wasmtime's serialized module (an
//	                           ELF image) from offset 0, then a 64-byte
//	                           trailer with its HMAC; mode 0444
//	index/<prekey>             the key last computed for a module file with
//	                           this identity, and the entry's identity when
//	                           its MAC was last checked (itself MACed)
//	locks/<key>                flock(2) files: one compile per key host-wide,
//	                           removed by the holder when done
//	locks/slot-<n>             the compile slots (Jobs at a time host-wide)
//
// and, beside Dir, Dir+".key": the MAC key (0600). An entry is only handed
// out after its MAC checks (once per boot and inode, see cache_index.go),
// so an entry planted or changed by anyone without the key never runs.
// Containers get entries through a detached read-only mount
// (cache_view.go): no process in a container can chmod, write or truncate
// one.
type CompileCache struct {
	Dir      string // DefaultCacheDir when empty
	MaxBytes int64  // total size of entries kept after a store; 0 = DefaultCacheMaxBytes
	// EntryMaxBytes caps one entry (the compile worker's RLIMIT_FSIZE too);
	// 0 = DefaultEntryMaxBytes, and never more than MaxBytes/2.
	EntryMaxBytes int64
	// Jobs is the number of compiles that may run at once host-wide;
	// 0 = DefaultCompileJobs.
	Jobs int
	// Compile runs the compile worker; nil is compiler.Compile. Tests put a
	// fake here.
	Compile func(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error

	tree      int // read-only clone of the engine directory (cache_view.go)
	treeTried bool
	key       []byte // the MAC key, once read
}

// CompileLimits bound the compile of one module; zero fields take the
// defaults above.
type CompileLimits struct {
	Timeout        time.Duration
	Memory         int64
	ModuleMaxBytes int64
	TextMaxBytes   int64
	// Cgroup, CPUQuota, CPUPeriod: see compiler.Limits.
	Cgroup    string
	CPUQuota  int64
	CPUPeriod uint64
}

func (l CompileLimits) withDefaults() CompileLimits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultCompileTimeout
	}
	if l.Memory <= 0 {
		l.Memory = DefaultCompileMemory
	}
	if l.ModuleMaxBytes <= 0 {
		l.ModuleMaxBytes = DefaultModuleMaxBytes
	}
	if l.TextMaxBytes <= 0 {
		l.TextMaxBytes = DefaultTextMaxBytes
	}
	return l
}

// Entry is a compiled module opened for a container.
type Entry struct {
	File *os.File // read only, on a read-only mount; the caller closes it
	Size int64    // bytes of wasmtime's serialized module from offset 0
}

// CacheEntry describes one compiled module in the cache.
type CacheEntry struct {
	Key      string    // hex SHA-256 naming the entry
	Size     int64     // bytes on disk, trailer included
	LastUsed time.Time // last Open that returned it (within touchEvery)
	Path     string
}

// CompileError is a module that could not be compiled or was refused by a
// limit: Msg is one line, capped and escaped.
type CompileError struct {
	Path string // GuestPath of the module
	Msg  string
}

func (e *CompileError) Error() string { return "compile " + e.Path + ": " + e.Msg }

// compiles counts compiles in this process, for tests; macChecks counts
// full MAC checks of an entry.
var compiles, macChecks atomic.Int64

var fingerprint = engine.Fingerprint

func (c *CompileCache) dir() string {
	if c.Dir == "" {
		if os.Geteuid() != 0 {
			return "" // ensureDir refuses: a rootless user names one
		}
		return DefaultCacheDir
	}
	return c.Dir
}

func (c *CompileCache) maxBytes() int64 {
	if c.MaxBytes <= 0 {
		return DefaultCacheMaxBytes
	}
	return c.MaxBytes
}

func (c *CompileCache) entryMaxBytes() int64 {
	m := c.EntryMaxBytes
	if m <= 0 {
		m = DefaultEntryMaxBytes
	}
	return min(m, c.maxBytes()/2)
}

// engineDir holds the entries of this binary's engine; other engines'
// directories are pruned, never loaded.
func (c *CompileCache) engineDir() string { return filepath.Join(c.dir(), "e-"+engine.ID()) }

func (c *CompileCache) entryPath(key string) string {
	return filepath.Join(c.engineDir(), key+entrySuffix)
}

// Open returns the compiled form of m, opened read-only through a
// read-only mount for a container, compiling and storing it when no valid
// entry exists. The compile runs in the worker with lim's bounds; ctx
// cancels it. A module that is refused gives a *CompileError.
func (c *CompileCache) Open(ctx context.Context, m *Module, lim CompileLimits) (*Entry, error) {
	lim = lim.withDefaults()
	if err := c.ensureDir(); err != nil {
		return nil, err
	}
	macKey, err := c.macKey()
	if err != nil {
		return nil, err
	}
	src, err := openModule(m)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat module %s: %w", m.GuestPath, err)
	}
	// Sizes and the header first: nothing of a file that cannot be a module
	// is read.
	max := lim.ModuleMaxBytes
	if m.Text {
		max = lim.TextMaxBytes
	}
	if st.Size > max {
		return nil, &CompileError{Path: m.GuestPath, Msg: fmt.Sprintf("%d bytes is more than the %d this runtime accepts", st.Size, max)}
	}
	if !m.Text {
		var head [4]byte
		if n, _ := src.ReadAt(head[:], 0); n < 4 || string(head[:]) != "\x00asm" {
			return nil, &CompileError{Path: m.GuestPath, Msg: "not a WebAssembly module (no magic number)"}
		}
	}

	// Fast path: a file with the same identity was hashed before.
	pre := cwdPreKey(preKey(&st, m.Text, m.Component), m.Cwd)
	settled := time.Since(time.Unix(st.Ctim.Unix())) > settleTime
	if key, checked, ok := c.readIndex(pre, macKey); ok {
		if e, fresh := c.openEntry(key, checked, macKey); e != nil {
			if fresh != "" && settled {
				c.writeIndex(pre, key, fresh, macKey)
			}
			return e, nil
		}
	}

	key, err := moduleKey(src, m.Text, m.Component)
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", m.GuestPath, err)
	}
	key, cwd, err := cwdKey(src, key, m.Cwd)
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", m.GuestPath, err)
	}
	if e, fresh := c.openEntry(key, "", macKey); e != nil {
		if settled {
			c.writeIndex(pre, key, fresh, macKey)
		}
		return e, nil
	}

	// Miss: compile once per key host-wide; concurrent Opens wait (until
	// the deadline) and reuse.
	deadline := time.Now().Add(lim.Timeout)
	unlock, err := c.lockKey(ctx, key, deadline)
	if err != nil {
		return nil, c.waitError(m, err, lim)
	}
	defer unlock()
	if e, fresh := c.openEntry(key, "", macKey); e != nil {
		if settled {
			c.writeIndex(pre, key, fresh, macKey)
		}
		return e, nil
	}
	release, err := c.compileSlot(ctx, deadline)
	if err != nil {
		return nil, c.waitError(m, err, lim)
	}
	defer release()
	e, err := c.compileAndStore(ctx, src, m, key, cwd, macKey, lim, time.Until(deadline))
	if err != nil {
		return nil, err
	}
	if settled {
		c.writeIndex(pre, key, "", macKey) // the entry is too new to record as checked
	}
	c.evict(key)
	return e, nil
}

func (c *CompileCache) waitError(m *Module, err error, lim CompileLimits) error {
	if errors.Is(err, errLockTimeout) {
		return &CompileError{Path: m.GuestPath, Msg: fmt.Sprintf("waited longer than %s (the compile deadline) for other compiles", lim.Timeout)}
	}
	return err
}

// compileAndStore runs the worker on src into an unnamed file in the
// engine directory, seals it with the trailer and links it in as key. cwd
// is the working directory to build in (cwdKey), or "".
func (c *CompileCache) compileAndStore(ctx context.Context, src *os.File, m *Module, key, cwd string, macKey []byte, lim CompileLimits, left time.Duration) (*Entry, error) {
	if left <= 0 {
		return nil, &CompileError{Path: m.GuestPath, Msg: fmt.Sprintf("waited longer than %s (the compile deadline) for other compiles", lim.Timeout)}
	}
	out, err := c.tempEntry()
	if err != nil {
		return nil, err
	}
	defer out.Close()
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read module %s: %w", m.GuestPath, err)
	}
	compile := c.Compile
	if compile == nil {
		compile = compiler.Compile
	}
	compiles.Add(1)
	err = compile(ctx, src, out, compiler.Source{Text: m.Text, Component: m.Component}, compiler.Limits{
		Timeout:   left,
		Memory:    lim.Memory,
		MaxInput:  max(lim.ModuleMaxBytes, lim.TextMaxBytes),
		MaxOutput: c.entryMaxBytes() - trailerSize,
		Cgroup:    lim.Cgroup,
		CPUQuota:  lim.CPUQuota,
		CPUPeriod: lim.CPUPeriod,
		Cwd:       cwd,
	})
	var rejected *compiler.RejectedError
	if errors.As(err, &rejected) {
		return nil, &CompileError{Path: m.GuestPath, Msg: rejected.Reason}
	}
	if err != nil {
		return nil, err
	}
	return c.seal(out, key, macKey)
}

// openModule opens m's file for reading, resolved inside m.Rootfs.
func openModule(m *Module) (*os.File, error) {
	h, err := pathrs.OpenInRoot(m.Rootfs, m.rootPath())
	if err != nil {
		return nil, fmt.Errorf("open module %s: %w", m.GuestPath, err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat module %s: %w", m.GuestPath, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("module %s: not a regular file", m.GuestPath)
	}
	if m.Ino != 0 && (st.Dev != m.Dev || st.Ino != m.Ino) {
		return nil, fmt.Errorf("module %s: replaced while the container was being created", m.GuestPath)
	}
	f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open module %s: %w", m.GuestPath, err)
	}
	return f, nil
}
