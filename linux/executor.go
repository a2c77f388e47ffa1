package linux

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasm-runc/wasm-runc/spec"
	"github.com/wasm-runc/wasm-runc/wasm"
	"github.com/wasm-runc/wasm-runc/wasm/compiler"
	"github.com/wasm-runc/wasm-runc/wasm/runner"
)

// Kind is how a container process runs.
type Kind int

const (
	// Native: libcontainer execs process.args[0], as runc does.
	Native Kind = iota + 1
	// Wasm: libcontainer execs our sealed binary, which runs the module.
	Wasm
)

func (k Kind) String() string {
	switch k {
	case Native:
		return "native"
	case Wasm:
		return "wasm"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Executor is what a container process runs as. Both kinds have the same
// shape: Prepare turns the libcontainer process into what libcontainer's
// init will exec inside the finished container.
type Executor interface {
	Kind() Kind
	// Prepare runs on the host just before the process starts.
	Prepare(p *libcontainer.Process) error
	// Close frees what the executor holds open; call it once the process
	// has started (or failed to). It may be called more than once.
	Close()
}

// ExecutorOptions is everything the native-or-Wasm decision looks at.
type ExecutorOptions struct {
	// Annotations of the container (spec annotations).
	Annotations map[string]string
	// Program is the name this binary was invoked under.
	Program string
	// Rootfs is where the container's root is visible from the host: the
	// bundle's rootfs before start, /proc/<pid>/root for exec.
	Rootfs string
	// Mounts are the spec's mounts over Rootfs (none for exec, whose Rootfs
	// already shows them).
	Mounts []wasm.Mount
	// Process is the OCI process to run.
	Process *specs.Process
	// MemoryLimit is the container's memory limit in bytes (0: none).
	MemoryLimit int64
	// Cache holds compiled modules.
	Cache *wasm.CompileCache
	// Compile bounds a compile of the module (a cache miss).
	Compile wasm.CompileLimits
	// Exec is set for an extra process in a running container (`exec`):
	// there a native program of the rootfs (a debug shell) runs natively
	// even when the container is annotated to run as Wasm.
	Exec bool
}

// Decide is the one place that decides whether a process runs natively or
// as Wasm; for Wasm it returns the module found. It reads the rootfs but
// compiles nothing.
func Decide(o ExecutorOptions) (Kind, *wasm.Module, error) {
	mode := spec.WasmMode(o.Annotations, o.Program)
	if mode == spec.Wasm && o.Exec {
		mode = spec.Smart
	}
	if mode == spec.Native {
		return Native, nil, nil
	}
	p := o.Process
	m, err := wasm.DetectModuleIn(wasm.View{Rootfs: o.Rootfs, Mounts: o.Mounts}, p.Args[0], envValue(p.Env, "PATH"), p.Cwd)
	if err != nil {
		if mode == spec.Smart {
			// Let the native path report a missing entrypoint as runc would.
			return Native, nil, nil
		}
		return 0, nil, err
	}
	if m == nil {
		if mode == spec.Wasm {
			return 0, nil, fmt.Errorf("%w (the container is annotated to run as Wasm)", wasm.NotWasmError(p.Args[0]))
		}
		return Native, nil, nil
	}
	m.Cwd = p.Cwd
	return Wasm, m, nil
}

// ChooseExecutor decides (Decide) and, for Wasm, compiles the module or
// finds it in the cache now, before any container state exists: a bad or
// hostile module fails here and leaves nothing behind. ctx cancels a
// compile.
func ChooseExecutor(ctx context.Context, o ExecutorOptions) (Executor, error) {
	kind, m, err := Decide(o)
	if err != nil {
		return nil, err
	}
	if kind == Native {
		return nativeExecutor{}, nil
	}
	return WasmExecutor(ctx, o.Cache, m, o.Compile, o.MemoryLimit)
}

// NativeExecutor runs process.args[0] as runc does.
func NativeExecutor() Executor { return nativeExecutor{} }

// WasmExecutor compiles m (or finds it in the cache) for a container whose
// memory limit is memoryLimit (0: none).
func WasmExecutor(ctx context.Context, cache *wasm.CompileCache, m *wasm.Module, lim wasm.CompileLimits, memoryLimit int64) (Executor, error) {
	e, err := cache.Open(ctx, m, lim)
	cache.Close()
	if err != nil {
		return nil, err
	}
	return &wasmExecutor{entry: e, module: m, memoryLimit: memoryLimit}, nil
}

type nativeExecutor struct{}

func (nativeExecutor) Kind() Kind                          { return Native }
func (nativeExecutor) Prepare(*libcontainer.Process) error { return nil }
func (nativeExecutor) Close()                              {}

type wasmExecutor struct {
	entry       *wasm.Entry
	module      *wasm.Module
	memoryLimit int64
}

func (*wasmExecutor) Kind() Kind { return Wasm }

// Prepare hands the container the open, read-only compiled module and
// makes libcontainer exec our own sealed binary, which runs it.
func (w *wasmExecutor) Prepare(p *libcontainer.Process) error {
	p.ExtraFiles = append(p.ExtraFiles, w.entry.File)
	p.Args = runner.Args(runner.Options{
		ModuleFD:    3 + len(p.ExtraFiles) - 1,
		ModuleSize:  w.entry.Size,
		MemoryLimit: w.memoryLimit,
		ModulePath:  w.module.GuestPath,
		ModuleDev:   w.module.Dev,
		ModuleIno:   w.module.Ino,
		Component:   w.module.Component,
		Args:        p.Args,
	})
	return nil
}

func (w *wasmExecutor) Close() { w.entry.File.Close() }

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if len(env[i]) > len(key) && env[i][len(key)] == '=' && env[i][:len(key)] == key {
			return env[i][len(key)+1:]
		}
	}
	return ""
}

// MemoryLimit returns the memory limit of a spec in bytes, 0 when none.
func MemoryLimit(s *specs.Spec) int64 {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.Memory == nil ||
		s.Linux.Resources.Memory.Limit == nil || *s.Linux.Resources.Memory.Limit < 0 {
		return 0
	}
	return *s.Linux.Resources.Memory.Limit
}

// CompileCgroup is where a container's compile runs: a transient cgroup
// beside the container's own, under the same parent (a pod's cgroup on a
// Kubernetes node), so that the parent's limits and accounting cover it.
// "" (no cgroup, rlimits only) for the systemd driver and rootless runs.
func CompileCgroup(cgroupsPath, id string, systemd, rootless bool) string {
	if systemd || rootless {
		return ""
	}
	parent := "/"
	if cgroupsPath != "" {
		parent = path.Dir(cgroupsPath)
	}
	return path.Join(parent, compiler.CgroupPrefix+id+"-"+strconv.Itoa(os.Getpid()))
}

// SpecMounts is what the module lookup needs of a spec's mounts: where each
// lands and, for a bind mount, its host source (relative to bundle when
// relative, as libcontainer takes it).
func SpecMounts(s *specs.Spec, bundle string) []wasm.Mount {
	var out []wasm.Mount
	for _, m := range s.Mounts {
		bind := m.Type == "bind"
		for _, o := range m.Options {
			bind = bind || o == "bind" || o == "rbind"
		}
		wm := wasm.Mount{Destination: m.Destination}
		if bind {
			wm.Source = m.Source
			if !filepath.IsAbs(wm.Source) {
				wm.Source = filepath.Join(bundle, wm.Source)
			}
		}
		out = append(out, wm)
	}
	return out
}

// CPUQuota is the spec's CPU quota and period, 0 when none.
func CPUQuota(s *specs.Spec) (int64, uint64) {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.CPU == nil {
		return 0, 0
	}
	c := s.Linux.Resources.CPU
	var q int64
	var p uint64
	if c.Quota != nil {
		q = *c.Quota
	}
	if c.Period != nil {
		p = *c.Period
	}
	return q, p
}
