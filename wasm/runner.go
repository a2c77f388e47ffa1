package wasm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// RunnerMarker is os.Args[1] of the in-container runner: main hands
// everything after it to RunnerMain before doing anything else.
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
const signalGrace = 200 * time.Millisecond

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

// parseRunnerArgs reverses RunnerArgs (without its first two elements).
// The strings are copied: the originals live in the argv area that
// setProcessTitle overwrites.
func parseRunnerArgs(args []string) (RunnerOptions, error) {
	o := RunnerOptions{ModuleFD: -1}
	for i, a := range args {
		if a == "--" {
			o.Args = make([]string, len(args)-i-1)
			for j, u := range args[i+1:] {
				o.Args[j] = strings.Clone(u)
			}
			if o.ModuleFD < 0 {
				return o, errors.New("missing --module-fd")
			}
			return o, nil
		}
		name, val, ok := strings.Cut(a, "=")
		if !ok {
			return o, fmt.Errorf("bad runner argument %q", a)
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return o, fmt.Errorf("bad runner argument %q", a)
		}
		switch name {
		case "--module-fd":
			o.ModuleFD = int(n)
		case "--memory-limit":
			o.MemoryLimit = n
		default:
			return o, fmt.Errorf("unknown runner argument %q", a)
		}
	}
	return o, errors.New("missing -- before the process arguments")
}

// RunnerMain runs the module inside the finished container and returns the
// process exit code. args are what RunnerArgs wrote after RunnerMarker.
func RunnerMain(args []string) int {
	o, err := parseRunnerArgs(args)
	if err != nil {
		return fail(ExitRunnerFailed, err.Error())
	}
	setProcessTitle(o.Args)

	engine, err := NewEngine()
	if err != nil {
		return fail(ExitRunnerFailed, err.Error())
	}
	// Caught before loading the module: even a start that is still
	// deserializing must obey SIGTERM. As PID 1 an unhandled signal would be
	// ignored by the kernel. Installing the handlers takes about 0.5 ms (one
	// handshake with the runtime's signal thread per signal), so it runs
	// alongside the load and is waited for before any guest code runs.
	caught, installed := catchSignals(engine)

	module, cwasmSize, err := loadModule(engine, o.ModuleFD)
	if err != nil {
		return fail(ExitRunnerFailed, err.Error())
	}

	store := wasmtime.NewStore(engine)
	store.SetEpochDeadline(1)
	if o.MemoryLimit > 0 {
		store.Limiter(linearMemoryLimit(o.MemoryLimit, cwasmSize), -1, -1, -1, -1)
	}
	wasi, err := wasiConfig(o.Args)
	if err != nil {
		return fail(ExitRunnerFailed, err.Error())
	}
	store.SetWasi(wasi)
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		return fail(ExitRunnerFailed, err.Error())
	}
	<-installed
	if sig := caught.Load(); sig != 0 {
		return 128 + int(sig)
	}
	instance, err := linker.Instantiate(store, module)
	if err != nil {
		if sig := caught.Load(); sig != 0 {
			return 128 + int(sig)
		}
		// A start function is guest code: it may exit or trap.
		if code, ok := guestExit(err); ok {
			return code
		}
		var trap *wasmtime.Trap
		if errors.As(err, &trap) {
			return fail(ExitTrap, "wasm trap: "+trapLine(trap))
		}
		return fail(ExitRunnerFailed, "instantiate module: "+oneLine(wasmtimeMessage(err)))
	}
	start := instance.GetFunc(store, "_start")
	if start == nil {
		return fail(ExitRunnerFailed, "module has no _start function (not a WASI command)")
	}
	_, err = start.Call(store)
	if sig := caught.Load(); sig != 0 {
		return 128 + int(sig)
	}
	if err == nil {
		return 0
	}
	if code, ok := guestExit(err); ok {
		return code
	}
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		return fail(ExitTrap, "wasm trap: "+trapLine(trap))
	}
	if strings.Contains(wasmtimeMessage(err), "invalid exit status") {
		return fail(ExitInvalidStatus, "guest exit status out of range: wasmtime accepts proc_exit codes 0 to 125 only")
	}
	return fail(ExitTrap, "wasm error: "+oneLine(wasmtimeMessage(err)))
}

func fail(code int, msg string) int {
	fmt.Fprintln(os.Stderr, "wasm-runc: "+msg)
	return code
}

// guestExit extracts a proc_exit status.
func guestExit(err error) (int, bool) {
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			return int(code), true
		}
	}
	return 0, false
}

// trapLine is wasmtime's trap reason without its backtrace, plus the
// innermost frame when the module kept names.
func trapLine(t *wasmtime.Trap) string {
	msg := wasmtimeMessage(t)
	reason := ""
	for _, l := range strings.Split(msg, "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(l), "wasm trap: "); ok {
			reason = r
		}
	}
	if reason == "" {
		reason = lastLine(msg)
	}
	if frames := t.Frames(); len(frames) > 0 {
		if name := frames[0].FuncName(); name != nil && *name != "" {
			reason += " (in " + *name + ")"
		}
	}
	return reason
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// catchSignals makes every catchable, terminating signal stop the guest:
// epoch interruption traps running Wasm code at once; a guest blocked in a
// host call is not reached that way, so the process exits 128+signal after
// signalGrace regardless. Signals the Go runtime or wasmtime need (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGTRAP for traps; SIGURG for preemption; 32 and 33
// for glibc), and those whose default is not to terminate (SIGCHLD, SIGWINCH,
// SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU), keep their usual handling. SIGPIPE
// too: a write to a closed pipe returns EPIPE to the guest.
//
// The handlers are installed by a goroutine; installed is closed once they
// all are.
func catchSignals(engine *wasmtime.Engine) (caught *atomic.Int32, installed <-chan struct{}) {
	sigs := []os.Signal{
		unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGABRT, unix.SIGUSR1, unix.SIGUSR2,
		unix.SIGALRM, unix.SIGTERM, unix.SIGSTKFLT, unix.SIGXCPU, unix.SIGXFSZ,
		unix.SIGVTALRM, unix.SIGPROF, unix.SIGIO, unix.SIGPWR, unix.SIGSYS,
	}
	for s := 34; s <= 64; s++ { // SIGRTMIN..SIGRTMAX as the kernel numbers them
		sigs = append(sigs, syscall.Signal(s))
	}
	ch := make(chan os.Signal, 1)
	caught = new(atomic.Int32)
	done := make(chan struct{})
	go func() {
		signal.Notify(ch, sigs...)
		close(done)
		sig := (<-ch).(syscall.Signal)
		caught.Store(int32(sig))
		engine.IncrementEpoch()
		time.AfterFunc(signalGrace, func() { os.Exit(128 + int(sig)) })
	}()
	return caught, done
}

// procSelfFD is where the runner reopens its module fd; a variable for tests.
var procSelfFD = "/proc/self/fd/"

// loadModule deserializes the compiled module from fd (an entry that
// CompileCache.Open checked on the host) and closes fd. It returns the
// module and the size of wasmtime's serialized bytes.
//
// First choice: wasmtime.NewModuleDeserializeFile on /proc/self/fd/N, which
// maps the entry: code and data image come from the page cache, shared with
// every container running the same module, instead of a private copy. The
// path is used only when reopening it gives the very inode that fd is
// (device and inode compared with fstat), so a rootfs without a real /proc
// cannot substitute a file of its own. The reopen fails for a process that
// is not dumpable and not root (/proc/self/fd is then root's, mode 0500), in
// a container without /proc, or when the cache is on a noexec mount
// (wasmtime cannot map the code executable); then the entry is mapped from
// fd and copied by wasmtime.NewModuleDeserialize, as before.
func loadModule(engine *wasmtime.Engine, fd int) (*wasmtime.Module, int64, error) {
	f := os.NewFile(uintptr(fd), "module")
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, fmt.Errorf("read compiled module: %w", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		if m := deserializeFile(engine, fd, &st); m != nil {
			return m, payloadSize(f, st.Size), nil
		}
	}
	serialized, release, err := readModule(f, &st)
	if err != nil {
		return nil, 0, fmt.Errorf("read compiled module: %w", err)
	}
	defer release() // wasmtime copies what it needs
	module, err := wasmtime.NewModuleDeserialize(engine, serialized)
	if err != nil {
		return nil, 0, errors.New("load compiled module: " + oneLine(wasmtimeMessage(err)))
	}
	return module, int64(len(serialized)), nil
}

// deserializeFile loads the module through /proc/self/fd/N after checking
// that the path leads to fd's file; nil when it does not, or fails.
func deserializeFile(engine *wasmtime.Engine, fd int, want *unix.Stat_t) *wasmtime.Module {
	path := procSelfFD + strconv.Itoa(fd)
	rfd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	var st unix.Stat_t
	err = unix.Fstat(rfd, &st)
	if err != nil || st.Dev != want.Dev || st.Ino != want.Ino {
		unix.Close(rfd)
		return nil
	}
	// wasmtime opens the path itself (the C API takes no fd). It is the
	// path we just checked, resolved again: between the two, only a
	// process of this container able to mount over /proc could change
	// where it leads, and such a process already runs native code here.
	m, err := wasmtime.NewModuleDeserializeFile(engine, path)
	unix.Close(rfd)
	if err != nil {
		return nil
	}
	return m
}

// payloadSize is the size of wasmtime's bytes in an entry of size bytes:
// without the trailer when there is one.
func payloadSize(f *os.File, size int64) int64 {
	var t [trailerSize]byte
	if size < trailerSize {
		return size
	}
	if _, err := f.ReadAt(t[:], size-trailerSize); err != nil || string(t[:len(trailerMagic)]) != trailerMagic ||
		binary.LittleEndian.Uint64(t[16:24]) != uint64(size-trailerSize) {
		return size
	}
	return size - trailerSize
}

// readModule maps the serialized module from f, without the entry trailer.
// Mapping, not reading, keeps a 10 MB copy off the Go heap, and so out of
// the container's memory budget: the pages are page cache. Not a regular
// file (a pipe, in tests): read.
func readModule(f *os.File, st *unix.Stat_t) (data []byte, release func(), err error) {
	if st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size > 0 {
		m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size), unix.PROT_READ, unix.MAP_PRIVATE)
		if err == nil {
			return m[:payloadSize(f, st.Size)], func() { unix.Munmap(m) }, nil
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return b, func() {}, nil
}

// wasiConfig gives the guest the container's view: argv, environment,
// stdio, the whole root at "/" and the working directory at ".".
func wasiConfig(args []string) (*wasmtime.WasiConfig, error) {
	w := wasmtime.NewWasiConfig()
	w.SetArgv(args)
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	var keys, vals []string
	hasPWD := false
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		hasPWD = hasPWD || k == "PWD"
		keys, vals = append(keys, k), append(vals, v)
	}
	// Go's wasip1 syscall package takes its working directory from PWD.
	if !hasPWD {
		keys, vals = append(keys, "PWD"), append(vals, cwd)
	}
	w.SetEnv(keys, vals)
	// The guest has its copy. Rust's anyhow would otherwise capture a
	// backtrace for every trap and every proc_exit (an error internally)
	// when the user's environment asks for them. libc's environ changes,
	// /proc/self/environ does not.
	os.Unsetenv("RUST_BACKTRACE")
	os.Unsetenv("RUST_LIB_BACKTRACE")
	w.InheritStdin()
	w.InheritStdout()
	w.InheritStderr()
	// Read-only mounts stay read-only: the kernel refuses the writes.
	dirPerms := wasmtime.DIR_READ | wasmtime.DIR_WRITE
	filePerms := wasmtime.FILE_READ | wasmtime.FILE_WRITE
	if err := w.PreopenDir("/", "/", dirPerms, filePerms); err != nil {
		return nil, fmt.Errorf("preopen /: %w", err)
	}
	// wasi-libc resolves relative paths against a "." preopen.
	if cwd != "/" {
		if err := w.PreopenDir(cwd, ".", dirPerms, filePerms); err != nil {
			return nil, fmt.Errorf("preopen %s: %w", cwd, err)
		}
	}
	return w, nil
}
