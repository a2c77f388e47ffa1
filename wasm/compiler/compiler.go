// Package compiler turns untrusted module bytes into compiled code on the
// host, in a worker process with bounds: compiler.c, run from a constructor
// before the Go runtime (as the runner is) in a child of `create`, under
// rlimits it sets itself, in a transient cgroup that Compile makes under the
// container's cgroup parent (so the pod pays for its compile), and with a
// wall-clock deadline. main imports it for that constructor.
// docs/security.md says why; docs/wasm.md, the defaults.
package compiler

// #cgo CFLAGS: -I${SRCDIR}/../engine
// #include "compiler.h"
import "C"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	// libwasmtime.a, which compiler.c calls, comes with wasmtime-go.
	_ "github.com/bytecodealliance/wasmtime-go/v42"
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"

	"github.com/wasm-runc/wasm-runc/wasm/engine"
)

// Marker is os.Args[1] of the compile worker.
const Marker = C.WC_MARKER

const (
	exitRejected = C.WC_EXIT_REJECTED
	exitFailed   = C.WC_EXIT_FAILED
)

// Limits bound one compile.
type Limits struct {
	Timeout   time.Duration // wall clock, from the start of the worker
	Memory    int64         // bytes: the cgroup's limit and the worker's RLIMIT_DATA
	MaxInput  int64         // bytes of module (binary or text) accepted
	MaxOutput int64         // bytes of compiled code accepted
	// Cgroup is the cgroupfs path (e.g. /kubepods/pod1/wasm-runc-compile-ID)
	// of the transient cgroup to compile in; "" compiles without one (the
	// rlimits still apply).
	Cgroup    string
	CPUQuota  int64  // cpu.cfs_quota_us for the cgroup; 0: none
	CPUPeriod uint64 // cpu.cfs_period_us
	// Cwd, when set (absolute, clean, not "/"), is the working directory
	// to build into a wasi-libc module (cwd_rewrite.c); the compiled code
	// is then only right for a process with that working directory.
	Cwd string
}

// RejectedError is a module that the worker refused: Reason is one line,
// already capped and escaped.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return e.Reason }

// Source says what the module's bytes are: WAT text or binary, a component
// or a core module (the worker refuses a module of the other kind).
type Source struct {
	Text      bool
	Component bool
}

// Compile compiles the module open as src (as kind says) and writes
// the compiled module to out. It returns a *RejectedError when the module
// is refused or exceeds a limit, and another error when the worker could
// not run. ctx cancels the compile (the worker is killed).
func Compile(ctx context.Context, src, out *os.File, kind Source, lim Limits) error {
	if lim.Timeout <= 0 || lim.Memory <= 0 || lim.MaxInput <= 0 || lim.MaxOutput <= 0 {
		return errors.New("compile: limits not set")
	}
	cpu := int64((lim.Timeout + time.Second - 1) / time.Second)
	goR, goW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	defer goR.Close()
	defer goW.Close()
	var stderr cappedBuffer
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{os.Args[0], Marker,
			"--text=" + boolArg(kind.Text),
			"--component=" + boolArg(kind.Component),
			"--max-input=" + strconv.FormatInt(lim.MaxInput, 10),
			"--memory=" + strconv.FormatInt(lim.Memory, 10),
			"--cpu-seconds=" + strconv.FormatInt(cpu, 10),
			"--max-output=" + strconv.FormatInt(lim.MaxOutput, 10)},
		// Nothing of the caller's environment: RUST_BACKTRACE and friends
		// would change what wasmtime prints.
		Env:        []string{},
		Stdin:      src,
		Stdout:     out,
		Stderr:     &stderr,
		ExtraFiles: []*os.File{goR},
		SysProcAttr: &syscall.SysProcAttr{
			Pdeathsig: syscall.SIGKILL,
			Setpgid:   true,
		},
	}
	if lim.Cwd != "" {
		cmd.Args = append(cmd.Args, "--cwd="+lim.Cwd)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("compile: start worker: %w", err)
	}
	goR.Close()
	var cg cgroups.Manager
	if lim.Cgroup != "" {
		cg, err = joinCgroup(cmd.Process.Pid, lim)
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return fmt.Errorf("compile: %w", err)
		}
		defer func() { _ = cg.Destroy() }()
	}
	if _, err := goW.Write([]byte{1}); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("compile: start worker: %w", err)
	}
	goW.Close()

	timer := time.NewTimer(lim.Timeout)
	defer timer.Stop()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var why string
	select {
	case err = <-done:
	case <-timer.C:
		why = fmt.Sprintf("took longer than %s (the compile deadline)", lim.Timeout)
	case <-ctx.Done():
		why = "interrupted"
	}
	if why != "" {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		<-done
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &RejectedError{Reason: why}
	}
	return workerError(cmd.ProcessState, err, stderr.String(), lim)
}

// workerError says why the worker ended as it did.
func workerError(ps *os.ProcessState, err error, stderr string, lim Limits) error {
	if err == nil {
		return nil
	}
	line := strings.TrimPrefix(strings.TrimSpace(stderr), "wasm-runc: ")
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	line = engine.Escape(line, engine.MessageMax)
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited() && ws.ExitStatus() == exitRejected:
		return &RejectedError{Reason: line}
	case ws.Signaled() && ws.Signal() == syscall.SIGXCPU:
		return &RejectedError{Reason: fmt.Sprintf("took more than %s of CPU time (the compile deadline)", lim.Timeout)}
	case ws.Signaled() && (ws.Signal() == syscall.SIGKILL || ws.Signal() == syscall.SIGABRT):
		// The cgroup's OOM killer, or an allocation that RLIMIT_DATA refused
		// (Rust aborts then, after "memory allocation of N bytes failed").
		return &RejectedError{Reason: fmt.Sprintf("out of memory (the compile may use %d bytes)", lim.Memory)}
	case ws.Signaled():
		return fmt.Errorf("compile worker killed by %v", ws.Signal())
	}
	if line == "" {
		line = err.Error()
	}
	return fmt.Errorf("compile worker: %s", line)
}

// CgroupPrefix starts the name of every compile cgroup; the name ends in
// "-<pid of the create that made it>".
const CgroupPrefix = "wasm-runc-compile-"

// sweepCgroups removes the compile cgroups beside cg whose create died
// without removing them (killed with SIGKILL: its worker died with it).
func sweepCgroups(cg string) {
	if !path.IsAbs(cg) {
		return
	}
	parent := path.Dir(cg)
	var root string
	if cgroups.IsCgroup2UnifiedMode() {
		root = "/sys/fs/cgroup"
	} else {
		var err error
		if root, err = cgroups.FindCgroupMountpoint("", "memory"); err != nil {
			return
		}
	}
	ents, err := os.ReadDir(filepath.Join(root, parent))
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		i := strings.LastIndexByte(name, '-')
		if !e.IsDir() || !strings.HasPrefix(name, CgroupPrefix) || i < 0 || path.Join(parent, name) == cg {
			continue
		}
		pid, err := strconv.Atoi(name[i+1:])
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		m, err := manager.New(&cgroups.Cgroup{Path: path.Join(parent, name), Resources: &cgroups.Resources{SkipDevices: true}})
		if err == nil {
			_ = m.Destroy()
		}
	}
}

// joinCgroup makes the transient cgroup with the limits and moves pid in.
func joinCgroup(pid int, lim Limits) (cgroups.Manager, error) {
	sweepCgroups(lim.Cgroup)
	pids := int64(256)
	res := &cgroups.Resources{
		Memory:      lim.Memory,
		MemorySwap:  lim.Memory,
		CpuQuota:    lim.CPUQuota,
		CpuPeriod:   lim.CPUPeriod,
		PidsLimit:   &pids,
		SkipDevices: true,
	}
	m, err := manager.New(&cgroups.Cgroup{Path: lim.Cgroup, Resources: res})
	if err != nil {
		return nil, fmt.Errorf("compile cgroup %s: %w", lim.Cgroup, err)
	}
	if err := m.Apply(pid); err != nil {
		_ = m.Destroy()
		return nil, fmt.Errorf("compile cgroup %s: %w", lim.Cgroup, err)
	}
	if err := m.Set(res); err != nil {
		_ = m.Destroy()
		return nil, fmt.Errorf("compile cgroup %s: %w", lim.Cgroup, err)
	}
	return m, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// cappedBuffer keeps the first 16 KiB written: the worker prints one line,
// but nothing it prints may grow create's memory.
type cappedBuffer struct{ b bytes.Buffer }

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := 16<<10 - c.b.Len(); room > 0 {
		if len(p) > room {
			c.b.Write(p[:room])
		} else {
			c.b.Write(p)
		}
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string { return c.b.String() }
