// Package wasm owns the WebAssembly workload: detecting a module in a container rootfs,
// the wasmtime engine and the host-side cache of compiled modules, and the runner that
// executes a module as the container's process.
//
// # How the pieces meet
//
// At create, linux/ calls DetectModule, then CompileCache.Open, appends the
// returned file to libcontainer's ExtraFiles and sets process.args to
// RunnerArgs(RunnerOptions{ModuleFD: 3 + index in ExtraFiles, MemoryLimit,
// Args: the user's process.args}). libcontainer's init execs /proc/self/exe
// (its sealed copy of wasm-runc) in the finished container. The runner is C
// (runner.c, wasmtime's C API): a constructor sees argv[1] == RunnerMarker
// and runs it before the Go runtime starts, so the runner process never
// starts Go at all (about 1.3 ms and 5 MB of PSS less per container, see
// docs/performance.md); RunnerMain, which main calls for the marker, only
// runs it for a libc that gives constructors no argv. The runner builds an
// engine with NewEngine's settings (repeated in runner.c), loads the module,
// closes the fd and runs _start with WASI preview1. To load, it first tries
// wasmtime_module_deserialize_file("/proc/self/fd/N"), which maps the entry
// (code and data image from the page cache, shared by every container
// running the module), after checking with fstat that the path leads to the
// fd's own inode; when the reopen fails (a process that is not dumpable and
// not root, no /proc, a cache on a noexec mount) or leads elsewhere (a
// rootfs's own /proc/self/fd/N), it maps the fd and lets
// wasmtime_module_deserialize copy the module, as before. It never
// resolves any other path to compiled code. Load time for the Go example
// (TestRunnerLoadFigures): 0.10 ms mapped against 1.8-2.0 ms copied, and
// instantiation 0.02-0.03 ms against 0.25-0.27 ms (no memfd to fill).
//
//   - argv is process.args verbatim, argv[0] included;
//   - the environment is the process's (process.env), plus PWD=<cwd> when
//     absent: Go's wasip1 runtime takes its working directory from PWD;
//   - "/" is preopened as "/" (every mount is visible; read-only mounts stay
//     read-only because the kernel refuses the writes) and, when the cwd is
//     not "/", the cwd as "." (wasi-libc resolves relative paths against it);
//   - stdin, stdout and stderr are inherited.
//
// # Exit codes
//
//	guest returns from _start                 0
//	guest calls proc_exit(n), 0 <= n <= 125   n
//	guest calls proc_exit(n), n >= 126        1  (ExitInvalidStatus; wasmtime v39
//	                                              refuses such codes with "exit with
//	                                              invalid exit status outside of
//	                                              [0..126)")
//	guest traps                               134 (ExitTrap: 128+SIGABRT, as the
//	                                              wasmtime CLI)
//	signal n received                         128+n
//	module cannot be loaded or instantiated   126 (ExitRunnerFailed: no guest code ran)
//
// Every non-guest failure prints exactly one line on stderr starting with
// "wasm-runc: ", e.g. "wasm-runc: wasm trap: wasm `unreachable` instruction
// executed (in boom)". A Go guest's own panic prints Go's usual report and
// exits 2, as it would natively. RUST_BACKTRACE in process.env reaches the
// guest but does not turn these lines into Rust backtraces.
//
// # Signals
//
// The runner is usually PID 1 of its pid namespace, where the kernel drops
// signals that have no handler, so it catches every catchable signal whose
// default is to terminate (HUP, INT, QUIT, ABRT, USR1, USR2, ALRM, TERM,
// STKFLT, XCPU, XFSZ, VTALRM, PROF, IO, PWR, SYS and the real-time signals
// 34-64). SIGKILL and SIGSTOP act as for any process. Not caught: the
// synchronous signals wasmtime needs for traps (SEGV, BUS, FPE, ILL, TRAP),
// SIGURG, glibc's 32 and 33, SIGPIPE (ignored: a write to a closed pipe
// returns EPIPE to the guest), and signals whose default is not
// to terminate (CHLD, WINCH, CONT, TSTP, TTIN, TTOU).
//
// On the first caught signal n the engine's epoch is incremented: Wasm code
// that is running traps at its next epoch check (measured: about 1 ms) and
// the runner exits 128+n. A guest blocked in a host call (sleep, poll, a
// blocking read) is not reached that way, so 200 ms after the signal the
// runner exits 128+n regardless (measured 201-203 ms). The process exits
// with a status, it is not killed by the signal: wait(2) sees 143 for
// SIGTERM, as runc's own reporting of a signalled process would show.
//
// The handlers (sigaction, in runner.c) are the runner's first act, so a
// signal that arrives while it is still starting is not lost; one that
// arrives before the engine exists exits 128+n at once. The grace timer is
// setitimer's SIGALRM. Left: the first fraction of a millisecond after
// execve, before any user code runs, where the kernel drops the signal as
// for any PID 1 without a handler (measured with the earlier Go runner: 4 of
// 40 signals sent 0-3 ms after the exec; 17 of 40 before a C constructor
// installed the handlers).
//
// # Memory
//
// With MemoryLimit > 0 (linux.resources.memory.limit), a store limiter caps
// each linear memory at
//
//	MemoryLimit - (8 MiB + size of the compiled module + MemoryLimit/64)
//
// so that a guest growing without end gets memory.grow = -1 and fails in
// its own way (Go: "fatal error: out of memory", exit 2) instead of the
// container being OOM-killed. A limit smaller than the headroom leaves no
// linear memory at all and instantiation fails (exit 126).
//
// Measured with the earlier Go runner, which needed about 1 MB more
// anonymous memory than runner.c (TestRunnerMemoryLimit, Go example, 9.3 MB compiled; peak
// RssAnon+RssShmem+VmPTE sampled every millisecond, which is what a memory
// cgroup cannot reclaim): with the entry mapped, peaks for limits of
// 32/48/128/512 MiB are 12.4/28.5/107.5/485.1 MiB, page tables included
// (1.2 MiB at 512 MiB). When the runner falls back to copying the module it
// uses about 10.7 MiB more (wasmtime's copy of the compiled code, the
// data-segment image kept in a memfd): 23.1/39.2/118.4/496.7 MiB, still
// 9-15 MiB below the limit. The headroom keeps counting the entry's size:
// the fallback needs it, and the mapped entry's pages are page cache that
// the container's cgroup is charged for when it touches them first
// (reclaimable, but counted in memory.usage_in_bytes). The binary's text is
// page cache too. RLIMIT_AS is never used: wasmtime reserves linear memory
// as address space up front.
//
// # Process title
//
// The runner rewrites its argv area in place, so /proc/<pid>/cmdline reads
// the user's args NUL-separated, followed by NUL padding as long as the
// runner's own prefix ("/proc/self/exe", RunnerMarker, flags); ps and pgrep
// show "hello sleep 3", but a reader splitting cmdline on NUL sees trailing
// empty strings. With CAP_SYS_RESOURCE the padding is cut off too
// (PR_SET_MM_ARG_END). comm (ps's COMMAND column, /proc/<pid>/comm) is
// basename(args[0]), at most 15 bytes. /proc/<pid>/exe still names the
// sealed wasm-runc binary, and /proc/<pid>/environ is process.env (plus
// nothing: PWD is added for the guest only).
//
// # Compile cache figures
//
// Measured by TestCacheFigures on the development machine (2 shared cores,
// Go example of 3.0 MB, entry of 9.7 MB): a cold Open (hash, Cranelift
// compile, store) takes 0.7-1.5 s depending on load; a warm Open takes
// 18-23 us when the module file's identity (device, inode, size, mtime,
// ctime) is in the index and the entry was checked earlier in this boot,
// 0.45-0.51 ms when the entry's CRC32C must be checked (the first Open after
// a boot or after any change to the entry), and 3.6-4.4 ms when the
// module must be read and hashed (SHA-256 of 3 MB). Files changed less than
// 2 s before Open are always hashed, and entries changed less than 2 s
// before always checked, so a rewrite racing the coarse ctime clock cannot
// reuse a stale index line. The first Open of a process adds about 50 us
// (EngineFingerprint, the boot id). DetectModule with a PATH search takes
// about 20 us.
package wasm
