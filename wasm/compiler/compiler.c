// The compile worker: a child of `create` that turns untrusted module bytes
// into wasmtime's compiled form, bounded in memory, CPU time, input and
// output size (compiler.go starts it, places it in a transient cgroup and
// enforces the wall-clock deadline). Like the runner it runs from a
// constructor before the Go runtime, in the process whose argv[1] is
// WC_MARKER:
//
//	exe wasm-runc:compile-module --text=0|1 --component=0|1 --max-input=B --memory=B --cpu-seconds=S --max-output=B [--cwd=DIR]
//
// --component says which kind the host found (a component or a core module,
// by the header's layer field, or by the first form of WAT text); a module
// of the other kind is refused, so the cache never stores an entry of a kind
// the runner is not told about.
//
// With --cwd, a wasi-libc module is rewritten to know that working
// directory before it is compiled (cwd_rewrite.c).
//
// fd 0 is the module (read only), fd 1 the file to write the compiled
// module to, fd 2 a pipe for one error line, fd 3 a pipe the parent writes
// one byte to once the worker is in its cgroup. Exit 0: done; WC_EXIT_REJECTED:
// the module was refused (its reason on stderr); anything else: the worker
// failed or was killed by a limit.

#define _GNU_SOURCE
#define WR_OOM_EXIT WC_EXIT_FAILED

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <grp.h>

#include "compiler.h"
#include "cwd_rewrite.h"
#include "engine.h"

static long long wc_arg(const char *a, const char *name) {
	size_t nl = strlen(name);
	if (strncmp(a, name, nl) != 0 || a[nl] != '=')
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(a + nl + 1, &end, 10);
	if (a[nl + 1] == 0 || *end != 0 || errno != 0 || n < 0)
		wr_fail(WC_EXIT_FAILED, wr_printf("bad compile worker argument \"%s\"", a));
	return n;
}

static void wc_limit(int res, rlim_t soft, rlim_t hard) {
	struct rlimit r = {soft, hard};
	if (setrlimit(res, &r) != 0)
		wr_fail(WC_EXIT_FAILED, wr_printf("setrlimit %d: %s", res, strerror(errno)));
}

static void wc_write_all(int fd, const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EFBIG)
			wr_fail(WC_EXIT_REJECTED, "compiled module too large");
		if (w <= 0)
			wr_fail(WC_EXIT_FAILED, wr_printf("write compiled module: %s", strerror(errno)));
		p += w;
		n -= w;
	}
}

// wc_rejected reports what wasmtime said about the module.
static void wc_rejected(const char *what, wasmtime_error_t *e) {
	char *msg = wr_one_line(wr_error_message(e));
	wr_fail(WC_EXIT_REJECTED, wr_printf("%s: %s", what, msg));
}

// wc_new compiles a module (layer 0) or a component (layer 1), rewritten
// for cwd when it has wasi-libc modules to rewrite (cwd_rewrite.c). A
// rewrite that wasmtime refuses costs a second compile, never the
// container: the bytes as they came are compiled instead.
static void *wc_new(wasm_engine_t *engine, unsigned layer, const unsigned char *data, size_t len, const char *cwd) {
	void *out = NULL;
	wasmtime_error_t *e;
	unsigned char *rewritten = NULL;
	size_t rewritten_len = 0;
	int rc = cwd == NULL ? 0
		 : layer ? wc_cwd_rewrite_component(data, len, cwd, &rewritten, &rewritten_len)
			 : wc_cwd_rewrite(data, len, cwd, &rewritten, &rewritten_len);
	for (int pass = rc > 0 ? 0 : 1; pass < 2 && out == NULL; pass++) {
		const unsigned char *b = pass == 0 ? rewritten : data;
		size_t n = pass == 0 ? rewritten_len : len;
		e = layer ? wasmtime_component_new(engine, b, n, (wasmtime_component_t **)&out)
			  : wasmtime_module_new(engine, b, n, (wasmtime_module_t **)&out);
		if (e != NULL && pass == 1)
			wc_rejected("compile", e);
		if (e != NULL)
			wasmtime_error_delete(e);
	}
	free(rewritten);
	return out;
}

// wc_component compiles a component, checks that it links against WASI
// preview 2 and is a command (exports wasi:cli/run), writes it out and
// exits.
static void wc_component(wasm_engine_t *engine, const unsigned char *data, size_t len, const char *cwd) {
	wasmtime_component_t *c = wc_new(engine, 1, data, len, cwd);
	wasmtime_error_t *e;
	const char *run = wr_component_run_export(engine, c);
	if (run == NULL)
		wr_fail(WC_EXIT_REJECTED, wr_component_not_command(engine, c));

	// Link check: instantiating with WASI preview 2 and no capabilities
	// (no stdio, files or environment) reports any import that wasmtime
	// does not provide. Only a core start function, which components
	// rarely have, runs guest code here, as sandboxed as in the container
	// and within this worker's limits.
	wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
	wasmtime_context_t *ctx = wasmtime_store_context(store);
	wasmtime_context_set_epoch_deadline(ctx, 1u << 30);
	e = wasmtime_context_set_wasi(ctx, wasi_config_new());
	if (e != NULL)
		wr_fail(WC_EXIT_FAILED, wr_one_line(wr_error_message(e)));
	wasmtime_component_linker_t *linker = wasmtime_component_linker_new(engine);
	e = wasmtime_component_linker_add_wasip2(linker);
	if (e != NULL)
		wr_fail(WC_EXIT_FAILED, wr_one_line(wr_error_message(e)));
	wasmtime_component_instance_t inst;
	e = wasmtime_component_linker_instantiate(linker, ctx, c, &inst);
	if (e != NULL)
		wc_rejected("link", e);

	wasm_byte_vec_t out = {0};
	e = wasmtime_component_serialize(c, &out);
	if (e != NULL)
		wr_fail(WC_EXIT_FAILED, wr_printf("serialize: %s", wr_one_line(wr_error_message(e))));
	wc_write_all(1, out.data, out.size);
	_exit(0);
}

void wasm_runc_compile(int argc, char **argv) {
	// Dies with create, whatever kills it.
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	long long text = -1, component = -1, max_input = -1, memory = -1, cpu = -1, max_output = -1;
	const char *cwd = NULL;
	for (int i = 2; i < argc; i++) {
		long long v;
		if (strncmp(argv[i], "--cwd=", 6) == 0)
			cwd = argv[i] + 6;
		else if ((v = wc_arg(argv[i], "--text")) >= 0)
			text = v;
		else if ((v = wc_arg(argv[i], "--component")) >= 0)
			component = v;
		else if ((v = wc_arg(argv[i], "--max-input")) >= 0)
			max_input = v;
		else if ((v = wc_arg(argv[i], "--memory")) >= 0)
			memory = v;
		else if ((v = wc_arg(argv[i], "--cpu-seconds")) >= 0)
			cpu = v;
		else if ((v = wc_arg(argv[i], "--max-output")) >= 0)
			max_output = v;
		else
			wr_fail(WC_EXIT_FAILED, wr_printf("unknown compile worker argument \"%s\"", argv[i]));
	}
	if (text < 0 || component < 0 || max_input <= 0 || memory <= 0 || cpu <= 0 || max_output <= 0)
		wr_fail(WC_EXIT_FAILED, "missing compile worker argument");

	// Backstops for the cgroup and the parent's deadline: CPU time, private
	// writable memory (heap, not the address space that wasmtime may
	// reserve) and the size of what is written.
	wc_limit(RLIMIT_CORE, 0, 0);
	wc_limit(RLIMIT_CPU, cpu, cpu + 1);
	wc_limit(RLIMIT_DATA, memory, memory);
	wc_limit(RLIMIT_FSIZE, max_output, max_output);
	signal(SIGXFSZ, SIG_IGN);

	// Root drops to nobody before touching the module: its input is
	// parsed and compiled by wasmtime, and a bug there must not run as
	// root on the host. The fds it needs are open already. A credential
	// change clears the parent-death signal: set it again, and check that
	// the parent did not die in between.
	if (geteuid() == 0) {
		pid_t parent = getppid();
		if (setgroups(0, NULL) != 0 || setresgid(WC_NOBODY, WC_NOBODY, WC_NOBODY) != 0 ||
		    setresuid(WC_NOBODY, WC_NOBODY, WC_NOBODY) != 0)
			wr_fail(WC_EXIT_FAILED, wr_printf("drop privileges: %s", strerror(errno)));
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (getppid() != parent)
			_exit(WC_EXIT_FAILED);
	}

	// Wait until the parent has put us in our cgroup.
	char go;
	ssize_t r;
	do
		r = read(3, &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(WC_EXIT_FAILED);
	close(3);

	struct stat st;
	if (fstat(0, &st) != 0)
		wr_fail(WC_EXIT_FAILED, wr_printf("stat module: %s", strerror(errno)));
	if (!S_ISREG(st.st_mode))
		wr_fail(WC_EXIT_REJECTED, "not a regular file");
	if (st.st_size > max_input)
		wr_fail(WC_EXIT_REJECTED, wr_printf("%lld bytes is more than the %lld this runtime accepts", (long long)st.st_size, max_input));
	if (st.st_size == 0)
		wr_fail(WC_EXIT_REJECTED, "empty file");
	unsigned char *data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, 0, 0);
	if (data == MAP_FAILED)
		wr_fail(WC_EXIT_FAILED, wr_printf("map module: %s", strerror(errno)));
	size_t len = st.st_size;

	wasm_byte_vec_t wat = {0};
	if (text) {
		wasmtime_error_t *e = wasmtime_wat2wasm((const char *)data, len, &wat);
		if (e != NULL)
			wc_rejected("parse WAT", e);
		data = (unsigned char *)wat.data;
		len = wat.size;
	}
	// The header: "\0asm", then a version and a layer (0: core module,
	// 1: component).
	if (len < 8 || memcmp(data, "\0asm", 4) != 0)
		wr_fail(WC_EXIT_REJECTED, "not a WebAssembly module (no magic number)");
	unsigned layer = data[6] | (unsigned)data[7] << 8;
	if (layer > 1)
		wr_fail(WC_EXIT_REJECTED, wr_printf("unknown WebAssembly layer %u (0 is a core module, 1 a component)", layer));
	if ((long long)layer != component)
		wr_fail(WC_EXIT_REJECTED, layer ? "is a component, but its WAT text does not start with (component"
						: "is a core module, but its WAT text does not start with (module");

	wasm_engine_t *engine = wasm_engine_new_with_config(wr_engine_config());
	if (engine == NULL)
		wr_fail(WC_EXIT_FAILED, "create engine");
	if (layer == 1)
		wc_component(engine, data, len, cwd);
	wasmtime_module_t *module = wc_new(engine, 0, data, len, cwd);
	wasmtime_error_t *e;

	// Link check: every import must be one that WASI preview 1 provides,
	// and a command must export _start, or the container could only fail
	// after it started.
	wasmtime_linker_t *linker = wasmtime_linker_new(engine);
	e = wasmtime_linker_define_wasi(linker);
	if (e != NULL)
		wr_fail(WC_EXIT_FAILED, wr_one_line(wr_error_message(e)));
	wasmtime_instance_pre_t *pre = NULL;
	e = wasmtime_linker_instantiate_pre(linker, module, &pre);
	if (e != NULL)
		wc_rejected("link", e);
	wasmtime_instance_pre_delete(pre);
	wasm_exporttype_vec_t exports = {0};
	wasmtime_module_exports(module, &exports);
	int start = 0;
	for (size_t i = 0; i < exports.size; i++) {
		const wasm_name_t *n = wasm_exporttype_name(exports.data[i]);
		if (n->size == 6 && memcmp(n->data, "_start", 6) == 0 &&
		    wasm_externtype_kind(wasm_exporttype_type(exports.data[i])) == WR_WASM_EXTERN_FUNC)
			start = 1;
	}
	wasm_exporttype_vec_delete(&exports);
	if (!start)
		wr_fail(WC_EXIT_REJECTED, "module has no _start function (not a WASI command)");

	wasm_byte_vec_t out = {0};
	e = wasmtime_module_serialize(module, &out);
	if (e != NULL)
		wr_fail(WC_EXIT_FAILED, wr_printf("serialize: %s", wr_one_line(wr_error_message(e))));
	wc_write_all(1, out.data, out.size);
	_exit(0);
}

// glibc passes argc, argv and envp to constructors.
__attribute__((constructor)) static void wasm_runc_compiler_constructor(int argc, char **argv, char **envp) {
	(void)envp;
	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], WC_MARKER) != 0)
		return;
	wasm_runc_compile(argc, argv);
}
