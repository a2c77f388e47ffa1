package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWasmtimeHeader compiles engine.h (and wasmtime.h) after wasmtime-go's
// real headers: the compiler then checks each prototype runner.c uses
// against wasmtime's, and the header's asserts check layouts and constants.
// It keeps the hand-copied declarations honest when wasmtime-go moves.
func TestWasmtimeHeader(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/bytecodealliance/wasmtime-go/v42").Output()
	if err != nil {
		t.Fatalf("locating wasmtime-go: %v", err)
	}
	include := filepath.Join(strings.TrimSpace(string(out)), "build", "include")
	src := filepath.Join(t.TempDir(), "check.c")
	if err := os.WriteFile(src, []byte("#include <stddef.h>\n#include <wasmtime.h>\n#include \"engine.h\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(cc, "-std=gnu11", "-fsyntax-only", "-Werror", "-I", include, "-I", wd, src).CombinedOutput(); err != nil {
		t.Fatalf("wasmtime.h does not match wasmtime-go's headers: %v\n%s", err, b)
	}
}
