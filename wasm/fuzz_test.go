package wasm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDetectModule: whatever an image holds at args[0], detection returns
// a module, nothing, or an error; never panics, never leaves the rootfs.
func FuzzDetectModule(f *testing.F) {
	for _, seed := range []string{"\x00asm\x01\x00\x00\x00", "\x00asm\x0d\x00\x01\x00", "(module)", "\x7fELF", "#!/bin/sh\n", "", " ;; comment\n(module)", "(; c ;)(component)"} {
		f.Add([]byte(seed), "app.wasm")
		f.Add([]byte(seed), "app")
	}
	f.Fuzz(func(t *testing.T, content []byte, name string) {
		if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." || len(name) > 200 {
			return
		}
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, name), content, 0o755); err != nil {
			return
		}
		m, err := DetectModule(root, "/"+name, "", "/")
		if err != nil || m == nil {
			return
		}
		if m.GuestPath != "/"+name || m.Rootfs != root {
			t.Fatalf("module %+v for /%s in %s", m, name, root)
		}
		if len(content) >= 4 && string(content[:4]) == "\x00asm" && m.Text {
			t.Fatalf("binary module taken as text")
		}
		if !m.Text && m.Component != IsComponentHeader(content) {
			t.Fatalf("component = %v for a binary with header %q", m.Component, content[:min(len(content), 8)])
		}
	})
}

// FuzzVerifyEntry: no file that was not sealed with the cache's key passes
// the full check, whatever its bytes; none makes the check panic.
func FuzzVerifyEntry(f *testing.F) {
	key := strings.Repeat("ab", 32)
	macKey := make([]byte, macKeySize)
	good := make([]byte, 200)
	copy(good, "\x7fELF")
	f.Add(good)
	f.Add(append(append([]byte{}, good...), []byte(trailerMagic)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "e")
		if err := os.WriteFile(p, b, 0o444); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		verifyEntry(fh, int64(len(b)), key, macKey, false)
		if _, ok := verifyEntry(fh, int64(len(b)), key, macKey, true); ok {
			t.Fatalf("an entry not sealed with the key passed: %q", b)
		}
	})
}

// FuzzReadIndex: an index file's bytes never vouch for an entry without the
// cache's MAC.
func FuzzReadIndex(f *testing.F) {
	f.Add([]byte(strings.Repeat("a", 64) + "\n"))
	f.Add([]byte(strings.Repeat("a", 64) + "\nchecked boot 1 2 3 4.5 6.7 " + strings.Repeat("0", 64) + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &CompileCache{Dir: t.TempDir()}
		os.MkdirAll(filepath.Join(c.Dir, "index"), 0o700)
		pre := strings.Repeat("c", 64)
		if err := os.WriteFile(c.indexPath(pre), b, 0o600); err != nil {
			t.Fatal(err)
		}
		macKey := []byte("k")
		key, checked, ok := c.readIndex(pre, macKey)
		if ok && !isKey(key) {
			t.Fatalf("bad key %q accepted", key)
		}
		if checked != "" {
			t.Fatalf("a checked identity was believed without the MAC: %q", checked)
		}
	})
}
