// The in-container runner (see doc.go, runner.go). It runs from a C
// constructor, before the Go runtime starts, in the process whose argv[1] is
// RunnerMarker, and never returns: it loads the module from --module-fd,
// runs its _start with WASI preview1 and _exits with the guest's status.
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
#include "runner_wasmtime.h"

extern char **environ;

// ---- small strings ----------------------------------------------------

typedef struct {
	char *s;
	size_t n, cap;
} wr_buf;

static void wr_put(wr_buf *b, const char *s, size_t n) {
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (b->n + n + 1 > c)
			c *= 2;
		char *p = realloc(b->s, c);
		if (p == NULL)
			_exit(WR_EXIT_RUNNER_FAILED);
		b->s = p;
		b->cap = c;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void wr_puts(wr_buf *b, const char *s) { wr_put(b, s, strlen(s)); }

static char *wr_printf(const char *f, ...) {
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = malloc(n + 1);
	if (s == NULL)
		_exit(WR_EXIT_RUNNER_FAILED);
	va_start(ap, f);
	vsnprintf(s, n + 1, f, ap);
	va_end(ap);
	return s;
}

// wr_fail writes the runner's one stderr line and exits.
static void wr_fail(int code, const char *msg) {
	char *line = wr_printf("wasm-runc: %s\n", msg);
	size_t n = strlen(line);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(2, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	_exit(code);
}

// wr_errno is strerror as Go words it (lower-case first letter).
static char *wr_errno(int e) {
	char *s = wr_printf("%s", strerror(e));
	if (s[0] != 0 && isupper((unsigned char)s[0]) && !(s[1] != 0 && isupper((unsigned char)s[1])))
		s[0] = tolower((unsigned char)s[0]);
	return s;
}

// wr_trim_space returns s without leading and trailing white space, in place.
static char *wr_trim_space(char *s) {
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

// ---- wasmtime messages (cache.go's wasmtimeMessage and oneLine) --------

// wr_wasmtime_message: the message without anyhow's "Stack backtrace:",
// trailing spaces and newlines trimmed.
static char *wr_wasmtime_message(const char *data, size_t size) {
	char *s = malloc(size + 1);
	if (s == NULL)
		_exit(WR_EXIT_RUNNER_FAILED);
	memcpy(s, data, size);
	s[size] = 0;
	char *bt = strstr(s, "\nStack backtrace:");
	if (bt != NULL)
		*bt = 0;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static char *wr_error_message(const wasmtime_error_t *e) {
	wasm_name_t m;
	wasmtime_error_message(e, &m);
	char *s = wr_wasmtime_message(m.data, m.size);
	wasm_byte_vec_delete(&m);
	return s;
}

// wr_cause_number: does line start with "    N: " (anyhow's numbered
// causes)? Returns the length of that prefix, 0 if not.
static size_t wr_cause_number(const char *line) {
	if (strncmp(line, "    ", 4) != 0 || !isdigit((unsigned char)line[4]))
		return 0;
	size_t i = 4;
	while (isdigit((unsigned char)line[i]))
		i++;
	return (line[i] == ':' && line[i + 1] == ' ') ? i + 2 : 0;
}

// wr_fold_part appends part with runs of white space made one space, and
// "[ " and ", ]" tightened, as oneLine does.
static void wr_fold_part(wr_buf *out, const char *part) {
	wr_buf f = {0};
	const char *p = part;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == 0)
			break;
		const char *w = p;
		while (*p != 0 && !isspace((unsigned char)*p))
			p++;
		if (f.n > 0)
			wr_put(&f, " ", 1);
		wr_put(&f, w, p - w);
	}
	if (f.s == NULL)
		return;
	wr_buf g = {0};
	for (size_t i = 0; i < f.n; i++) {
		if (f.s[i] == '[' && f.s[i + 1] == ' ') {
			wr_put(&g, "[", 1);
			i++;
		} else if (f.s[i] == ',' && f.s[i + 1] == ' ' && f.s[i + 2] == ']') {
			wr_put(&g, "]", 1);
			i += 2;
		} else
			wr_put(&g, &f.s[i], 1);
	}
	if (g.s != NULL)
		wr_puts(out, g.s);
}

// wr_one_line folds an anyhow report into "message: cause: cause".
static char *wr_one_line(const char *msg) {
	wr_buf out = {0};
	wr_put(&out, "", 0);
	const char *sep = "\n\nCaused by:\n";
	const char *c = strstr(msg, sep);
	char *head = c ? strndup(msg, c - msg) : strdup(msg);
	wr_fold_part(&out, head);
	if (c != NULL) {
		char *causes = strdup(c + strlen(sep));
		int numbered = wr_cause_number(causes) > 0;
		wr_buf cur = {0};
		int have = 0;
		for (char *line = causes;;) {
			char *nl = strchr(line, '\n');
			if (nl != NULL)
				*nl = 0;
			size_t k = numbered ? wr_cause_number(line) : 0;
			if (numbered && k > 0 && have) {
				wr_puts(&out, ": ");
				wr_fold_part(&out, cur.s);
				cur.n = 0;
				cur.s[0] = 0;
				have = 0;
			}
			if (have)
				wr_put(&cur, " ", 1);
			wr_puts(&cur, line + k);
			have = 1;
			if (nl == NULL)
				break;
			line = nl + 1;
		}
		wr_puts(&out, ": ");
		wr_fold_part(&out, cur.s ? cur.s : "");
	}
	return out.s;
}

// wr_trap_line: the trap's reason without its backtrace, plus the innermost
// frame when the module kept names.
static char *wr_trap_line(const wasm_trap_t *trap) {
	wasm_message_t m;
	wasm_trap_message(trap, &m);
	char *msg = wr_wasmtime_message(m.data, m.size > 0 ? m.size - 1 : 0);
	wasm_byte_vec_delete(&m);
	char *reason = NULL;
	char *copy = strdup(msg);
	for (char *line = copy;;) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = 0;
		char *t = wr_trim_space(line);
		if (strncmp(t, "wasm trap: ", 11) == 0)
			reason = t + 11;
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
	wasm_frame_vec_t frames = {0};
	wasm_trap_trace(trap, &frames);
	if (frames.size > 0) {
		const wasm_name_t *name = wasmtime_frame_func_name(frames.data[0]);
		if (name != NULL && name->size > 0) {
			wr_puts(&out, " (in ");
			wr_put(&out, name->data, name->size);
			wr_puts(&out, ")");
		}
	}
	wasm_frame_vec_delete(&frames);
	return out.s;
}

// ---- signals ----------------------------------------------------------

// The terminating, catchable signals (doc.go, "Signals"), and 34-64.
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
// doc.go, "Process title") and names the process basename(args[0]).
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

// wr_parse reverses RunnerArgs (argv[2:]); it returns the index of "--".
static int wr_parse(int argc, char **argv, long *fd, long long *limit) {
	*fd = -1;
	*limit = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			if (*fd < 0)
				wr_fail(WR_EXIT_RUNNER_FAILED, "missing --module-fd");
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
		else
			wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("unknown runner argument \"%s\"", a));
	}
	wr_fail(WR_EXIT_RUNNER_FAILED, "missing -- before the process arguments");
	return -1;
}

// ---- module ---------------------------------------------------------------

// wr_payload_size is the size of wasmtime's bytes in an entry of size bytes:
// without the trailer when there is one (cache.go).
static int64_t wr_payload_size(int fd, int64_t size) {
	unsigned char t[WR_TRAILER_SIZE];
	if (size < WR_TRAILER_SIZE)
		return size;
	if (pread(fd, t, sizeof t, size - WR_TRAILER_SIZE) != (ssize_t)sizeof t ||
	    memcmp(t, WR_TRAILER_MAGIC, strlen(WR_TRAILER_MAGIC)) != 0)
		return size;
	uint64_t n = 0;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | t[16 + i];
	return n == (uint64_t)(size - WR_TRAILER_SIZE) ? size - WR_TRAILER_SIZE : size;
}

// wr_load deserializes the module from fd (see doc.go: mapped through
// /proc/self/fd/N when that path leads to fd's inode, copied otherwise) and
// closes fd. *size is the size of wasmtime's serialized bytes.
static wasmtime_module_t *wr_load(wasm_engine_t *engine, int fd, const char *procfd, int64_t *size) {
	struct stat st;
	if (fstat(fd, &st) != 0)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("read compiled module: fstat: %s", wr_errno(errno)));
	wasmtime_module_t *module = NULL;
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
				wasmtime_error_t *e = wasmtime_module_deserialize_file(engine, path, &module);
				if (e != NULL) {
					wasmtime_error_delete(e);
					module = NULL;
				}
			}
			close(rfd);
		}
		free(path);
		if (module != NULL) {
			*size = wr_payload_size(fd, st.st_size);
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
			len = wr_payload_size(fd, st.st_size);
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
	}
	wasmtime_error_t *e = wasmtime_module_deserialize(engine, data, len, &module);
	if (e != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("load compiled module: %s", wr_one_line(wr_error_message(e))));
	if (maplen > 0)
		munmap(data, maplen); // wasmtime copies what it needs
	else
		free(data);
	close(fd);
	*size = len;
	return module;
}

// ---- WASI ------------------------------------------------------------------

static wasi_config_t *wr_wasi(int uargc, char **uargv) {
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
	// wasi-libc resolves relative paths against a "." preopen.
	if (strcmp(cwd, "/") != 0 && !wasi_config_preopen_dir(w, cwd, ".", dp, fp))
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
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_printf("instantiate module: %s", wr_one_line(msg)));
	if (strstr(msg, "invalid exit status") != NULL)
		wr_fail(WR_EXIT_INVALID_STATUS,
			"guest exit status out of range: wasmtime accepts proc_exit codes 0 to 125 only");
	wr_fail(WR_EXIT_TRAP, wr_printf("wasm error: %s", wr_one_line(msg)));
}

void wasm_runc_run(int argc, char **argv, const char *procfd) {
	// Caught first: even a start that is still loading must obey SIGTERM,
	// and as PID 1 an unhandled signal would be dropped by the kernel.
	wr_catch_signals();
	long fd;
	long long limit;
	int dd = wr_parse(argc, argv, &fd, &limit);
	int uargc = argc - dd - 1;
	char **uargv = calloc(uargc + 1, sizeof(char *));
	if (uargv == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "out of memory");
	for (int i = 0; i < uargc; i++)
		uargv[i] = strdup(argv[dd + 1 + i]);
	wr_set_title(argc, argv, uargc, uargv);

	// The same settings as NewEngine (engine.go): they are part of every
	// cache key, and wasmtime refuses a module built with others.
	wasm_config_t *cfg = wasm_config_new();
	wasmtime_config_epoch_interruption_set(cfg, true);
	wasmtime_config_strategy_set(cfg, WR_WASMTIME_STRATEGY_CRANELIFT);
	wasmtime_config_cranelift_opt_level_set(cfg, WR_WASMTIME_OPT_LEVEL_SPEED);
	wasmtime_config_debug_info_set(cfg, false);
	wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
	if (engine == NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, "create engine");
	wr_engine = engine;
	wr_exit_if_caught();

	int64_t size = 0;
	wasmtime_module_t *module = wr_load(engine, (int)fd, procfd, &size);

	wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
	wasmtime_context_t *ctx = wasmtime_store_context(store);
	wasmtime_context_set_epoch_deadline(ctx, 1);
	if (limit > 0) {
		// memory.go's linearMemoryLimit.
		int64_t l = limit - (WR_MEMORY_HEADROOM_BASE + size + limit / 64);
		wasmtime_store_limiter(store, l < 0 ? 0 : l, -1, -1, -1, -1);
	}
	wasmtime_error_t *err = wasmtime_context_set_wasi(ctx, wr_wasi(uargc, uargv));
	if (err != NULL)
		wr_fail(WR_EXIT_RUNNER_FAILED, wr_one_line(wr_error_message(err)));
	// wasmtime's WASI preview 1 calls run on a tokio runtime that starts one
	// worker thread per CPU (after reading the cgroup's CPU limit) at the
	// guest's first call. One guest thread needs one worker: fewer threads
	// to start and to tear down at exit. Set after wr_wasi has copied the
	// environment, so the guest never sees it.
	setenv("TOKIO_WORKER_THREADS", "1", 1);
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

// wr_procfd is where the runner reopens its module fd. The runner tests
// (and only they: WASM_RUNNER_TEST=1) may point it elsewhere with
// WASM_RUNNER_TEST_PROCFD to exercise the fallback; whatever it names is
// used only if it is fd's own inode.
static const char *wr_procfd(char **envp) {
	const char *test = NULL, *dir = NULL;
	for (char **e = envp; e != NULL && *e != NULL; e++) {
		if (strcmp(*e, "WASM_RUNNER_TEST=1") == 0)
			test = *e;
		else if (strncmp(*e, "WASM_RUNNER_TEST_PROCFD=", 24) == 0)
			dir = *e + 24;
	}
	return test != NULL && dir != NULL && *dir != 0 ? dir : "/proc/self/fd/";
}

// glibc passes argc, argv and envp to constructors.
__attribute__((constructor)) static void wasm_runc_runner_constructor(int argc, char **argv, char **envp) {
	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], WR_RUNNER_MARKER) != 0)
		return;
	wasm_runc_run(argc, argv, wr_procfd(envp));
}
