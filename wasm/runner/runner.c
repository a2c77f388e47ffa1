// The in-container runner (see runner.go, docs/wasm.md). It runs from a C
// constructor, before the Go runtime starts, in the process whose argv[1] is
// Marker, and never returns: it loads the module from --module-fd,
// runs its _start with WASI preview1 (a component: its wasi:cli/run with WASI
// preview 2) and _exits with the guest's status.
// Skipping the Go runtime saves about 1.3 ms per start and 5 MB of PSS per
// container (docs/performance.md).
//
// Everything here runs on the process's only thread until wasmtime starts
// its own; nothing of Go is used. Signal handlers only call async-signal-safe
// functions (wasmtime_engine_increment_epoch is an atomic add).

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "runner.h"
#include "engine.h"
#include "cwd.h"

extern char **environ;

// wr_trap_text: a trap's reason without its backtrace (the line after "wasm
// trap: ", or the message's last line), plus the innermost frame when the
// module kept names. msg is wasmtime's whole message; frames is its trace.
static char *wr_trap_text(const char *whole, const wasm_frame_vec_t *frames) {
	char *msg = strdup(whole);
	char *reason = NULL;
	char *copy = strdup(msg);
	for (char *line = copy;;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = 0;
		char *t = wr_trim_space(line);
		char *w = strstr(t, "wasm trap: ");
		if (w != NULL)
			reason = w + 11;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (reason == NULL) {
		char *t = wr_trim_space(msg);
		char *last = strrchr(t, '\n');
		reason = wr_trim_space(last ? last + 1 : t);
	}
	wr_buf out = {0};
	wr_puts(&out, reason);
	if (frames->size > 0) {
		const wasm_name_t *name = wasmtime_frame_func_name(frames->data[0]);
		if (name != NULL && name->size > 0) {
			wr_puts(&out, " (in ");
			wr_put(&out, name->data, name->size);
			wr_puts(&out, ")");
		}
	}
	return out.s;
}

// wr_trap_line: wr_trap_text of a core module's trap.
static char *wr_trap_line(const wasm_trap_t *trap) {
	wasm_message_t m;
	wasm_trap_message(trap, &m);
	char *msg = wr_wasmtime_message(m.data, m.size > 0 ? m.size - 1 : 0);
	wasm_byte_vec_delete(&m);
	wasm_frame_vec_t frames = {0};
	wasm_trap_trace(trap, &frames);
	char *line = wr_trap_text(msg, &frames);
	wasm_frame_vec_delete(&frames);
	return line;
}

// ---- signals ----------------------------------------------------------

// The terminating, catchable signals (docs/wasm.md, "Signals"), and 34-64.
static const int wr_signals[] = {
	SIGHUP,	 SIGINT,  SIGQUIT, SIGABRT,   SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
	SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,	 SIGPWR,  SIGSYS,
};

static wasm_engine_t *volatile wr_engine;
static volatile sig_atomic_t wr_caught;

// wr_signal: the first signal stops running Wasm code (epoch) and arms the
// grace timer; the timer's SIGALRM, or any signal before the engine exists,
// exits 128+first signal.
static void wr_signal(int sig) {
	if (wr_caught != 0) {
		if (sig == SIGALRM)
			_exit(128 + wr_caught);
		return;
	}
	wr_caught = sig;
	wasm_engine_t *e = wr_engine;
	if (e == NULL)
		_exit(128 + sig);
	wasmtime_engine_increment_epoch(e);
	struct itimerval it = {{0, 0}, {0, WR_SIGNAL_GRACE_MS * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void wr_catch_signals(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wr_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof wr_signals / sizeof wr_signals[0]; i++)
		sigaction(wr_signals[i], &sa, NULL);
	for (int s = 34; s <= 64; s++)
		sigaction(s, &sa, NULL);
	// A write to a closed pipe returns EPIPE to the guest.
	signal(SIGPIPE, SIG_IGN);
}

static void wr_exit_if_caught(void) {
	if (wr_caught != 0)
		_exit(128 + wr_caught);
}

// ---- process title ------------------------------------------------------

// wr_set_title rewrites the argv area in place to the user's args (see
// docs/wasm.md, "What state, ps and /proc show") and names the process basename(args[0]).
static void wr_set_title(int argc, char **argv, int uargc, char **uargv) {
	if (uargc == 0)
		return;
	char *start = argv[0], *p = start;
	for (int i = 0; i < argc; i++) {
		if (argv[i] != p)
			return; // not one contiguous area
		p += strlen(argv[i]) + 1;
	}
	char *end = p;
	p = start;
	for (int i = 0; i < uargc; i++) {
		size_t l = strlen(uargv[i]) + 1;
		if (p + l > end)
			return; // cannot happen: the user's args are a suffix of ours
		memcpy(p, uargv[i], l);
		p += l;
	}
	memset(p, 0, end - p);
	prctl(PR_SET_MM, PR_SET_MM_ARG_END, (unsigned long)p, 0, 0);
	const char *base = strrchr(uargv[0], '/');
	base = base ? base + 1 : uargv[0];
	char comm[16];
	strncpy(comm, base, 15);
	comm[15] = 0;
	prctl(PR_SET_NAME, (unsigned long)comm, 0, 0, 0);
}

// ---- arguments ----------------------------------------------------------

// wr_parse reverses Args (runner.go) (argv[2:]); it returns the index of "--".
// wr_module_path, wr_module_dev, wr_module_ino: --module-path and the
// file compiled (wr_check_module).
static const char *wr_module_path;
static unsigned long long wr_module_dev, wr_module_ino;
// wr_component: --component=1, the compiled file is a component.
static int wr_component;

static int wr_parse(int argc, char **argv, long *fd, long long *limit, long long *size) {
	*fd = -1;
	*limit = 0;
	*size = -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--module-path=", 14) == 0) {
			// A copy: wr_set_title rewrites the argv area.
			wr_module_path = strdup(a + 14);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			if (*fd < 0)
				wr_fail(WR_EXIT_RUNNER_FAILED, "missing --module-fd");
			if (*size < 0)
				wr_fail(WR_EXIT_RUNNER_FAILED, "missing --module-size");
			return i;
		}
		const char *eq = strchr(a, '=');
		if (eq == NULL)
			wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("bad runner argument \"%s\"", a));
		const char *v = eq + 1;
		char *endp;
		errno = 0;
		long long n = strtoll(v, &endp, 10);
		if (*v == 0 || *endp != 0 || errno != 0 || n < 0 || !(isdigit((unsigned char)*v) || *v == '+'))
			wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("bad runner argument \"%s\"", a));
		size_t nl = eq - a;
		if (nl == 11 && strncmp(a, "--module-fd", nl) == 0) {
			if (n > 0x7fffffff)
				wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("bad runner argument \"%s\"", a));
			*fd = (long)n;
		} else if (nl == 14 && strncmp(a, "--memory-limit", nl) == 0)
			*limit = n;
		else if (nl == 13 && strncmp(a, "--module-size", nl) == 0)
			*size = n;
		else if (nl == 12 && strncmp(a, "--module-dev", nl) == 0)
			wr_module_dev = (unsigned long long)n;
		else if (nl == 12 && strncmp(a, "--module-ino", nl) == 0)
			wr_module_ino = (unsigned long long)n;
		else if (nl == 11 && strncmp(a, "--component", nl) == 0 && n <= 1)
			wr_component = (int)n;
		else
			wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("unknown runner argument \"%s\"", a));
	}
	wr_fail(WR_EXIT_RUNNER_FAILED, "missing -- before the process arguments");
	return -1;
}

// ---- module ---------------------------------------------------------------

// wr_check_module: the container, with every mount in place, must see the
// compiled file at the module's path. The host looked it up through the
// spec's mounts; a mount it could not follow (a symlink across mounts, a
// mount made by a hook) would run a file the container does not have there.
static void wr_check_module(void) {
	if (wr_module_ino == 0)
		return;
	if (wr_module_path == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "missing --module-path");
	struct stat st;
	if (stat(wr_module_path, &st) != 0)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("%s: %s (the container does not see the module that was compiled)",
							 wr_module_path, wr_errno(errno)));
	if ((unsigned long long)st.st_dev != wr_module_dev || (unsigned long long)st.st_ino != wr_module_ino)
		wr_fail(WR_EXIT_RUNNER_FAILED,
			wr_printf("%s: the container sees another file than the module that was compiled (a mount over it?)",
				  wr_module_path));
}

// wr_deserialize_file and wr_deserialize load either kind: a module, or a
// component when wr_component.
static wasmtime_error_t *wr_deserialize_file(wasm_engine_t *engine, const char *path, void **out) {
	if (wr_component)
		return wasmtime_component_deserialize_file(engine, path, (wasmtime_component_t **)out);
	return wasmtime_module_deserialize_file(engine, path, (wasmtime_module_t **)out);
}

static wasmtime_error_t *wr_deserialize(wasm_engine_t *engine, const uint8_t *data, size_t len, void **out) {
	if (wr_component)
		return wasmtime_component_deserialize(engine, data, len, (wasmtime_component_t **)out);
	return wasmtime_module_deserialize(engine, data, len, (wasmtime_module_t **)out);
}

// wr_load deserializes the module or component from fd (mapped through
// /proc/self/fd/N when that path leads to fd's inode, copied otherwise) and
// closes fd. size is the size of wasmtime's serialized bytes at the start of
// the file (the host's cache trailer follows them).
static void *wr_load(wasm_engine_t *engine, int fd, const char *procfd, int64_t size) {
	struct stat st;
	if (fstat(fd, &st) != 0)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("read compiled module: fstat: %s", wr_errno(errno)));
	void *module = NULL;
	if (S_ISREG(st.st_mode)) {
		char *path = wr_printf("%s%d", procfd, fd);
		int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (rfd >= 0) {
			struct stat rst;
			if (fstat(rfd, &rst) == 0 && rst.st_dev == st.st_dev && rst.st_ino == st.st_ino) {
				// wasmtime opens the path itself (the C API takes no
				// fd). It is the path just checked, resolved again:
				// between the two, only a process of this container
				// able to mount over /proc could change where it
				// leads, and such a process already runs native code.
				wasmtime_error_t *e = wr_deserialize_file(engine, path, &module);
				if (e != NULL) {
					wasmtime_error_delete(e);
					module = NULL;
				}
			}
			close(rfd);
		}
		free(path);
		if (module != NULL) {
			close(fd);
			return module;
		}
	}
	// Fallback: map the entry (read it when it is not a regular file) and
	// let wasmtime copy it.
	uint8_t *data = NULL;
	size_t len = 0, maplen = 0;
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		void *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			data = m;
			maplen = st.st_size;
			len = size < st.st_size ? size : st.st_size;
		}
	}
	if (data == NULL) {
		size_t cap = 1 << 16;
		data = malloc(cap);
		for (;;) {
			if (data == NULL)
				wr_fail(WR_EXIT_RUNNER_FAILED, "read compiled module: out of memory");
			ssize_t r = read(fd, data + len, cap - len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("read compiled module: read: %s", wr_errno(errno)));
			if (r == 0)
				break;
			len += r;
			if (len == cap)
				data = realloc(data, cap *= 2);
		}
		if ((int64_t)len > size)
			len = size;
	}
	wasmtime_error_t *e = wr_deserialize(engine, data, len, &module);
	if (e != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("load compiled module: %s", wr_one_line(wr_error_message(e))));
	if (maplen > 0)
		munmap(data, maplen); // wasmtime copies what it needs
	else
		free(data);
	close(fd);
	return module;
}

// ---- WASI ------------------------------------------------------------------

// rewritten: the module knows its working directory (cwd.h), and resolves
// every path, relative ones too, through "/".
static wasi_config_t *wr_wasi(int uargc, char **uargv, int rewritten) {
	wasi_config_t *w = wasi_config_new();
	if (!wasi_config_set_argv(w, uargc, (const char **)uargv))
		wr_fail(WR_EXIT_RUNNER_FAILED, "set WASI argv");
	char *cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("working directory: getwd: %s", wr_errno(errno)));
	size_t n = 0;
	for (char **e = environ; *e != NULL; e++)
		n++;
	const char **keys = malloc(sizeof(char *) * (n + 1)), **vals = malloc(sizeof(char *) * (n + 1));
	if (keys == NULL || vals == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "out of memory");
	size_t m = 0;
	int has_pwd = 0;
	for (char **e = environ; *e != NULL; e++, m++) {
		char *eq = strchr(*e, '=');
		keys[m] = eq ? strndup(*e, eq - *e) : strdup(*e);
		vals[m] = eq ? eq + 1 : "";
		has_pwd = has_pwd || strcmp(keys[m], "PWD") == 0;
	}
	// Go's wasip1 syscall package takes its working directory from PWD.
	if (!has_pwd) {
		keys[m] = "PWD";
		vals[m++] = cwd;
	}
	if (!wasi_config_set_env(w, m, keys, vals))
		wr_fail(WR_EXIT_RUNNER_FAILED, "set WASI environment");
	// The guest has its copy. Rust's anyhow would otherwise capture a
	// backtrace for every trap and every proc_exit when the user's
	// environment asks for them. environ changes, /proc/self/environ does not.
	unsetenv("RUST_BACKTRACE");
	unsetenv("RUST_LIB_BACKTRACE");
	wasi_config_inherit_stdin(w);
	wasi_config_inherit_stdout(w);
	wasi_config_inherit_stderr(w);
	// Read-only mounts stay read-only: the kernel refuses the writes.
	wasi_dir_perms dp = WR_WASI_PERMS_READ | WR_WASI_PERMS_WRITE;
	wasi_file_perms fp = WR_WASI_PERMS_READ | WR_WASI_PERMS_WRITE;
	if (!wasi_config_preopen_dir(w, "/", "/", dp, fp))
		wr_fail(WR_EXIT_RUNNER_FAILED, "preopen /: failed to preopen directory");
	// Any other wasi-libc module resolves relative paths against a "."
	// preopen (and absolute ones there too: docs/wasm.md).
	if (!rewritten && strcmp(cwd, "/") != 0 && !wasi_config_preopen_dir(w, cwd, ".", dp, fp))
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("preopen %s: failed to preopen directory", cwd));
	return w;
}

// ---- main -----------------------------------------------------------------

// wr_guest_error maps what instantiation or _start returned to an exit.
static void wr_guest_error(wasmtime_error_t *err, wasm_trap_t *trap, int instantiating) {
	int status;
	wr_exit_if_caught();
	if (err == NULL && trap == NULL)
		return;
	if (err != NULL && wasmtime_error_exit_status(err, &status))
		_exit(status);
	if (trap != NULL)
		wr_fail(WR_EXIT_TRAP, wr_printf("wasm trap: %s", wr_trap_line(trap)));
	char *msg = wr_error_message(err);
	if (instantiating)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("instantiate %s: %s", wr_component ? "component" : "module",
							 wr_one_line(msg)));
	if (strstr(msg, "invalid exit status") != NULL)
		wr_fail(WR_EXIT_INVALID_STATUS,
			"guest exit status out of range: wasmtime accepts proc_exit codes 0 to 125 only");
	// A component's trap arrives as an error with the trap as its cause.
	if (strstr(msg, "wasm trap: ") != NULL) {
		wasm_frame_vec_t frames = {0};
		wasmtime_error_wasm_trace(err, &frames);
		char *line = wr_trap_text(msg, &frames);
		wasm_frame_vec_delete(&frames);
		wr_fail(WR_EXIT_TRAP, wr_printf("wasm trap: %s", line));
	}
	wr_fail(WR_EXIT_TRAP, wr_printf("wasm error: %s", wr_one_line(msg)));
}

// wr_run_component instantiates a component with WASI preview 2 and calls
// its wasi:cli/run; it never returns. run's result<_, _> exits 0 when ok
// and 1 when err; wasi:cli/exit exits with its status the same way (an
// exit error, as for a core module's proc_exit).
static void wr_run_component(wasm_engine_t *engine, wasmtime_context_t *ctx, wasmtime_component_t *c) {
	char *run = wr_component_run_export(engine, c);
	if (run == NULL) // the compile worker refused these
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_component_not_command(engine, c));
	wasmtime_component_linker_t *linker = wasmtime_component_linker_new(engine);
	wasmtime_error_t *err = wasmtime_component_linker_add_wasip2(linker);
	if (err != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_one_line(wr_error_message(err)));
	wr_exit_if_caught();

	wasmtime_component_instance_t instance;
	err = wasmtime_component_linker_instantiate(linker, ctx, c, &instance);
	wr_guest_error(err, NULL, 1);
	wasmtime_component_export_index_t *iface = wasmtime_component_get_export_index(c, NULL, run, strlen(run));
	wasmtime_component_export_index_t *fidx =
		iface ? wasmtime_component_get_export_index(c, iface, "run", 3) : NULL;
	wasmtime_component_func_t func;
	if (fidx == NULL || !wasmtime_component_instance_get_func(&instance, ctx, fidx, &func))
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("component has no %s#run function", run));
	WR_COMPONENT_VAL result;
	memset(&result, 0, sizeof result);
	err = wasmtime_component_func_call(&func, ctx, NULL, 0, &result, 1);
	wr_guest_error(err, NULL, 0);
	if (result.kind != WR_COMPONENT_RESULT)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("%s#run returned a value of kind %d, not a result", run, result.kind));
	_exit(result.of.result.is_ok ? 0 : 1);
}

void wasm_runc_run(int argc, char **argv, const char *procfd) {
	// Caught first: even a start that is still loading must obey SIGTERM,
	// and as PID 1 an unhandled signal would be dropped by the kernel.
	wr_catch_signals();
	long fd;
	long long limit, size;
	int dd = wr_parse(argc, argv, &fd, &limit, &size);
	int uargc = argc - dd - 1;
	char **uargv = calloc(uargc + 1, sizeof(char *));
	if (uargv == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "out of memory");
	for (int i = 0; i < uargc; i++)
		uargv[i] = strdup(argv[dd + 1 + i]);
	wr_set_title(argc, argv, uargc, uargv);

	wasm_engine_t *engine = wasm_engine_new_with_config(wr_engine_config());
	if (engine == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "create engine");
	wr_engine = engine;
	wr_exit_if_caught();

	wr_check_module();
	void *module = wr_load(engine, (int)fd, procfd, size);

	wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
	wasmtime_context_t *ctx = wasmtime_store_context(store);
	wasmtime_context_set_epoch_deadline(ctx, 1);
	if (limit > 0) {
		// memory.go's linearMemoryLimit.
		int64_t l = limit - (WR_MEMORY_HEADROOM_BASE + size + limit / 64);
		wasmtime_store_limiter(store, l < 0 ? 0 : l, -1, -1, -1, -1);
	}
	// A component's core modules are rewritten inside it, out of the
	// runner's sight: it always gets "/" alone (docs/wasm.md).
	int rewritten = wr_component || wr_cwd_rewritten(module);
	wasmtime_error_t *err = wasmtime_context_set_wasi(ctx, wr_wasi(uargc, uargv, rewritten));
	if (err != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_one_line(wr_error_message(err)));
	// wasmtime's WASI preview 1 calls run on a tokio runtime that starts one
	// worker thread per CPU (after reading the cgroup's CPU limit) at the
	// guest's first call. One guest thread needs one worker: fewer threads
	// to start and to tear down at exit. Set after wr_wasi has copied the
	// environment, so the guest never sees it.
	setenv("TOKIO_WORKER_THREADS", "1", 1);
	if (wr_component)
		wr_run_component(engine, ctx, module);
	wasmtime_linker_t *linker = wasmtime_linker_new(engine);
	err = wasmtime_linker_define_wasi(linker);
	if (err != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_one_line(wr_error_message(err)));
	wr_exit_if_caught();

	wasmtime_instance_t instance;
	wasm_trap_t *trap = NULL;
	err = wasmtime_linker_instantiate(linker, ctx, module, &instance, &trap);
	// A start function is guest code: it may exit or trap.
	wr_guest_error(err, trap, 1);
	wr_extern_t start;
	if (!wasmtime_instance_export_get(ctx, &instance, "_start", 6, &start) || start.kind != WR_WASMTIME_EXTERN_FUNC)
		wr_fail(WR_EXIT_RUNNER_FAILED, "module has no _start function (not a WASI command)");
	trap = NULL;
	err = wasmtime_func_call(ctx, &start.of.func, NULL, 0, NULL, 0, &trap);
	wr_guest_error(err, trap, 0);
	_exit(0);
}

// glibc passes argc, argv and envp to constructors.
__attribute__((constructor)) static void wasm_runc_runner_constructor(int argc, char **argv, char **envp) {
	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], WR_RUNNER_MARKER) != 0)
		return;
	(void)envp;
	wasm_runc_run(argc, argv, "/proc/self/fd/");
}
