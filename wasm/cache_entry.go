package wasm

// cache_entry.go: an entry's bytes: the trailer and its MAC, writing an
// entry atomically, and checking one before it is handed out.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Entry trailer, the last 64 bytes of an entry, little endian:
//
//	0  magic "wrcwasm3"
//	8  trailer size (uint32, 64)
//	12 zero (uint32)
//	16 payload size (uint64): the trailer's own offset
//	24 HMAC-SHA256 under the cache's key of "wasm-runc entry v3\n", the
//	   entry's key and the payload (32 bytes)
//	56 zero
//
// wasmtime's bytes start at offset 0 so that the runner can map the file
// (wasmtime_module_deserialize_file): code and data come straight from the
// page cache, shared by every container running the module. wasmtime ignores
// the bytes after its ELF image.
const (
	trailerMagic = "wrcwasm3"
	trailerSize  = 64
	entrySuffix  = ".cwasm"
	entryMode    = 0o444
	// touchEvery limits LastUsed updates to one metadata write per entry per
	// interval. A touch changes the entry's ctime, so the next Open after it
	// checks the MAC again.
	touchEvery = 10 * time.Minute
)

// settleTime: a module file changed more recently than this is always
// hashed, and an entry changed more recently than this always has its MAC
// checked: its ctime may not yet have ticked past a racing write (ctime has
// the kernel's coarse clock granularity). A variable for tests.
var settleTime = 2 * time.Second

// entryMAC is the MAC of an entry's payload under key.
func entryMAC(macKey []byte, key string, payload io.Reader) ([]byte, error) {
	h := hmac.New(sha256.New, macKey)
	fmt.Fprintf(h, "wasm-runc entry v3\n%s\n", key)
	if _, err := io.Copy(h, payload); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// tempEntry is an unnamed file in the engine directory for the worker to
// write: it disappears with us if the compile is killed.
func (c *CompileCache) tempEntry() (*os.File, error) {
	fd, err := unix.Open(c.engineDir(), unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", &fs.PathError{Op: "open", Path: c.engineDir(), Err: err})
	}
	return os.NewFile(uintptr(fd), c.engineDir()+"/(unnamed)"), nil
}

// seal checks what the worker wrote, appends the trailer, makes it read
// only and links it in as key's entry, then opens it for a container.
func (c *CompileCache) seal(out *os.File, key string, macKey []byte) (*Entry, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(out.Fd()), &st); err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	var magic [4]byte
	if _, err := out.ReadAt(magic[:], 0); err != nil || string(magic[:]) != "\x7fELF" {
		return nil, errors.New("cache store: the compile worker wrote no compiled module")
	}
	mac, err := entryMAC(macKey, key, io.NewSectionReader(out, 0, st.Size))
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	var tr [trailerSize]byte
	copy(tr[0:8], trailerMagic)
	binary.LittleEndian.PutUint32(tr[8:12], trailerSize)
	binary.LittleEndian.PutUint64(tr[16:24], uint64(st.Size))
	copy(tr[24:56], mac)
	if _, err := out.WriteAt(tr[:], st.Size); err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	if err := out.Chmod(entryMode); err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	// Linked under a temporary name, then renamed over whatever bad entry
	// may sit at the key (we hold its lock).
	tmp := ".tmp-" + strconv.Itoa(os.Getpid()) + "-" + key[:16]
	dirfd, err := unix.Open(c.engineDir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cache store: %w", err)
	}
	defer unix.Close(dirfd)
	_ = unix.Unlinkat(dirfd, tmp, 0)
	if err := unix.Linkat(int(out.Fd()), "", dirfd, tmp, unix.AT_EMPTY_PATH); err != nil {
		// Without CAP_DAC_READ_SEARCH (a rootless user), through /proc.
		if err2 := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(out.Fd())), dirfd, tmp, unix.AT_SYMLINK_FOLLOW); err2 != nil {
			return nil, fmt.Errorf("cache store: link: %w", err)
		}
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, key+entrySuffix); err != nil {
		_ = unix.Unlinkat(dirfd, tmp, 0)
		return nil, fmt.Errorf("cache store: %w", err)
	}
	f, err := c.view(key)
	if err != nil {
		return nil, err
	}
	return &Entry{File: f, Size: st.Size}, nil
}

// openEntry returns the entry for key, opened for a container, or nil when
// there is no valid one; a bad entry is removed so that the caller
// rebuilds it.
//
// checked is the identity recorded in the index after the last full check
// of this entry (see checkedIdentity); when the opened file still has it,
// only the trailer is read, not the whole payload. fresh is the identity
// to record after a full check, or "" (no boot id, or an entry changed too
// recently).
func (c *CompileCache) openEntry(key, checked string, macKey []byte) (e *Entry, fresh string) {
	path := c.entryPath(key)
	info, err := os.Lstat(path)
	if err != nil {
		return nil, ""
	}
	if !info.Mode().IsRegular() {
		c.removeIfSame(path, info)
		return nil, ""
	}
	// The LRU touch changes ctime, so it comes before the identity that a
	// check vouches for, never after.
	if time.Since(info.ModTime()) > touchEvery {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // LRU bookkeeping only
	}
	f, err := c.view(key)
	if err != nil {
		return nil, ""
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, ""
	}
	id := checkedIdentity(&st)
	full := checked == "" || id != checked
	size, ok := verifyEntry(f, st.Size, key, macKey, full)
	if !ok {
		c.removeIfSame(path, info)
		f.Close()
		return nil, ""
	}
	if full && time.Since(time.Unix(st.Ctim.Unix())) > settleTime {
		fresh = id
	}
	return &Entry{File: f, Size: size}, fresh
}

// verifyEntry checks the trailer (magic, sizes) and that the payload is an
// ELF image; with full, the MAC of the payload too. It returns the payload
// size.
func verifyEntry(f *os.File, size int64, key string, macKey []byte, full bool) (int64, bool) {
	if size < trailerSize+4 {
		return 0, false
	}
	var t [trailerSize]byte
	var magic [4]byte
	if _, err := f.ReadAt(t[:], size-trailerSize); err != nil {
		return 0, false
	}
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return 0, false
	}
	payloadSize := size - trailerSize
	if string(t[0:8]) != trailerMagic ||
		binary.LittleEndian.Uint32(t[8:12]) != trailerSize ||
		binary.LittleEndian.Uint64(t[16:24]) != uint64(payloadSize) ||
		!bytes.Equal(t[56:64], make([]byte, 8)) || string(magic[:]) != "\x7fELF" {
		return 0, false
	}
	if !full {
		return payloadSize, true
	}
	macChecks.Add(1)
	mac, err := entryMAC(macKey, key, io.NewSectionReader(f, 0, payloadSize))
	if err != nil || !hmac.Equal(mac, t[24:56]) {
		return 0, false
	}
	return payloadSize, true
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

// moduleKey names the entry for the module in src under this engine: a
// SHA-256 of the bytes, read in pieces.
func moduleKey(src *os.File, text, component bool) (string, error) {
	d := sha256.New()
	if _, err := io.Copy(d, io.NewSectionReader(src, 0, 1<<62)); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "wasm-runc cache v3\n%s\ntext=%t\n%s", fingerprint(), text, kindLine(component))
	h.Write(d.Sum(nil))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// preKey names a module file by identity rather than content. It is only a
// hint: it leads to a key, and the entry under that key is still checked.
func preKey(st *unix.Stat_t, text, component bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "wasm-runc prekey v3\n%s\ntext=%t\n%s%d %d %d %d.%d %d.%d\n", fingerprint(), text, kindLine(component),
		st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	return hex.EncodeToString(h.Sum(nil))
}

// kindLine keys components apart from core modules. It is empty for a core
// module, so that modules keep the keys they had before components ran.
func kindLine(component bool) string {
	if component {
		return "kind=component\n"
	}
	return ""
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
