package linux

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	"golang.org/x/sys/unix"

	"github.com/wasm-runc/wasm-runc/spec"
)

// ErrWasmCheckpoint and ErrWasmRestore refuse CRIU for Wasm containers
// (docs/wasm.md, "checkpoint and restore").
var (
	ErrWasmCheckpoint = errors.New("checkpoint is not supported for Wasm containers")
	ErrWasmRestore    = errors.New("restore is not supported for Wasm containers")
)

// RunsWasm reports whether any process of the running container c is a Wasm
// runner. Only containers whose annotations (or program name) allow Wasm
// are looked at; in those, a process runs Wasm when its executable is not a
// file of the container's root filesystem: ChooseExecutor made libcontainer
// exec its sealed copy of this runtime instead of a program of the image.
func RunsWasm(c *libcontainer.Container, program string) (bool, error) {
	st, err := c.State()
	if err != nil {
		return false, err
	}
	_, annotations := utils.Annotations(st.Config.Labels)
	if spec.WasmMode(annotations, program) == spec.Native {
		return false, nil
	}
	pids, err := c.Processes()
	if err != nil {
		return false, err
	}
	root := "/proc/" + strconv.Itoa(st.InitProcessPid) + "/root"
	for _, pid := range pids {
		if isWasmRunner(pid, root) {
			return true, nil
		}
	}
	return false, nil
}

// isWasmRunner compares the executable of pid with the file of the same
// name in the container's root. A memfd copy ("/memfd:runc_cloned:..."),
// a deleted file or a detached overlay of our binary has no such twin.
func isWasmRunner(pid int, root string) bool {
	exe := "/proc/" + strconv.Itoa(pid) + "/exe"
	var want unix.Stat_t
	if err := unix.Stat(exe, &want); err != nil {
		return false // gone, or a kernel thread: nothing to dump either way
	}
	name, err := os.Readlink(exe)
	if err != nil || !strings.HasPrefix(name, "/") || strings.HasSuffix(name, " (deleted)") {
		return true
	}
	h, err := pathrs.OpenInRoot(root, name)
	if err != nil {
		return true
	}
	defer h.Close()
	var got unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &got); err != nil {
		return true
	}
	return got.Dev != want.Dev || got.Ino != want.Ino
}

// RefuseWasmCheckpoint returns ErrWasmCheckpoint when c runs Wasm.
func RefuseWasmCheckpoint(c *libcontainer.Container, program string) error {
	wasm, err := RunsWasm(c, program)
	if err != nil {
		return err
	}
	if wasm {
		return ErrWasmCheckpoint
	}
	return nil
}

// UseCRIU makes libcontainer, which runs "criu" from $PATH, run the binary
// named by the global --criu flag. The returned function undoes it.
func UseCRIU(path string) (func(), error) {
	if path == "" || path == "criu" {
		return func() {}, nil
	}
	bin, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("criu binary %q: %w", path, err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	dir := filepath.Dir(bin)
	cleanup := func() {}
	if filepath.Base(bin) != "criu" {
		// Give it the name libcontainer looks for.
		tmp, err := os.MkdirTemp("", "wasm-runc-criu")
		if err != nil {
			return nil, err
		}
		if err := os.Symlink(bin, filepath.Join(tmp, "criu")); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		dir = tmp
		cleanup = func() { os.RemoveAll(tmp) }
	}
	old, had := os.LookupEnv("PATH")
	if err := os.Setenv("PATH", dir+string(os.PathListSeparator)+old); err != nil {
		cleanup()
		return nil, err
	}
	return func() {
		if had {
			os.Setenv("PATH", old)
		} else {
			os.Unsetenv("PATH")
		}
		cleanup()
	}, nil
}
