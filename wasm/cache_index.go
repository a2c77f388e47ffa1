package wasm

// cache_index.go: the index, which spares a start the hash of its module
// and the MAC of its entry: module file identity -> key, and the entry's
// identity when its MAC last checked, in this boot.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

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

// checkedIdentity is what the index records about an entry whose MAC was
// checked: the boot, and every stat field that a change of the file's
// content changes (any write, truncation, chmod or replacement changes
// ctime, which user space cannot set back, or the inode). "" when the boot
// id is unknown.
func checkedIdentity(st *unix.Stat_t) string {
	boot := bootID()
	if boot == "" {
		return ""
	}
	return fmt.Sprintf("checked %s %d %d %d %d.%09d %d.%09d", boot, st.Dev, st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}

func (c *CompileCache) indexPath(pre string) string {
	return filepath.Join(c.dir(), "index", pre)
}

// indexMAC binds an index line to its prekey and key, so that no one
// without the cache's key can vouch for an entry.
func indexMAC(macKey []byte, pre, key, checked string) string {
	h := hmac.New(sha256.New, macKey)
	fmt.Fprintf(h, "wasm-runc index v3\n%s\n%s\n%s\n", pre, key, checked)
	return hex.EncodeToString(h.Sum(nil))
}

// readIndex returns the key recorded for pre and, when there is one, the
// entry's identity at its last full check (checkedIdentity).
//
// An index file is "<key>\n", optionally followed by "<identity> <mac>\n".
func (c *CompileCache) readIndex(pre string, macKey []byte) (key, checked string, ok bool) {
	b, err := os.ReadFile(c.indexPath(pre))
	if err != nil || len(b) < 65 || len(b) > 512 || b[64] != '\n' {
		return "", "", false
	}
	key = string(b[:64])
	if !isKey(key) {
		return "", "", false
	}
	if rest := string(b[65:]); strings.HasPrefix(rest, "checked ") && strings.Count(rest, "\n") == 1 &&
		strings.HasSuffix(rest, "\n") {
		line := strings.TrimSuffix(rest, "\n")
		if i := strings.LastIndexByte(line, ' '); i > 0 && hmac.Equal([]byte(line[i+1:]), []byte(indexMAC(macKey, pre, key, line[:i]))) {
			checked = line[:i]
		}
	}
	return key, checked, true
}

// writeIndex records pre -> key, and the entry's identity at a full check
// when checked is not "". One index file appears per module file identity
// (every overlay mount is a new device), so now and then a sweep drops the
// stale ones.
func (c *CompileCache) writeIndex(pre, key, checked string, macKey []byte) {
	tmp, err := os.CreateTemp(filepath.Join(c.dir(), "index"), ".tmp-*")
	if err != nil {
		return
	}
	line := key + "\n"
	if checked != "" {
		line += checked + " " + indexMAC(macKey, pre, key, checked) + "\n"
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
