package linux

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasm-runc/wasm-runc/spec"
	"github.com/wasm-runc/wasm-runc/wasm"
)

// Executor is what a container process runs as. Both kinds have the same
// shape: Prepare turns the libcontainer process into what libcontainer's
// init will exec inside the finished container.
type Executor interface {
	// Kind is "native" or "wasm".
	Kind() string
	// Prepare runs on the host before the process starts. The returned
	// release function frees what Prepare opened; call it once the process
	// has started (or failed to).
	Prepare(p *libcontainer.Process) (release func(), err error)
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
	// Process is the OCI process to run.
	Process *specs.Process
	// MemoryLimit is the container's memory limit in bytes (0: none).
	MemoryLimit int64
	// Cache holds compiled modules.
	Cache *wasm.CompileCache
	// Exec is set for an extra process in a running container (`exec`):
	// there a native program of the rootfs (a debug shell) runs natively
	// even when the container is annotated to run as Wasm.
	Exec bool
}

// ChooseExecutor is the one place that decides whether a process runs
// natively or as Wasm.
func ChooseExecutor(o ExecutorOptions) (Executor, error) {
	mode := spec.WasmMode(o.Annotations, o.Program)
	if mode == spec.Wasm && o.Exec {
		mode = spec.Smart
	}
	if mode == spec.Native {
		return nativeExecutor{}, nil
	}
	p := o.Process
	m, err := wasm.DetectModule(o.Rootfs, p.Args[0], envValue(p.Env, "PATH"), p.Cwd)
	if err != nil {
		if mode == spec.Smart {
			// Let the native path report a missing entrypoint as runc would.
			return nativeExecutor{}, nil
		}
		return nil, err
	}
	if m == nil {
		if mode == spec.Wasm {
			return nil, fmt.Errorf("%s: not a WebAssembly module (the container is annotated to run as Wasm)", p.Args[0])
		}
		return nativeExecutor{}, nil
	}
	return &wasmExecutor{module: m, memoryLimit: o.MemoryLimit, cache: o.Cache}, nil
}

type nativeExecutor struct{}

func (nativeExecutor) Kind() string { return "native" }

func (nativeExecutor) Prepare(*libcontainer.Process) (func(), error) { return func() {}, nil }

type wasmExecutor struct {
	module      *wasm.Module
	memoryLimit int64
	cache       *wasm.CompileCache
}

func (*wasmExecutor) Kind() string { return "wasm" }

// Prepare compiles the module on the host (or finds it in the cache), hands
// the container an open read-only fd of the compiled code, and makes
// libcontainer exec our own sealed binary, which runs the module.
func (w *wasmExecutor) Prepare(p *libcontainer.Process) (func(), error) {
	f, err := w.cache.Open(w.module)
	if err != nil {
		return nil, err
	}
	p.ExtraFiles = append(p.ExtraFiles, f)
	fd := 3 + len(p.ExtraFiles) - 1
	p.Args = wasm.RunnerArgs(wasm.RunnerOptions{
		ModuleFD:    fd,
		MemoryLimit: w.memoryLimit,
		Args:        p.Args,
	})
	return func() { f.Close() }, nil
}

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
