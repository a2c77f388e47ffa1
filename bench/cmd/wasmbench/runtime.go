package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ociRuntime is one OCI runtime binary with a state root private to this run.
type ociRuntime struct {
	name string   // "wasm-runc", "runc", "crun"
	path string   // binary
	root string   // --root
	env  []string // extra environment (WASM_RUNC_CACHE_DIR for wasm-runc)
	logs string   // directory for stdout/stderr of each invocation
}

// outcome is one timed invocation of a runtime.
type outcome struct {
	wall   time.Duration
	maxRSS int64 // bytes: ru_maxrss of the invocation and the children it reaped
	out    string
}

// ids hands out container ids no other engineer's test can collide with:
// with no cgroupsPath, cgroups are named after the id host-wide.
var idSeq atomic.Int64

func newID(tag string) string {
	return fmt.Sprintf("wrbench-%d-%s-%d", os.Getpid(), tag, idSeq.Add(1))
}

// live tracks containers that may exist, so that every exit path removes
// them: a normal end, a failure, or a signal.
var live = struct {
	sync.Mutex
	m map[string]*ociRuntime
}{m: map[string]*ociRuntime{}}

func track(rt *ociRuntime, id string) {
	live.Lock()
	live.m[id] = rt
	live.Unlock()
}

func untrack(id string) {
	live.Lock()
	delete(live.m, id)
	live.Unlock()
}

// cleanupAll force-deletes every tracked container and reaps what it can.
func cleanupAll() {
	live.Lock()
	m := live.m
	live.m = map[string]*ociRuntime{}
	live.Unlock()
	for id, rt := range m {
		_ = rt.forceDelete(id)
	}
	reapAll()
}

// interrupted is set by the signal handler; phases stop at the next
// invocation boundary.
var interrupted atomic.Bool

var errInterrupted = errors.New("interrupted")

// invoke runs the runtime with args, its output going to a log file, and
// times it from fork to reaped exit.
func (rt *ociRuntime) invoke(env []string, args ...string) (outcome, error) {
	if interrupted.Load() {
		return outcome{}, errInterrupted
	}
	// One log per verb: a created container keeps writing to create's.
	logPath := filepath.Join(rt.logs, rt.name+"-"+args[0]+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return outcome{}, err
	}
	defer f.Close()
	argv := append([]string{"--root", rt.root}, args...)
	cmd := exec.Command(rt.path, argv...)
	cmd.Env = append(append(os.Environ(), rt.env...), env...)
	cmd.Stdout = f
	cmd.Stderr = f
	// A terminal's Ctrl-C goes to the driver alone: it finishes the current
	// invocation and cleans up, instead of racing the runtimes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	var o outcome
	o.wall = wall
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			o.maxRSS = ru.Maxrss * 1024
		}
	}
	b, _ := os.ReadFile(logPath)
	o.out = string(b)
	if err != nil {
		return o, fmt.Errorf("%s %s: %v: %s", rt.name, strings.Join(argv, " "), err, strings.TrimSpace(o.out))
	}
	return o, nil
}

// run is `run --bundle B ID` in the foreground: the container runs to its end.
func (rt *ociRuntime) run(bundle, id string, env ...string) (outcome, error) {
	track(rt, id)
	o, err := rt.invoke(env, "run", "--bundle", bundle, id)
	if err != nil {
		_ = rt.forceDelete(id)
	}
	untrack(id)
	return o, err
}

// runDetached is `run -d --pid-file`: it returns the container's pid.
func (rt *ociRuntime) runDetached(bundle, id string) (int, outcome, error) {
	track(rt, id)
	pidFile := filepath.Join(rt.logs, id+".pid")
	defer os.Remove(pidFile)
	o, err := rt.invoke(nil, "run", "-d", "--pid-file", pidFile, "--bundle", bundle, id)
	if err != nil {
		return 0, o, err
	}
	pid, err := readPid(pidFile)
	return pid, o, err
}

// create is `create --pid-file --bundle B ID`; it returns the init's pid.
func (rt *ociRuntime) create(bundle, id string, env ...string) (int, outcome, error) {
	track(rt, id)
	pidFile := filepath.Join(rt.logs, id+".pid")
	defer os.Remove(pidFile)
	o, err := rt.invoke(env, "create", "--pid-file", pidFile, "--bundle", bundle, id)
	if err != nil {
		return 0, o, err
	}
	pid, err := readPid(pidFile)
	return pid, o, err
}

func (rt *ociRuntime) start(id string) (outcome, error) { return rt.invoke(nil, "start", id) }

func (rt *ociRuntime) delete(id string) (outcome, error) {
	o, err := rt.invoke(nil, "delete", id)
	if err == nil {
		untrack(id)
	}
	return o, err
}

// forceDelete removes a container in any state; it runs even after an
// interrupt.
func (rt *ociRuntime) forceDelete(id string) error {
	cmd := exec.Command(rt.path, "--root", rt.root, "delete", "--force", id)
	cmd.Env = append(os.Environ(), rt.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Run()
	untrack(id)
	return err
}

func (rt *ociRuntime) version() string {
	out, err := exec.Command(rt.path, "--version").Output()
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return first
}

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// The driver is a child subreaper: a container whose runtime exited (create,
// run -d) is reparented to it, so its exit can be waited for exactly and its
// zombie reaped (this machine's PID 1 reaps lazily).
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// waitExit waits for a container process that was reparented to us. When it
// is not our child (ECHILD), it polls until the pid is gone.
func waitExit(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			if unix.Kill(pid, 0) == unix.ESRCH {
				return nil
			}
		case err != nil:
			return err
		case got == pid:
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running after %v", pid, timeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// reapAll collects every exited child. Call it only while no exec.Cmd is
// running, or it could steal a runtime's exit status.
func reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
