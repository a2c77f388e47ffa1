package engine

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain message", "plain message"},
		{"failed to parse WebAssembly module\n\nCaused by:\n    magic header not detected: bad magic number - expected=[\n        0x0,\n        0x61,\n    ] actual=[\n        0x6e,\n        0x6f,\n    ] (at offset 0x0)",
			"failed to parse WebAssembly module: magic header not detected: bad magic number - expected=[0x0, 0x61] actual=[0x6e, 0x6f] (at offset 0x0)"},
		{"failed to compile: wasm[0]::function[0]::f\n\nCaused by:\n    0: WebAssembly translation error\n    1: Invalid input WebAssembly code at offset 26: type mismatch: expected i32, found i64",
			"failed to compile: wasm[0]::function[0]::f: WebAssembly translation error: Invalid input WebAssembly code at offset 26: type mismatch: expected i32, found i64"},
		{"expected valid module field\n     --> <anon>:1:10\n      |\n    1 | (module (fnuc))\n      |          ^",
			"expected valid module field --> <anon>:1:10 | 1 | (module (fnuc)) | ^"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
