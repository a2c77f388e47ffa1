// Package callers runs the runtime binary under the programs that call it
// on real machines: podman with conmon, containerd with its runc shim, and
// the two CRI implementations a Kubernetes node runs, containerd's CRI
// plugin and CRI-O, driven by crictl as the kubelet drives them. Each caller
// is private to its test (storage, state, sockets, configuration in a
// temporary directory), images are built locally and never pulled, and the
// configuration snippets of docs/callers.md are used as printed.
//
// Run as root, after scripts/install-deps.sh:
//
//	WASM_RUNC_BINARY=/abs/path/to/wasm-runc go test -count=1 -v ./integration/callers/
//
// Without WASM_RUNC_BINARY the binary is built from the repository root with
// the Makefile's static build line.
package callers

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

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "callers: these tests run container engines and must run as root (euid is", os.Geteuid(), "); not running them")
		return 1
	}
	// conmon, shims and container inits outlive the programs that started
	// them; as a subreaper we reap them instead of the machine's PID 1,
	// which reaps lazily and would leave "is it gone?" checks looking at
	// zombies.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "callers: PR_SET_CHILD_SUBREAPER:", err)
		return 1
	}
	removeStrayControllerDirs()
	stopReaper := startOrphanReaper()
	defer func() {
		stopReaper()
		if n := zombieChildren(); n > 0 {
			fmt.Fprintf(os.Stderr, "callers: %d zombie children left unreaped\n", n)
		}
	}()

	bin, cleanup, err := resolveBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "callers:", err)
		return 1
	}
	defer cleanup()
	runtimeBinary = bin
	fmt.Fprintf(os.Stderr, "callers: runtime under test %s\n", runtimeBinary)

	code := m.Run()
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
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "wasm-runc-callers-bin")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "wasm-runc")
	goTool := "go"
	if p := os.Getenv("GO"); p != "" {
		goTool = p
	}
	// The Makefile's build line: libcontainer re-executes this binary
	// inside FROM scratch images, so it must be static.
	cmd := exec.Command(goTool, "build", "-trimpath",
		"-tags", "seccomp netgo osusergo urfave_cli_no_docs",
		"-ldflags", "-s -w -linkmode external -extldflags -static",
		"-o", bin, repo)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	fmt.Fprintln(os.Stderr, "callers: WASM_RUNC_BINARY unset; building", repo)
	if out, err := outputTracked(cmd, true); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building the runtime (%s): %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return bin, cleanup, nil
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

// removeStrayControllerDirs removes plain directories under /sys/fs/cgroup
// that are no cgroup mount: runc's own bats helpers (create_parent) make
// /sys/fs/cgroup/<controller>/... for every controller /proc/cgroups lists,
// mounted or not (hugetlb, net_cls, net_prio, perf_event here), and leave
// the top directories behind. podman then treats them as hierarchies,
// writes its pids there and cannot remove its pod's cgroups ("directory not
// empty"). Only empty directories, and the pid files podman wrote, go.
func removeStrayControllerDirs() {
	ents, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return
	}
	var root unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &root) != nil || root.Type != unix.TMPFS_MAGIC {
		return
	}
	for _, e := range ents {
		top := filepath.Join("/sys/fs/cgroup", e.Name())
		var fs unix.Statfs_t
		if !e.IsDir() || unix.Statfs(top, &fs) != nil || fs.Type != unix.TMPFS_MAGIC {
			continue // a cgroup mount, or not a directory
		}
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				dirs = append(dirs, p)
			} else if n := d.Name(); n == "cgroup.procs" || n == "tasks" {
				os.Remove(p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			os.Remove(dirs[i]) // only empty ones go
		}
		if _, err := os.Stat(top); err == nil {
			fmt.Fprintf(os.Stderr, "callers: %s is not a cgroup mount and could not be removed; podman may fail to remove pod cgroups\n", top)
		} else {
			fmt.Fprintf(os.Stderr, "callers: removed %s, a stray directory that is not a cgroup mount\n", top)
		}
	}
}
