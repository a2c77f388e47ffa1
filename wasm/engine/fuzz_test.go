package engine

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFold: whatever wasmtime (or a module quoted in its message) says,
// the line that reaches a caller is one line, valid UTF-8, without control
// characters, and bounded.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"plain", "a\n\nCaused by:\n    0: x\n    1: y", "\x1b[31mred", "\xff\xfe", "\u0085\u009b", strings.Repeat("x", 2000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			return // C strings end at NUL; wasmtime's messages have none
		}
		for _, out := range []string{Fold(s), Escape(s, MessageMax)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8: %q", out)
			}
			for _, r := range out {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("control character %U in %q", r, out)
				}
			}
			if len(out) > 4*MessageMax+64 {
				t.Fatalf("%d bytes out", len(out))
			}
		}
	})
}
