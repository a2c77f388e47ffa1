// Package integration runs the runtime binary the way containerd, conmon and
// people do, and checks it keeps runc's contract for native containers.
//
// Run as root:
//
//	WASM_RUNC_BINARY=/abs/path/to/binary go test -count=1 -v ./integration/...
//
// Without WASM_RUNC_BINARY the binary is built from the repository root with
// the static build line of the Makefile. REFERENCE_RUNC (default: runc on
// PATH) names the runc that shape-comparison tests hold the binary against.
// Tests named TestWasmRunc* check wasm-runc-specific behaviour and are
// expected to fail against runc itself (skip them with -skip TestWasmRunc).
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// runtimeBinary is the absolute path of the runtime under test.
var runtimeBinary string

// referenceRunc is the runc the shape-comparison tests compare against, or
// "" when there is none.
var referenceRunc string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration: these tests create containers and must run as root (euid is", os.Geteuid(), "); not running them")
		return 1
	}
	// Container inits outlive the runtime process that forked them; as a
	// subreaper we become their parent instead of the machine's PID 1, which
	// reaps lazily and would leave "is the init gone?" checks looking at
	// zombies.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "integration: PR_SET_CHILD_SUBREAPER:", err)
		return 1
	}
	stopReaper := startOrphanReaper()
	defer func() {
		stopReaper()
		if n := zombieChildren(); n > 0 {
			fmt.Fprintf(os.Stderr, "integration: %d zombie children left unreaped\n", n)
		}
	}()

	bin, cleanup, err := resolveBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer cleanup()
	runtimeBinary = bin
	referenceRunc = resolveReference()
	fmt.Fprintf(os.Stderr, "integration: runtime under test %s; reference runc %q\n", runtimeBinary, referenceRunc)

	code := m.Run()
	if sdnotifyBin != "" {
		os.RemoveAll(filepath.Dir(sdnotifyBin))
	}
	removeEmptyCgroupParents()
	return code
}

// resolveBinary returns WASM_RUNC_BINARY, or builds the binary statically
// from the repository root into a temporary directory.
func resolveBinary() (string, func(), error) {
	if bin := os.Getenv("WASM_RUNC_BINARY"); bin != "" {
		if !filepath.IsAbs(bin) {
			return "", nil, fmt.Errorf("WASM_RUNC_BINARY must be an absolute path, got %q", bin)
		}
		if _, err := os.Stat(bin); err != nil {
			return "", nil, fmt.Errorf("WASM_RUNC_BINARY: %w", err)
		}
		return bin, func() {}, nil
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "wasm-runc-itest-bin")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "wasm-runc")
	goTool := "go"
	if p := os.Getenv("GO"); p != "" {
		goTool = p
	}
	// Same as the Makefile's build target: Wasm images are FROM scratch and
	// libcontainer re-executes this binary inside them, so it must be static.
	version := "0.0.0"
	if b, err := os.ReadFile(filepath.Join(repo, "VERSION")); err == nil {
		version = strings.TrimSpace(string(b))
	}
	commit := "unknown"
	if out, err := outputTracked(exec.Command("git", "-C", repo, "rev-parse", "--short", "HEAD"), false); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	ldflags := "-s -w -X main.version=" + version + " -X main.gitCommit=" + commit +
		" -linkmode external -extldflags -static"
	cmd := exec.Command(goTool, "build", "-trimpath",
		"-tags", "seccomp netgo osusergo",
		"-ldflags", ldflags,
		"-o", bin, repo)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	fmt.Fprintln(os.Stderr, "integration: WASM_RUNC_BINARY unset; building", repo)
	if out, err := outputTracked(cmd, true); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building the runtime (%s): %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return bin, cleanup, nil
}

// resolveReference finds the runc that output shapes are compared against.
func resolveReference() string {
	if p := os.Getenv("REFERENCE_RUNC"); p != "" {
		return p
	}
	p, err := exec.LookPath("runc")
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// removeEmptyCgroupParents removes the shared /wasm-runc-test parent cgroups
// when no container of anyone's is left in them; rmdir refuses non-empty ones.
func removeEmptyCgroupParents() {
	dirs, _ := filepath.Glob(filepath.Join(cgroupMount, "*", cgroupParent))
	dirs = append(dirs, filepath.Join(cgroupMount, cgroupParent))
	for _, d := range dirs {
		_ = unix.Rmdir(d)
	}
}
