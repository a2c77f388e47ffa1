package wasm

// The runner itself is runner.c.

// #include "runner.h"
import "C"

import (
	"os"
	"runtime"
	"strconv"
	"time"
)

// RunnerMarker is os.Args[1] of the in-container runner: runner.c's
// constructor takes that process over before the Go runtime starts (main's
// call of RunnerMain is the fallback for a libc without constructor argv).
const RunnerMarker = "wasm-runc:run-module"

// Exit codes of RunnerMain besides the guest's own (documented in doc.go).
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
	cTrailerMagic       = C.WR_TRAILER_MAGIC
	cTrailerSize        = C.WR_TRAILER_SIZE
	cMemoryHeadroomBase = C.WR_MEMORY_HEADROOM_BASE
)

// RunnerOptions is what the host passes to the in-container runner.
type RunnerOptions struct {
	ModuleFD    int      // fd, inside the container, of the entry opened by CompileCache.Open
	MemoryLimit int64    // linux.resources.memory.limit in bytes; <= 0: none
	Args        []string // the user's process.args, argv[0] included
}

// RunnerArgs is the process.args that makes libcontainer's init re-exec this
// binary as the runner:
//
//	/proc/self/exe wasm-runc:run-module --module-fd=N [--memory-limit=B] -- <user args>
func RunnerArgs(o RunnerOptions) []string {
	a := []string{"/proc/self/exe", RunnerMarker, "--module-fd=" + strconv.Itoa(o.ModuleFD)}
	if o.MemoryLimit > 0 {
		a = append(a, "--memory-limit="+strconv.FormatInt(o.MemoryLimit, 10))
	}
	a = append(a, "--")
	return append(a, o.Args...)
}

// RunnerMain runs the module inside the finished container; it never
// returns. args are what RunnerArgs wrote after RunnerMarker.
//
// The runner is C (runner.c) and normally runs from a constructor before the
// Go runtime starts, so main never gets here. RunnerMain is for a libc that
// does not pass argc and argv to constructors: it runs the same code on a
// copy of os.Args (the process title is then left as it is).
func RunnerMain(args []string) int {
	argv := append([]string{os.Args[0], RunnerMarker}, args...)
	cargv := make([]*C.char, len(argv)+1)
	for i, a := range argv {
		cargv[i] = C.CString(a)
	}
	runtime.LockOSThread()
	C.wasm_runc_run(C.int(len(argv)), &cargv[0], C.CString("/proc/self/fd/"))
	return ExitRunnerFailed // not reached
}
