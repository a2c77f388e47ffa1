package wasm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// DefaultCacheDir holds compiled modules when CompileCache.Dir is empty.
const DefaultCacheDir = "/var/cache/wasm-runc"

// DefaultCacheMaxBytes bounds the cache when CompileCache.MaxBytes is 0.
const DefaultCacheMaxBytes int64 = 2 << 30

// maxModuleBytes refuses to read absurd files from a rootfs (a sparse 100 GB
// "app.wasm" must not stall create).
const maxModuleBytes = 1 << 30

// CompileCache keeps modules compiled by NewEngine's engine as .cwasm files
// in a root-owned directory (mode 0700), so that a container start costs a
// file check instead of a Cranelift compile.
//
// Layout of Dir:
//
//	<key>.cwasm      an entry: wasmtime's serialized module (an ELF image) from
//	                 offset 0, then a 64-byte trailer; mode 0444
//	index/<prekey>   the key last computed for a module file with this identity,
//	                 and the entry's identity when its CRC was last checked
//	locks/<key>      flock(2) files: one compile per key at a time, host-wide
//	.tmp-*           entries being written (renamed into place when complete)
//
// key is the SHA-256 of the module bytes together with EngineFingerprint
// (wasmtime version, engine settings, CPU features), so a .cwasm never
// meets an engine it was not built for. The trailer carries the payload size
// and its CRC32C: a truncated or altered entry is rebuilt, never handed out.
// Entries are not fsynced; a crash can leave a torn entry, which that check
// catches.
//
// The CRC is checked once per boot, not on every Open: after a full check
// the index records (boot id, device, inode, size, mtime, ctime) of the
// entry, and a later Open through that index line skips the CRC while
// fstat(2) of the opened entry still gives the same identity in the same
// boot. Any write, truncation, chmod or replacement changes ctime (which
// user space cannot set back) or the inode; a reboot, after which an
// unsynced entry may be torn, changes the boot id. Identities are only
// recorded once ctime is settleTime old, so that a change in the same tick
// of a coarse ctime clock cannot go unseen.
//
// wasmtime's bytes start at offset 0 (not after a header) so that the runner
// can hand the file to wasmtime.NewModuleDeserializeFile, which maps it
// instead of copying it: page-aligned code and data image straight from the
// page cache, shared by every container running the module. wasmtime ignores
// the bytes after its ELF image. Entries are world-readable (the runner
// reopens its fd through /proc/self/fd/N, which checks the file's own mode
// and not the 0700 directory's) and carry no write permission: the cache never
// writes an entry in place (it renames a complete temp file over it, and
// eviction only unlinks), which running containers that map it rely on.
//
// Measured on the development machine (2 shared cores, Go wasip1 hello of
// 2.8 MB, .cwasm 9.1 MB): see cacheFigures in cache_test.go and docs in doc.go.
type CompileCache struct {
	Dir      string // DefaultCacheDir when empty
	MaxBytes int64  // total size of entries kept after a store; 0 = DefaultCacheMaxBytes
}

// CacheEntry describes one compiled module in the cache.
type CacheEntry struct {
	Key      string    // hex SHA-256 naming the entry
	Size     int64     // bytes on disk, trailer included
	LastUsed time.Time // last Open that returned it (within touchEvery)
	Path     string
}

// Entry trailer, the last 64 bytes of an entry, little endian:
//
//	0  magic "wrcwasm2"
//	8  trailer size (uint32, 64)
//	12 CRC32C of the payload (uint32)
//	16 payload size (uint64): the trailer's own offset
//	24 key (32 bytes)
//	56 zero
const (
	trailerMagic = "wrcwasm2"
	trailerSize  = 64
	entrySuffix  = ".cwasm"
	entryMode    = 0o444
	// touchEvery limits LastUsed updates to one metadata write per entry per
	// interval: LRU order does not need finer grain than this. A touch
	// changes the entry's ctime, so the next Open after it checks the CRC
	// again (see CompileCache): a shorter interval costs more checks.
	touchEvery = 10 * time.Minute
)

// settleTime: a module file changed more recently than this is always
// hashed, and an entry changed more recently than this always has its CRC
// checked. Its ctime may not yet have ticked past a write that races us
// (ctime has the kernel's coarse clock granularity). A variable for tests.
var settleTime = 2 * time.Second

// compiles counts Cranelift compiles in this process, for tests; crcChecks
// counts full CRC checks of an entry.
var compiles, crcChecks atomic.Int64

// castagnoli is made on first use: MakeTable builds the SSE4.2 tables
// (about 0.1 ms), and package init runs in every process of this binary
// (host, libcontainer's init, runner) while only a full entry check needs it.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

func (c *CompileCache) dir() string {
	if c.Dir == "" {
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

func (c *CompileCache) entryPath(key string) string {
	return filepath.Join(c.dir(), key+entrySuffix)
}

// Open returns a read-only file of the entry holding wasmtime's serialized
// form of m (from offset 0; the trailer follows it), compiling and storing
// it when no valid entry exists. Pass the file to RunnerOptions via
// ExtraFiles; the caller closes it.
//
// A module that fails to compile gives an error carrying wasmtime's message.
func (c *CompileCache) Open(m *Module) (*os.File, error) {
	if err := c.ensureDir(); err != nil {
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
	if st.Size > maxModuleBytes {
		return nil, fmt.Errorf("module %s: %d bytes is more than the %d this runtime accepts", m.GuestPath, st.Size, maxModuleBytes)
	}

	// Fast path: a file with the same identity was hashed before.
	pre := preKey(&st, m.Text)
	settled := time.Since(time.Unix(st.Ctim.Unix())) > settleTime
	if key, checked, ok := c.readIndex(pre); ok {
		if f, fresh := c.openEntry(key, checked); f != nil {
			if fresh != "" && settled {
				c.writeIndex(pre, key, fresh)
			}
			return f, nil
		}
	}

	data, err := io.ReadAll(io.LimitReader(src, maxModuleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", m.GuestPath, err)
	}
	key := moduleKey(data, m.Text)
	if f, fresh := c.openEntry(key, ""); f != nil {
		if settled {
			c.writeIndex(pre, key, fresh)
		}
		return f, nil
	}

	// Miss: compile once per key host-wide; concurrent Opens wait and reuse.
	unlock, err := c.lock(key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if f, fresh := c.openEntry(key, ""); f != nil {
		if settled {
			c.writeIndex(pre, key, fresh)
		}
		return f, nil
	}
	serialized, err := compile(data, m.Text)
	if err != nil {
		return nil, &CompileError{Path: m.GuestPath, Msg: oneLine(wasmtimeMessage(err))}
	}
	f, err := c.store(key, serialized)
	if err != nil {
		return nil, err
	}
	if settled {
		c.writeIndex(pre, key, "") // the entry is too new to record as checked
	}
	c.evict(key)
	return f, nil
}

// CompileError is a module wasmtime refused; Msg is wasmtime's message and
// its causes, on one line.
type CompileError struct {
	Path string // GuestPath of the module
	Msg  string
}

func (e *CompileError) Error() string { return "compile " + e.Path + ": " + e.Msg }

// wasmtimeMessage is err's text without the Rust backtrace that anyhow
// appends when RUST_BACKTRACE or RUST_LIB_BACKTRACE is set.
func wasmtimeMessage(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\nStack backtrace:")
	return strings.TrimRight(msg, " \n")
}

// causeNumber starts a cause in anyhow's numbered list. Compiled on first
// use: package init runs in every process of this binary (host, libcontainer
// init, runner), and only error paths need it.
var causeNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^    [0-9]+: `) })

// oneLine folds an anyhow report into one line, "message: cause: cause", so
// that an error reaches stderr and the --log file as a single line (callers
// read the last line). anyhow writes the causes after "Caused by:", indented
// and numbered when there are several; a cause's Debug output may span
// lines ("expected=[\n        0x0,\n ...    ]").
func oneLine(msg string) string {
	head, causes, found := strings.Cut(msg, "\n\nCaused by:\n")
	parts := []string{head}
	if found {
		// Numbered causes start at the list's indent with "N: "; any other
		// line continues the cause before it.
		lines := strings.Split(causes, "\n")
		re := causeNumber()
		numbered := re.MatchString(lines[0])
		var cur []string
		for _, line := range lines {
			if numbered && re.MatchString(line) && len(cur) > 0 {
				parts = append(parts, strings.Join(cur, " "))
				cur = nil
			}
			if numbered {
				line = re.ReplaceAllString(line, "")
			}
			cur = append(cur, line)
		}
		parts = append(parts, strings.Join(cur, " "))
	}
	for i, p := range parts {
		p = strings.Join(strings.Fields(p), " ")
		p = strings.ReplaceAll(p, "[ ", "[")
		parts[i] = strings.ReplaceAll(p, ", ]", "]")
	}
	return strings.Join(parts, ": ")
}

// openModule opens m's file for reading, inside m.Rootfs when it is known.
func openModule(m *Module) (*os.File, error) {
	if m.Rootfs != "" {
		h, err := pathrs.OpenInRoot(m.Rootfs, m.GuestPath)
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
		f, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			return nil, fmt.Errorf("open module %s: %w", m.GuestPath, err)
		}
		return f, nil
	}
	// O_NONBLOCK: a FIFO planted under the name must not hang us.
	fd, err := unix.Open(m.HostPath, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open module %s: %w", m.HostPath, &fs.PathError{Op: "open", Path: m.HostPath, Err: err})
	}
	f := os.NewFile(uintptr(fd), m.HostPath)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, fmt.Errorf("module %s: not a regular file", m.HostPath)
	}
	return f, nil
}

// moduleKey names the entry for module bytes under this engine.
func moduleKey(data []byte, text bool) string {
	digest := sha256.Sum256(data)
	h := sha256.New()
	fmt.Fprintf(h, "wasm-runc cache v2\n%s\ntext=%t\n", fingerprint(), text)
	h.Write(digest[:])
	return hex.EncodeToString(h.Sum(nil))
}

// preKey names a module file by identity rather than content. It is only a
// hint: it leads to a key, and the entry under that key is still checked.
func preKey(st *unix.Stat_t, text bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "wasm-runc prekey v2\n%s\ntext=%t\n%d %d %d %d.%d %d.%d\n", fingerprint(), text,
		st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	return hex.EncodeToString(h.Sum(nil))
}

func compile(data []byte, text bool) ([]byte, error) {
	compiles.Add(1)
	if text {
		bin, err := wasmtime.Wat2Wasm(string(data))
		if err != nil {
			return nil, err
		}
		data = bin
	}
	engine, err := NewEngine()
	if err != nil {
		return nil, err
	}
	defer engine.Close()
	mod, err := wasmtime.NewModule(engine, data)
	if err != nil {
		return nil, err
	}
	defer mod.Close()
	return mod.Serialize()
}

// ensureDir creates the cache directory, or checks that an existing one is
// ours alone: anyone else able to write there could plant compiled code.
func (c *CompileCache) ensureDir() error {
	dir := c.dir()
	for _, d := range []string{dir, filepath.Join(dir, "index"), filepath.Join(dir, "locks")} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			if errors.Is(err, fs.ErrNotExist) {
				err = os.MkdirAll(d, 0o700)
			}
			if err != nil {
				return fmt.Errorf("create cache directory: %w", err)
			}
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("cache directory: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("cache directory %s: not a directory", dir)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("cache directory %s: owned by uid %d, not %d", dir, st.Uid, os.Geteuid())
	}
	if st.Mode&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("cache directory: %w", err)
		}
	}
	return nil
}

// openEntry returns the entry for key, checked and positioned at offset 0,
// or nil. A corrupt entry is removed so that the caller rebuilds it.
//
// checked is the identity recorded in the index after the last full check
// of this entry (see checkedIdentity); when the opened file still has it,
// only the trailer is checked, not the CRC of the payload. fresh is the
// identity to record after a full check that may be skipped next time, or
// "" (no boot id, or an entry changed too recently).
func (c *CompileCache) openEntry(key, checked string) (f *os.File, fresh string) {
	path := c.entryPath(key)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, ""
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		c.removeIfSame(path, info)
		f.Close()
		return nil, ""
	}
	// The LRU touch changes ctime, so it comes before the identity that a
	// check vouches for, never after.
	if time.Since(info.ModTime()) > touchEvery {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // LRU bookkeeping only
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, ""
	}
	id := checkedIdentity(&st)
	if checked != "" && id == checked {
		if !verifyEntry(f, st.Size, key, false) {
			c.removeIfSame(path, info)
			f.Close()
			return nil, ""
		}
		return f, ""
	}
	if !verifyEntry(f, st.Size, key, true) {
		c.removeIfSame(path, info)
		f.Close()
		return nil, ""
	}
	if time.Since(time.Unix(st.Ctim.Unix())) > settleTime {
		fresh = id
	}
	return f, fresh
}

// bootID is this boot's random id; "" when unknown, and then no check is
// ever skipped.
var bootID = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	id := strings.TrimSpace(string(b))
	if err != nil || len(id) != 36 || strings.ContainsAny(id, " \n") {
		return ""
	}
	return id
})

// checkedIdentity is what the index records about an entry whose CRC was
// checked: the boot, and every stat field that a change of the file's
// content changes. "" when the boot id is unknown.
func checkedIdentity(st *unix.Stat_t) string {
	boot := bootID()
	if boot == "" {
		return ""
	}
	return fmt.Sprintf("checked %s %d %d %d %d.%09d %d.%09d", boot, st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}

// verifyEntry checks the trailer (magic, size, key) and that the payload is
// an ELF image; with full, the CRC32C of the payload too. The file is
// mapped rather than read for the CRC: no 10 MB buffer on the
// container-start path.
func verifyEntry(f *os.File, size int64, key string, full bool) bool {
	if size < trailerSize+4 {
		return false
	}
	want, err := hex.DecodeString(key)
	if err != nil {
		return false
	}
	var t [trailerSize]byte
	var magic [4]byte
	if _, err := f.ReadAt(t[:], size-trailerSize); err != nil {
		return false
	}
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return false
	}
	payloadSize := size - trailerSize
	// wasmtime serializes modules as ELF images.
	if string(t[0:8]) != trailerMagic ||
		binary.LittleEndian.Uint32(t[8:12]) != trailerSize ||
		binary.LittleEndian.Uint64(t[16:24]) != uint64(payloadSize) ||
		!bytes.Equal(t[24:56], want) || string(magic[:]) != "\x7fELF" {
		return false
	}
	if !full {
		return true
	}
	crcChecks.Add(1)
	data, err := unix.Mmap(int(f.Fd()), 0, int(payloadSize), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return false
	}
	defer unix.Munmap(data)
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	return crc32.Checksum(data, castagnoli()) == binary.LittleEndian.Uint32(t[12:16])
}

// removeIfSame deletes a bad entry unless another process has already
// renamed a fresh one over it.
func (c *CompileCache) removeIfSame(path string, bad fs.FileInfo) {
	if bad == nil {
		return
	}
	cur, err := os.Lstat(path)
	if err == nil && os.SameFile(cur, bad) {
		os.Remove(path)
	}
}

// store writes an entry atomically and returns it opened read-only at
// offset 0. The read-only descriptor is taken before the rename, so an
// eviction racing us cannot take the entry away.
func (c *CompileCache) store(key string, serialized []byte) (*os.File, error) {
	var tr [trailerSize]byte
	copy(tr[0:8], trailerMagic)
	binary.LittleEndian.PutUint32(tr[8:12], trailerSize)
	binary.LittleEndian.PutUint32(tr[12:16], crc32.Checksum(serialized, castagnoli()))
	binary.LittleEndian.PutUint64(tr[16:24], uint64(len(serialized)))
	raw, _ := hex.DecodeString(key)
	copy(tr[24:56], raw)

	tmp, err := os.CreateTemp(c.dir(), ".tmp-*"+entrySuffix)
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	tmpName := tmp.Name()
	_, err = tmp.Write(serialized)
	if err == nil {
		_, err = tmp.Write(tr[:])
	}
	if err == nil {
		err = tmp.Chmod(entryMode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	var ro *os.File
	if err == nil {
		ro, err = os.Open(tmpName)
	}
	if err == nil {
		err = os.Rename(tmpName, c.entryPath(key))
	}
	if err != nil {
		if ro != nil {
			ro.Close()
		}
		os.Remove(tmpName)
		return nil, fmt.Errorf("cache store: %w", err)
	}
	return ro, nil
}

// lock takes the host-wide compile lock for key.
func (c *CompileCache) lock(key string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(c.dir(), "locks", key), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	return func() { f.Close() }, nil
}

func (c *CompileCache) indexPath(pre string) string {
	return filepath.Join(c.dir(), "index", pre)
}

// readIndex returns the key recorded for pre and, when there is one, the
// entry's identity at its last full check (checkedIdentity).
//
// An index file is "<key>\n", optionally followed by "<identity>\n".
func (c *CompileCache) readIndex(pre string) (key, checked string, ok bool) {
	b, err := os.ReadFile(c.indexPath(pre))
	if err != nil || len(b) < 65 || b[64] != '\n' {
		return "", "", false
	}
	key = string(b[:64])
	if !isKey(key) {
		return "", "", false
	}
	if rest := string(b[65:]); strings.HasPrefix(rest, "checked ") && strings.Count(rest, "\n") == 1 &&
		strings.HasSuffix(rest, "\n") {
		checked = strings.TrimSuffix(rest, "\n")
	}
	return key, checked, true
}

// writeIndex records pre → key, and the entry's identity at a full check
// when checked is not "". Index files are tiny but one appears per module
// file identity (every overlay mount is a new device), so now and then a
// sweep drops the stale ones.
func (c *CompileCache) writeIndex(pre, key, checked string) {
	tmp, err := os.CreateTemp(filepath.Join(c.dir(), "index"), ".tmp-*")
	if err != nil {
		return
	}
	line := key + "\n"
	if checked != "" {
		line += checked + "\n"
	}
	// ext4 (auto_da_alloc) flushes a file renamed over another when its
	// blocks are still delayed-allocated: 1.1-1.3 ms for these 200 bytes.
	// Blocks allocated up front leave nothing to flush.
	_ = unix.Fallocate(int(tmp.Fd()), 0, 0, int64(len(line)))
	_, err = tmp.WriteString(line)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.indexPath(pre))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return
	}
	if rand.IntN(64) == 0 {
		c.sweepIndex(false)
	}
}

// indexMaxAge bounds how long an unused index file is kept.
const indexMaxAge = 24 * time.Hour

// sweepIndex removes index files that point at missing entries or have not
// been written for indexMaxAge; all of them when all is set.
func (c *CompileCache) sweepIndex(all bool) {
	dir := filepath.Join(c.dir(), "index")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if all {
			os.Remove(p)
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if time.Since(info.ModTime()) > indexMaxAge {
			os.Remove(p)
			continue
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 64 {
			os.Remove(p)
			continue
		}
		if _, err := os.Lstat(c.entryPath(string(b[:64]))); errors.Is(err, fs.ErrNotExist) {
			os.Remove(p)
		}
	}
}

func isKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// List returns the cache's entries, least recently used first.
func (c *CompileCache) List() ([]CacheEntry, error) {
	ents, err := os.ReadDir(c.dir())
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
		out = append(out, CacheEntry{Key: key, Size: info.Size(), LastUsed: info.ModTime(), Path: filepath.Join(c.dir(), e.Name())})
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
	c.sweepTemp()
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
	c.sweepTemp()
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

// tmpMaxAge: a temp file this old belongs to a compile that died; younger
// ones may be a compile in flight, even when pruning everything.
const tmpMaxAge = 10 * time.Minute

func (c *CompileCache) sweepTemp() {
	ents, err := os.ReadDir(c.dir())
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > tmpMaxAge {
			os.Remove(filepath.Join(c.dir(), e.Name()))
		}
	}
}
