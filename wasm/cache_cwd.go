package wasm

// cache_cwd.go: which compiles depend on the process's working directory.
// The compile worker builds the working directory into a wasi-libc module
// (wasm/compiler/cwd_rewrite.c, docs/wasm.md "Working directory and
// paths"), so such a module run with a cwd other than "/" has an entry per
// cwd. Every other module, and every module run in "/", keeps the key it
// always had.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// cwdMax is the longest working directory built into a module (the
// worker's WR_CWD_MAX); a longer one is not built in.
const cwdMax = 4095

// wasiLibcName is in the name section of every module the worker rewrites
// (__wasilibc_find_abspath, _relpath, _relpath_alloc): a module without
// these bytes anywhere is never rewritten, and needs no entry per cwd.
var wasiLibcName = []byte("__wasilibc_find_")

// buildCwd is the working directory to build into a module for a process
// with cwd, or "" when there is none to build in ("/", or one the worker
// would refuse).
func buildCwd(cwd string) string {
	if !path.IsAbs(cwd) || strings.IndexByte(cwd, 0) >= 0 {
		return ""
	}
	cwd = path.Clean(cwd)
	if cwd == "/" || len(cwd) > cwdMax {
		return ""
	}
	return cwd
}

// cwdPreKey is the index key of a module file for a process with cwd.
func cwdPreKey(pre, cwd string) string {
	if cwd = buildCwd(cwd); cwd == "" {
		return pre
	}
	return cwdHash("prekey", pre, cwd)
}

// cwdKey returns the entry key of the module in src (whose key is key)
// for a process with cwd, and the working directory the worker must build
// in ("" for none).
func cwdKey(src *os.File, key, cwd string) (string, string, error) {
	if cwd = buildCwd(cwd); cwd == "" {
		return key, "", nil
	}
	found, err := containsBytes(src, wasiLibcName)
	if err != nil || !found {
		return key, "", err
	}
	return cwdHash("key", key, cwd), cwd, nil
}

func cwdHash(what, key, cwd string) string {
	h := sha256.New()
	fmt.Fprintf(h, "wasm-runc cwd %s v1\n%s\n%s\n", what, key, cwd)
	return hex.EncodeToString(h.Sum(nil))
}

// containsBytes says whether src holds needle, read in pieces.
func containsBytes(src *os.File, needle []byte) (bool, error) {
	r := io.NewSectionReader(src, 0, 1<<62)
	buf := make([]byte, 256<<10)
	keep := 0 // bytes carried over from the previous piece
	for {
		n, err := io.ReadFull(r, buf[keep:])
		if bytes.Contains(buf[:keep+n], needle) {
			return true, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		keep = len(needle) - 1
		copy(buf, buf[len(buf)-keep:])
	}
}
