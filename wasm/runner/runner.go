// Package runner is the code that runs inside a Wasm container, as its
// process: C (runner.c, wasmtime's C API) run from a constructor before the
// Go runtime starts, in the process whose argv[1] is Marker, as runc's
// nsenter runs before Go. main imports it for that constructor. Everything
// it needs arrives as arguments (Args) and one open file; it trusts nothing
// else it finds in the container. docs/wasm.md describes what the guest
// sees; docs/DESIGN.md, where this sits.
package runner

// #cgo CFLAGS: -I${SRCDIR}/../engine
// #include "runner.h"
import "C"

import (
	"os"
	"runtime"
	"strconv"
	"time"

	// libwasmtime.a, which runner.c calls, comes with wasmtime-go.
	_ "github.com/bytecodealliance/wasmtime-go/v42"
)

// Marker is os.Args[1] of the in-container runner: runner.c's constructor
// takes that process over before the Go runtime starts (main's call of Main
// is the fallback for a libc without constructor argv).
const Marker = "wasm-runc:run-module"

// Exit codes of the runner besides the guest's own (docs/wasm.md).
const (
	// ExitTrap: the guest trapped (128+SIGABRT, as the wasmtime CLI).
	ExitTrap = 134
	// ExitRunnerFailed: the module could not be loaded or instantiated, so no
	// guest code ran (126: "found but cannot execute", as a shell says).
	ExitRunnerFailed = 126
	// ExitInvalidStatus: the guest asked proc_exit for 126 or more, which
	// wasmtime refuses.
	ExitInvalidStatus = 1
)

// signalGrace is how long a guest gets after a signal to reach an epoch
// check; one blocked in a host call (sleep, poll, read) never does.
// runner.c has it as WR_SIGNAL_GRACE_MS.
const signalGrace = 200 * time.Millisecond

// runner.h's constants, checked by TestRunnerConstants.
const (
	cRunnerMarker       = C.WR_RUNNER_MARKER
	cExitTrap           = C.WR_EXIT_TRAP
	cExitRunnerFailed   = C.WR_EXIT_RUNNER_FAILED
	cExitInvalidStatus  = C.WR_EXIT_INVALID_STATUS
	cSignalGraceMS      = C.WR_SIGNAL_GRACE_MS
	cMemoryHeadroomBase = C.WR_MEMORY_HEADROOM_BASE
)

// Options is what the host passes to the runner.
type Options struct {
	ModuleFD    int   // fd, inside the container, of the compiled module
	ModuleSize  int64 // bytes of wasmtime's serialized module at the start of that file
	MemoryLimit int64 // linux.resources.memory.limit in bytes; <= 0: none
	// ModulePath is where the container sees the module (absolute), and
	// ModuleDev, ModuleIno the file that was compiled: the runner refuses
	// to run when the container's file there is another (a mount moved
	// it). ModuleIno 0: no check.
	ModulePath           string
	ModuleDev, ModuleIno uint64
	Component            bool     // the compiled file is a component (WASI preview 2)
	Args                 []string // the user's process.args, argv[0] included
}

// Args is the process.args that makes libcontainer's init re-exec this
// binary as the runner:
//
//	/proc/self/exe wasm-runc:run-module --module-fd=N --module-size=S [--memory-limit=B]
//	    [--module-dev=D --module-ino=I --module-path=P] [--component=1] -- <user args>
func Args(o Options) []string {
	a := []string{"/proc/self/exe", Marker, "--module-fd=" + strconv.Itoa(o.ModuleFD),
		"--module-size=" + strconv.FormatInt(o.ModuleSize, 10)}
	if o.MemoryLimit > 0 {
		a = append(a, "--memory-limit="+strconv.FormatInt(o.MemoryLimit, 10))
	}
	if o.ModuleIno != 0 {
		a = append(a, "--module-dev="+strconv.FormatUint(o.ModuleDev, 10),
			"--module-ino="+strconv.FormatUint(o.ModuleIno, 10), "--module-path="+o.ModulePath)
	}
	if o.Component {
		a = append(a, "--component=1")
	}
	a = append(a, "--")
	return append(a, o.Args...)
}

// Main runs the module inside the finished container; it never returns.
// args are what Args wrote after Marker.
//
// The runner normally runs from its constructor, so main never gets here.
// Main is for a libc that does not pass argc and argv to constructors: it
// runs the same code on a copy of os.Args (the process title is then left
// as it is).
func Main(args []string) int {
	argv := append([]string{os.Args[0], Marker}, args...)
	cargv := make([]*C.char, len(argv)+1)
	for i, a := range argv {
		cargv[i] = C.CString(a)
	}
	runtime.LockOSThread()
	C.wasm_runc_run(C.int(len(argv)), &cargv[0], C.CString("/proc/self/fd/"))
	return ExitRunnerFailed // not reached
}
