package wasm

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasm-runc/wasm-runc/wasm/compiler"
)

// The test binary doubles as a process opening the cache (WASM_CACHE_TEST=1,
// with WASM_CACHE_DIR and WASM_CACHE_MODULE), which prints the entry size.
func TestMain(m *testing.M) {
	if os.Getenv("WASM_CACHE_TEST") == "1" {
		os.Exit(cacheChild())
	}
	os.Exit(m.Run())
}

func cacheChild() int {
	settleTime = 0
	c := fakeCache(os.Getenv("WASM_CACHE_DIR"))
	name := os.Getenv("WASM_CACHE_MODULE")
	e, err := c.Open(context.Background(), &Module{GuestPath: name, Rootfs: "/", Text: strings.HasSuffix(name, ".wat")}, CompileLimits{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.File.Close()
	fmt.Println(e.Size)
	return 0
}

// fakeCompile stands for the compile worker: "\x7fELF", then the SHA-256 of
// the module, 4 KiB in all. A module whose text contains "REJECT" is
// refused, as the worker refuses a bad one.
func fakeCompile(ctx context.Context, src, out *os.File, kind compiler.Source, lim compiler.Limits) error {
	b, err := io.ReadAll(io.LimitReader(src, lim.MaxInput+1))
	if err != nil {
		return err
	}
	if strings.Contains(string(b), "REJECT") {
		return &compiler.RejectedError{Reason: "refused: REJECT found"}
	}
	sum := sha256.Sum256(b)
	payload := make([]byte, 4096)
	copy(payload, "\x7fELF")
	copy(payload[4:], sum[:])
	_, err = out.Write(payload)
	return err
}

func fakeCache(dir string) *CompileCache {
	return &CompileCache{Dir: dir, Compile: fakeCompile}
}

// testModule writes a module file (a binary module unless name ends in
// .wat) and returns it as a Module of rootfs "/".
func testModule(t testing.TB, dir, name, content string) *Module {
	t.Helper()
	p := filepath.Join(dir, name)
	if !strings.HasSuffix(name, ".wat") && !strings.HasPrefix(content, "\x00asm") {
		content = "\x00asm\x01\x00\x00\x00" + content
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Module{GuestPath: p, Rootfs: "/", Text: strings.HasSuffix(name, ".wat")}
}
