// cwd_rewrite.c: teaches a wasi-libc program (C, C++, Rust's std on
// wasm32-wasi) the process's working directory, by rewriting the module
// before the compile worker compiles it (docs/wasm.md, "Working directory
// and paths").
//
// wasi-libc maps every path to the preopen with the longest matching name,
// after stripping a leading "/" or "./": "/etc/hostname", "etc/hostname"
// and "./etc/hostname" are one path to it, and its own working directory
// (used only when the program links chdir) starts as "/" whatever the host
// says. So no set of preopens makes both absolute and relative paths right
// once the working directory is not "/". What does work:
//
//   - chdir not linked: at the entry of __wasilibc_find_relpath,
//     __wasilibc_find_abspath and __wasilibc_find_relpath_alloc (which
//     Rust's std links even without chdir) a relative path still has no
//     leading "/".
//     Their wrappers join "<cwd>/" and the path into a buffer (malloc'd by
//     the guest's own malloc; two alternating buffers, because rename and
//     link look two paths up before using them) and call the original.
//     getcwd's wrapper returns the cwd (wasi-libc's would say "/").
//   - chdir linked (with __wasilibc_find_relpath_alloc): wasi-libc makes
//     relative paths absolute against its own cwd, so the wrappers of that
//     function and of getcwd call the guest's chdir(cwd) once, at the
//     first lookup (its preopens are in place by then); from there on the
//     guest's own chdir and getcwd behave as wasi-libc makes them.
//
// The functions are found by the module's "name" section; a module without
// one (stripped), or without these names (Go, hand-written WAT), is left
// as it is. Nothing is renumbered: the original bodies move to new
// functions at the end of the index space, the wrappers take their places
// (so calls and table entries reach the wrappers), and the state lives in
// new globals at the end of the global index space. An exported i32
// global, WR_CWD_EXPORT, tells the runner the module was rewritten.
//
// The input is untrusted: every read is bounds-checked, counts are checked
// against the bytes left, nothing recurses, and the output is capped. Any
// surprise leaves the module unchanged; wasmtime validates what comes out,
// and the worker compiles the original module when it does not validate.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cwd.h"
#include "cwd_rewrite.h"

// ---- reading -------------------------------------------------------------

typedef struct {
	const uint8_t *p, *end;
	int bad;
} wc_rd;

static size_t rd_left(const wc_rd *r) { return r->bad ? 0 : (size_t)(r->end - r->p); }

static uint8_t rd_byte(wc_rd *r) {
	if (r->bad || r->p >= r->end) {
		r->bad = 1;
		return 0;
	}
	return *r->p++;
}

static uint32_t rd_u32(wc_rd *r) {
	uint64_t v = 0;
	for (int i = 0; i < 5; i++) {
		uint8_t b = rd_byte(r);
		if (r->bad)
			return 0;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			if (v > 0xffffffffu) {
				r->bad = 1;
				return 0;
			}
			return (uint32_t)v;
		}
	}
	r->bad = 1;
	return 0;
}

static void rd_skip_u64(wc_rd *r) {
	for (int i = 0; i < 10; i++) {
		uint8_t b = rd_byte(r);
		if (r->bad || (b & 0x80) == 0)
			return;
	}
	r->bad = 1;
}

static const uint8_t *rd_take(wc_rd *r, size_t n) {
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *s = r->p;
	r->p += n;
	return s;
}

// rd_count reads a vector's length: each element takes a byte at least.
static uint32_t rd_count(wc_rd *r) {
	uint32_t n = rd_u32(r);
	if (n > rd_left(r))
		r->bad = 1;
	return r->bad ? 0 : n;
}

// ---- writing -------------------------------------------------------------

typedef struct {
	uint8_t *b;
	size_t n, cap, max;
	int bad;
} wc_wb;

static void wb_put(wc_wb *w, const void *s, size_t n) {
	if (w->bad || n == 0)
		return;
	if (n > w->max - w->n) {
		w->bad = 1;
		return;
	}
	if (w->n + n > w->cap) {
		size_t c = w->cap ? w->cap : 256;
		while (c < w->n + n)
			c = c > w->max / 2 ? w->max : c * 2;
		uint8_t *b = realloc(w->b, c);
		if (b == NULL) {
			w->bad = 1;
			return;
		}
		w->b = b;
		w->cap = c;
	}
	memcpy(w->b + w->n, s, n);
	w->n += n;
}

static void wb_byte(wc_wb *w, uint8_t c) { wb_put(w, &c, 1); }

// wb_reserve sizes an empty buffer once: growing a copy of a large module
// by doubling cost more than the rest of the rewrite.
static void wb_reserve(wc_wb *w, size_t n) {
	if (w->bad || w->cap != 0)
		return;
	if (n > w->max)
		n = w->max;
	if ((w->b = malloc(n)) == NULL)
		w->bad = 1;
	else
		w->cap = n;
}

static void wb_u32(wc_wb *w, uint32_t v) {
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		wb_byte(w, b | (v ? 0x80 : 0));
	} while (v);
}

static void wb_s64(wc_wb *w, int64_t v) {
	for (;;) {
		uint8_t b = v & 0x7f;
		v >>= 7; // arithmetic shift on every compiler wasm-runc builds with
		if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
			wb_byte(w, b);
			return;
		}
		wb_byte(w, b | 0x80);
	}
}

static void wb_free(wc_wb *w) {
	free(w->b);
	w->b = NULL;
	w->n = w->cap = 0;
}

// ---- instructions ---------------------------------------------------------

enum {
	OP_UNREACHABLE = 0x00,
	OP_BLOCK = 0x02,
	OP_LOOP = 0x03,
	OP_IF = 0x04,
	OP_ELSE = 0x05,
	OP_END = 0x0b,
	OP_BR = 0x0c,
	OP_BR_IF = 0x0d,
	OP_RETURN = 0x0f,
	OP_CALL = 0x10,
	OP_DROP = 0x1a,
	OP_LOCAL_GET = 0x20,
	OP_LOCAL_SET = 0x21,
	OP_LOCAL_TEE = 0x22,
	OP_GLOBAL_GET = 0x23,
	OP_GLOBAL_SET = 0x24,
	OP_I32_LOAD8_U = 0x2d,
	OP_I64_STORE = 0x37,
	OP_I32_STORE8 = 0x3a,
	OP_I32_CONST = 0x41,
	OP_I64_CONST = 0x42,
	OP_I32_EQZ = 0x45,
	OP_I32_EQ = 0x46,
	OP_I32_LT_U = 0x49,
	OP_I32_GT_U = 0x4b,
	OP_I32_ADD = 0x6a,
	OP_I32_XOR = 0x73,
	BT_VOID = 0x40,
	VT_I32 = 0x7f,
};

static void op(wc_wb *w, uint8_t o) { wb_byte(w, o); }

static void op_u(wc_wb *w, uint8_t o, uint32_t v) {
	wb_byte(w, o);
	wb_u32(w, v);
}

static void i32c(wc_wb *w, int64_t v) {
	wb_byte(w, OP_I32_CONST);
	wb_s64(w, (int32_t)v);
}

// mem: a load or store with alignment hint 1 byte and a constant offset.
static void mem(wc_wb *w, uint8_t o, uint32_t offset) {
	wb_byte(w, o);
	wb_u32(w, 0);
	wb_u32(w, offset);
}

static void block(wc_wb *w, uint8_t o) {
	wb_byte(w, o);
	wb_byte(w, BT_VOID);
}

// ---- the module -------------------------------------------------------------

typedef struct {
	const uint8_t *start, *payload, *end; // start: the section id; payload: after the size
} wc_sec;

enum { T_ABSPATH, T_RELPATH, T_ALLOC, T_CHDIR, T_GETCWD, T_MALLOC, T_FREE, T_N };

// The functions looked up by name, with the signatures they must have
// (every parameter and result an i32).
static const struct {
	const char *name;
	uint32_t params, results;
} wc_targets[T_N] = {
    [T_ABSPATH] = {"__wasilibc_find_abspath", 3, 1},
    [T_RELPATH] = {"__wasilibc_find_relpath", 4, 1},
    [T_ALLOC] = {"__wasilibc_find_relpath_alloc", 5, 1},
    [T_CHDIR] = {"chdir", 1, 1},
    [T_GETCWD] = {"getcwd", 2, 1},
    [T_MALLOC] = {"malloc", 1, 1},
    [T_FREE] = {"free", 1, 0},
};

typedef struct {
	wc_sec types, imports, funcs, globals, exports, code, names;
	uint32_t ntypes, nfi, ngi, nfd, ngd, nexports;
	int64_t idx[T_N]; // function index of each target, -1 when absent
} wc_mod;

static int known_valtype(uint8_t t) { return (t >= 0x7b && t <= 0x7f) || t == 0x70 || t == 0x6f; }

// parse_limits skips a table's or memory's limits.
static void parse_limits(wc_rd *r) {
	uint8_t flags = rd_byte(r);
	if (flags > 7) {
		r->bad = 1; // custom page sizes and what comes after: not handled
		return;
	}
	rd_skip_u64(r);
	if (flags & 1)
		rd_skip_u64(r);
}

static int parse_sections(wc_mod *m, const uint8_t *in, size_t len) {
	wc_rd r = {in + 8, in + len, 0};
	while (rd_left(&r) > 0) {
		const uint8_t *start = r.p;
		uint8_t id = rd_byte(&r);
		uint32_t size = rd_u32(&r);
		const uint8_t *pl = rd_take(&r, size);
		if (r.bad)
			return WC_CWD_MALFORMED;
		wc_sec s = {start, pl, pl + size}, *slot = NULL;
		switch (id) {
		case 0: {
			wc_rd c = {pl, pl + size, 0};
			uint32_t nl = rd_u32(&c);
			const uint8_t *nm = rd_take(&c, nl);
			if (c.bad)
				return WC_CWD_MALFORMED;
			if (nl == 4 && memcmp(nm, "name", 4) == 0) {
				slot = &m->names;
				s.payload = c.p;
			}
			break;
		}
		case 1: slot = &m->types; break;
		case 2: slot = &m->imports; break;
		case 3: slot = &m->funcs; break;
		case 6: slot = &m->globals; break;
		case 7: slot = &m->exports; break;
		case 10: slot = &m->code; break;
		}
		if (slot != NULL) {
			if (slot->start != NULL)
				return WC_CWD_UNSUPPORTED; // two of a kind
			*slot = s;
		}
	}
	return 0;
}

// find_names fills m->idx from the function names of the name section.
static int find_names(wc_mod *m) {
	for (int t = 0; t < T_N; t++)
		m->idx[t] = -1;
	if (m->names.start == NULL)
		return 0;
	wc_rd r = {m->names.payload, m->names.end, 0};
	while (rd_left(&r) > 0) {
		uint8_t sid = rd_byte(&r);
		uint32_t size = rd_u32(&r);
		const uint8_t *sp = rd_take(&r, size);
		if (r.bad)
			return WC_CWD_MALFORMED;
		if (sid != 1)
			continue;
		wc_rd s = {sp, sp + size, 0};
		uint32_t n = rd_count(&s);
		for (uint32_t i = 0; i < n && !s.bad; i++) {
			uint32_t idx = rd_u32(&s);
			uint32_t nl = rd_u32(&s);
			const uint8_t *nm = rd_take(&s, nl);
			if (s.bad)
				break;
			for (int t = 0; t < T_N; t++) {
				if (strlen(wc_targets[t].name) != nl || memcmp(wc_targets[t].name, nm, nl) != 0)
					continue;
				if (m->idx[t] >= 0)
					return WC_CWD_UNSUPPORTED; // which one is it?
				m->idx[t] = idx;
			}
		}
		if (s.bad)
			return WC_CWD_MALFORMED;
	}
	return 0;
}

// parse_types counts the types; only plain function types of single-byte
// value types are handled.
static int parse_types(wc_mod *m) {
	wc_rd r = {m->types.payload, m->types.end, 0};
	m->ntypes = rd_count(&r);
	for (uint32_t i = 0; i < m->ntypes && !r.bad; i++) {
		if (rd_byte(&r) != 0x60)
			return WC_CWD_UNSUPPORTED;
		for (int k = 0; k < 2 && !r.bad; k++) {
			uint32_t n = rd_count(&r);
			const uint8_t *v = rd_take(&r, n);
			for (uint32_t j = 0; j < n && !r.bad; j++)
				if (!known_valtype(v[j]))
					return WC_CWD_UNSUPPORTED;
		}
	}
	return r.bad || rd_left(&r) != 0 ? WC_CWD_MALFORMED : 0;
}

// type_is says whether type t takes np i32s and returns nr i32s.
static int type_is(const wc_mod *m, uint32_t t, uint32_t np, uint32_t nr) {
	wc_rd r = {m->types.payload, m->types.end, 0};
	uint32_t n = rd_count(&r);
	if (t >= n)
		return 0;
	for (uint32_t i = 0; i <= t && !r.bad; i++) {
		rd_byte(&r);
		uint32_t p = rd_count(&r);
		const uint8_t *ps = rd_take(&r, p);
		uint32_t q = rd_count(&r);
		const uint8_t *qs = rd_take(&r, q);
		if (r.bad)
			return 0;
		if (i < t)
			continue;
		if (p != np || q != nr)
			return 0;
		for (uint32_t j = 0; j < p; j++)
			if (ps[j] != VT_I32)
				return 0;
		for (uint32_t j = 0; j < q; j++)
			if (qs[j] != VT_I32)
				return 0;
		return 1;
	}
	return 0;
}

// parse_imports counts imported functions and globals. want >= 0: the
// type index of the want'th imported function goes to *type.
static int parse_imports(wc_mod *m, int64_t want, uint32_t *type) {
	m->nfi = m->ngi = 0;
	if (m->imports.start == NULL)
		return 0;
	wc_rd r = {m->imports.payload, m->imports.end, 0};
	uint32_t n = rd_count(&r);
	for (uint32_t i = 0; i < n && !r.bad; i++) {
		rd_take(&r, rd_u32(&r));
		rd_take(&r, rd_u32(&r));
		switch (rd_byte(&r)) {
		case 0: {
			uint32_t t = rd_u32(&r);
			if (want >= 0 && m->nfi == want)
				*type = t;
			m->nfi++;
			break;
		}
		case 1:
			if (!known_valtype(rd_byte(&r)))
				return WC_CWD_UNSUPPORTED;
			parse_limits(&r);
			break;
		case 2:
			parse_limits(&r);
			break;
		case 3:
			if (!known_valtype(rd_byte(&r)) || rd_byte(&r) > 1)
				return WC_CWD_UNSUPPORTED;
			m->ngi++;
			break;
		case 4:
			rd_byte(&r);
			rd_u32(&r);
			break;
		default:
			return WC_CWD_UNSUPPORTED;
		}
	}
	return r.bad || rd_left(&r) != 0 ? WC_CWD_MALFORMED : 0;
}

// func_type: the type index of function idx, or -1.
static int64_t func_type(wc_mod *m, uint32_t idx) {
	uint32_t t = 0;
	if (idx < m->nfi) {
		wc_mod copy = *m;
		if (parse_imports(&copy, idx, &t) != 0)
			return -1;
		return t;
	}
	wc_rd r = {m->funcs.payload, m->funcs.end, 0};
	uint32_t n = rd_count(&r);
	if (idx - m->nfi >= n)
		return -1;
	for (uint32_t i = 0; i <= idx - m->nfi && !r.bad; i++)
		t = rd_u32(&r);
	return r.bad ? -1 : (int64_t)t;
}

// has: target t is present with its signature; defined: and has a body
// here (it can be wrapped).
static int has(wc_mod *m, int t, int defined) {
	int64_t idx = m->idx[t];
	if (idx < 0 || idx >= (int64_t)m->nfi + m->nfd)
		return 0;
	if (defined && idx < m->nfi)
		return 0;
	int64_t type = func_type(m, (uint32_t)idx);
	return type >= 0 && type_is(m, (uint32_t)type, wc_targets[t].params, wc_targets[t].results);
}

// ---- the new code ---------------------------------------------------------

typedef struct {
	const char *cwd;
	uint32_t cwdlen;
	int kind;
	uint32_t f_malloc, f_free, f_chdir, f_write_cwd, f_init;
	int has_free;
	uint32_t g_slot, g_buf[2], g_cap[2], g_init, g_mark;
} wc_gen;

// emit_body writes body (consumed), prefixed with its size.
static void emit_body(wc_wb *out, wc_wb *body) {
	wb_u32(out, (uint32_t)body->n);
	wb_put(out, body->b, body->n);
	if (body->bad)
		out->bad = 1;
	wb_free(body);
}

// gen_write_cwd: (dst) stores the cwd's bytes at dst, without a NUL.
static void gen_write_cwd(wc_wb *out, const wc_gen *g) {
	wc_wb b = {.max = 1 << 20};
	wb_u32(&b, 0);
	uint32_t o = 0;
	for (; o + 8 <= g->cwdlen; o += 8) {
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = v << 8 | (uint8_t)g->cwd[o + i];
		op_u(&b, OP_LOCAL_GET, 0);
		wb_byte(&b, OP_I64_CONST);
		wb_s64(&b, (int64_t)v);
		mem(&b, OP_I64_STORE, o);
	}
	for (; o < g->cwdlen; o++) {
		op_u(&b, OP_LOCAL_GET, 0);
		i32c(&b, (uint8_t)g->cwd[o]);
		mem(&b, OP_I32_STORE8, o);
	}
	op(&b, OP_END);
	emit_body(out, &b);
}

// gen_cwd_string: local l = malloc(cwdlen+1) holding the cwd and its NUL;
// on a NULL from malloc, `fail` (a whole instruction sequence) runs.
static void gen_cwd_string(wc_wb *b, const wc_gen *g, uint32_t l, const uint8_t *fail, size_t nfail) {
	i32c(b, g->cwdlen + 1);
	op_u(b, OP_CALL, g->f_malloc);
	op_u(b, OP_LOCAL_TEE, l);
	op(b, OP_I32_EQZ);
	block(b, OP_IF);
	wb_put(b, fail, nfail);
	op(b, OP_END);
	op_u(b, OP_LOCAL_GET, l);
	op_u(b, OP_CALL, g->f_write_cwd);
	op_u(b, OP_LOCAL_GET, l);
	i32c(b, 0);
	mem(b, OP_I32_STORE8, g->cwdlen);
}

// gen_init: the first call runs chdir(cwd) (WC_CWD_CHDIR); later calls
// return at once.
static void gen_init(wc_wb *out, const wc_gen *g) {
	wc_wb b = {.max = 1 << 20};
	if (g->kind != WC_CWD_CHDIR) {
		wb_u32(&b, 0);
		op(&b, OP_END);
		emit_body(out, &b);
		return;
	}
	wb_u32(&b, 1);
	wb_u32(&b, 1);
	wb_byte(&b, VT_I32);
	op_u(&b, OP_GLOBAL_GET, g->g_init);
	block(&b, OP_IF);
	op(&b, OP_RETURN);
	op(&b, OP_END);
	i32c(&b, 1);
	op_u(&b, OP_GLOBAL_SET, g->g_init);
	static const uint8_t ret[] = {OP_RETURN};
	gen_cwd_string(&b, g, 0, ret, sizeof ret);
	op_u(&b, OP_LOCAL_GET, 0);
	op_u(&b, OP_CALL, g->f_chdir);
	op(&b, OP_DROP);
	if (g->has_free) {
		op_u(&b, OP_LOCAL_GET, 0);
		op_u(&b, OP_CALL, g->f_free);
	}
	op(&b, OP_END);
	emit_body(out, &b);
}

// call_orig: the wrapped function's own parameters, the first replaced by
// local first (or kept when first is 0), then a call of the original.
static void call_orig(wc_wb *b, uint32_t params, uint32_t first, uint32_t orig) {
	op_u(b, OP_LOCAL_GET, first);
	for (uint32_t i = 1; i < params; i++)
		op_u(b, OP_LOCAL_GET, i);
	op_u(b, OP_CALL, orig);
}

// gen_join: the wrapper of a path lookup for WC_CWD_JOIN.
// A relative path becomes "<cwd>/<path>" in one of two alternating
// buffers; NULL and absolute paths go through as they are.
static void gen_join(wc_wb *out, const wc_gen *g, uint32_t params, uint32_t orig) {
	uint32_t len = params, buf = params + 1, slot = params + 2, i = params + 3;
	uint32_t extra = g->cwdlen + 2; // "/" and the NUL
	wc_wb b = {.max = 1 << 20};
	wb_u32(&b, 1);
	wb_u32(&b, 4);
	wb_byte(&b, VT_I32);
	// NULL or absolute: unchanged.
	op_u(&b, OP_LOCAL_GET, 0);
	op(&b, OP_I32_EQZ);
	block(&b, OP_IF);
	call_orig(&b, params, 0, orig);
	op(&b, OP_RETURN);
	op(&b, OP_END);
	op_u(&b, OP_LOCAL_GET, 0);
	mem(&b, OP_I32_LOAD8_U, 0);
	i32c(&b, '/');
	op(&b, OP_I32_EQ);
	block(&b, OP_IF);
	call_orig(&b, params, 0, orig);
	op(&b, OP_RETURN);
	op(&b, OP_END);
	// len = strlen(path)
	i32c(&b, 0);
	op_u(&b, OP_LOCAL_SET, len);
	block(&b, OP_BLOCK);
	block(&b, OP_LOOP);
	op_u(&b, OP_LOCAL_GET, 0);
	op_u(&b, OP_LOCAL_GET, len);
	op(&b, OP_I32_ADD);
	mem(&b, OP_I32_LOAD8_U, 0);
	op(&b, OP_I32_EQZ);
	op_u(&b, OP_BR_IF, 1);
	op_u(&b, OP_LOCAL_GET, len);
	i32c(&b, 1);
	op(&b, OP_I32_ADD);
	op_u(&b, OP_LOCAL_SET, len);
	op_u(&b, OP_BR, 0);
	op(&b, OP_END);
	op(&b, OP_END);
	// A path near 2 GiB cannot be joined: trap rather than wrap around.
	op_u(&b, OP_LOCAL_GET, len);
	i32c(&b, 0x7fff0000);
	op(&b, OP_I32_GT_U);
	block(&b, OP_IF);
	op(&b, OP_UNREACHABLE);
	op(&b, OP_END);
	// slot = g_slot; g_slot ^= 1
	op_u(&b, OP_GLOBAL_GET, g->g_slot);
	op_u(&b, OP_LOCAL_TEE, slot);
	i32c(&b, 1);
	op(&b, OP_I32_XOR);
	op_u(&b, OP_GLOBAL_SET, g->g_slot);
	// buf = a buffer of the slot with room for len+extra bytes. Out of
	// memory traps: wasi-libc's errno cannot be reached from here, and
	// going on with the unjoined path would open another file.
	op_u(&b, OP_LOCAL_GET, slot);
	block(&b, OP_IF);
	for (int s = 1; s >= 0; s--) {
		op_u(&b, OP_GLOBAL_GET, g->g_cap[s]);
		op_u(&b, OP_LOCAL_GET, len);
		i32c(&b, extra);
		op(&b, OP_I32_ADD);
		op(&b, OP_I32_LT_U);
		block(&b, OP_IF);
		if (g->has_free) {
			op_u(&b, OP_GLOBAL_GET, g->g_buf[s]);
			op_u(&b, OP_CALL, g->f_free);
			i32c(&b, 0);
			op_u(&b, OP_GLOBAL_SET, g->g_cap[s]);
		}
		op_u(&b, OP_LOCAL_GET, len);
		i32c(&b, extra);
		op(&b, OP_I32_ADD);
		op_u(&b, OP_CALL, g->f_malloc);
		op_u(&b, OP_LOCAL_TEE, buf);
		op(&b, OP_I32_EQZ);
		block(&b, OP_IF);
		op(&b, OP_UNREACHABLE);
		op(&b, OP_END);
		op_u(&b, OP_LOCAL_GET, buf);
		op_u(&b, OP_GLOBAL_SET, g->g_buf[s]);
		op_u(&b, OP_LOCAL_GET, len);
		i32c(&b, extra);
		op(&b, OP_I32_ADD);
		op_u(&b, OP_GLOBAL_SET, g->g_cap[s]);
		op(&b, OP_END);
		op_u(&b, OP_GLOBAL_GET, g->g_buf[s]);
		op_u(&b, OP_LOCAL_SET, buf);
		if (s == 1)
			op(&b, OP_ELSE);
	}
	op(&b, OP_END);
	// buf = cwd "/" path NUL
	op_u(&b, OP_LOCAL_GET, buf);
	op_u(&b, OP_CALL, g->f_write_cwd);
	op_u(&b, OP_LOCAL_GET, buf);
	i32c(&b, '/');
	mem(&b, OP_I32_STORE8, g->cwdlen);
	i32c(&b, 0);
	op_u(&b, OP_LOCAL_SET, i);
	block(&b, OP_BLOCK);
	block(&b, OP_LOOP);
	op_u(&b, OP_LOCAL_GET, buf);
	op_u(&b, OP_LOCAL_GET, i);
	op(&b, OP_I32_ADD);
	op_u(&b, OP_LOCAL_GET, 0);
	op_u(&b, OP_LOCAL_GET, i);
	op(&b, OP_I32_ADD);
	mem(&b, OP_I32_LOAD8_U, 0);
	mem(&b, OP_I32_STORE8, g->cwdlen + 1);
	op_u(&b, OP_LOCAL_GET, i);
	op_u(&b, OP_LOCAL_GET, len);
	op(&b, OP_I32_EQ);
	op_u(&b, OP_BR_IF, 1);
	op_u(&b, OP_LOCAL_GET, i);
	i32c(&b, 1);
	op(&b, OP_I32_ADD);
	op_u(&b, OP_LOCAL_SET, i);
	op_u(&b, OP_BR, 0);
	op(&b, OP_END);
	op(&b, OP_END);
	call_orig(&b, params, buf, orig);
	op(&b, OP_END);
	emit_body(out, &b);
}

// gen_getcwd_join: getcwd(buf, size) for WC_CWD_JOIN: the cwd, in a new
// buffer when buf is NULL (as wasi-libc's); a buffer too small goes to
// the original with size 0, which fails with ERANGE.
static void gen_getcwd_join(wc_wb *out, const wc_gen *g, uint32_t orig) {
	wc_wb b = {.max = 1 << 20};
	wb_u32(&b, 1);
	wb_u32(&b, 1);
	wb_byte(&b, VT_I32);
	op_u(&b, OP_LOCAL_GET, 0);
	op(&b, OP_I32_EQZ);
	block(&b, OP_IF);
	static const uint8_t null[] = {OP_I32_CONST, 0, OP_RETURN};
	gen_cwd_string(&b, g, 2, null, sizeof null); // malloc sets ENOMEM
	op_u(&b, OP_LOCAL_GET, 2);
	op(&b, OP_RETURN);
	op(&b, OP_END);
	op_u(&b, OP_LOCAL_GET, 1);
	i32c(&b, g->cwdlen + 1);
	op(&b, OP_I32_LT_U);
	block(&b, OP_IF);
	op_u(&b, OP_LOCAL_GET, 0);
	i32c(&b, 0);
	op_u(&b, OP_CALL, orig);
	op(&b, OP_RETURN);
	op(&b, OP_END);
	op_u(&b, OP_LOCAL_GET, 0);
	op_u(&b, OP_CALL, g->f_write_cwd);
	op_u(&b, OP_LOCAL_GET, 0);
	i32c(&b, 0);
	mem(&b, OP_I32_STORE8, g->cwdlen);
	op_u(&b, OP_LOCAL_GET, 0);
	op(&b, OP_END);
	emit_body(out, &b);
}

// gen_init_then: init(), then the original with the same parameters
// (WC_CWD_CHDIR's wrappers).
static void gen_init_then(wc_wb *out, const wc_gen *g, uint32_t params, uint32_t orig) {
	wc_wb b = {.max = 1 << 20};
	wb_u32(&b, 0);
	op_u(&b, OP_CALL, g->f_init);
	call_orig(&b, params, 0, orig);
	op(&b, OP_END);
	emit_body(out, &b);
}

// ---- putting it together --------------------------------------------------

// emit_section writes section id with payload w (consumed).
static void emit_section(wc_wb *out, uint8_t id, wc_wb *w) {
	wb_byte(out, id);
	wb_u32(out, (uint32_t)w->n);
	wb_put(out, w->b, w->n);
	if (w->bad)
		out->bad = 1;
	wb_free(w);
}

// copy_rest: a vector section's payload after its count, raw.
static void copy_rest(wc_wb *w, const wc_sec *s, uint32_t *count) {
	wc_rd r = {s->payload, s->end, 0};
	*count = rd_u32(&r);
	if (r.bad) {
		w->bad = 1;
		return;
	}
	wb_put(w, r.p, (size_t)(r.end - r.p));
}

int wc_cwd_rewrite(const unsigned char *in, size_t len, const char *cwd, unsigned char **out, size_t *out_len) {
	*out = NULL;
	*out_len = 0;
	size_t cwdlen = cwd ? strlen(cwd) : 0;
	if (cwdlen < 2 || cwdlen > WR_CWD_MAX || cwd[0] != '/' || cwd[cwdlen - 1] == '/')
		return WC_CWD_UNSUPPORTED;
	if (len < 8 || memcmp(in, "\0asm\x01\0\0\0", 8) != 0)
		return WC_CWD_UNCHANGED; // not a core module
	if (len > (size_t)1 << 31)
		return WC_CWD_UNSUPPORTED;

	wc_mod m;
	memset(&m, 0, sizeof m);
	int rc = parse_sections(&m, in, len);
	if (rc == 0)
		rc = find_names(&m);
	if (rc != 0)
		return rc;
	// One function, one part: a name section that says otherwise is not
	// wasi-libc's.
	for (int a = 0; a < T_N; a++)
		for (int b = a + 1; b < T_N; b++)
			if (m.idx[a] >= 0 && m.idx[a] == m.idx[b])
				return WC_CWD_UNSUPPORTED;
	if (m.idx[T_ABSPATH] < 0 && m.idx[T_RELPATH] < 0 && m.idx[T_ALLOC] < 0)
		return WC_CWD_UNCHANGED;
	if (!m.types.start || !m.funcs.start || !m.globals.start || !m.exports.start || !m.code.start)
		return WC_CWD_UNSUPPORTED;
	if ((rc = parse_types(&m)) != 0 || (rc = parse_imports(&m, -1, NULL)) != 0)
		return rc;
	wc_rd r = {m.funcs.payload, m.funcs.end, 0};
	m.nfd = rd_count(&r);
	wc_rd gr = {m.globals.payload, m.globals.end, 0};
	m.ngd = rd_count(&gr);
	if (r.bad || gr.bad)
		return WC_CWD_MALFORMED;

	// Which case, and what is wrapped.
	wc_gen g;
	memset(&g, 0, sizeof g);
	g.cwd = cwd;
	g.cwdlen = (uint32_t)cwdlen;
	int wrap[4], nwrap = 0;
	if (!has(&m, T_MALLOC, 0))
		return WC_CWD_UNSUPPORTED;
	if (m.idx[T_ALLOC] >= 0 && m.idx[T_CHDIR] >= 0) {
		if (!has(&m, T_ALLOC, 1) || !has(&m, T_CHDIR, 0))
			return WC_CWD_UNSUPPORTED;
		g.kind = WC_CWD_CHDIR;
		wrap[nwrap++] = T_ALLOC;
	} else {
		// No chdir, so wasi-libc's own cwd stays "/" (its
		// find_relpath_alloc may be linked without chdir: Rust's std).
		g.kind = WC_CWD_JOIN;
		for (int t = T_ABSPATH; t <= T_ALLOC; t++) {
			if (m.idx[t] < 0)
				continue;
			if (!has(&m, t, 1))
				return WC_CWD_UNSUPPORTED;
			wrap[nwrap++] = t;
		}
	}
	if (m.idx[T_GETCWD] >= 0) {
		if (!has(&m, T_GETCWD, 1))
			return WC_CWD_UNSUPPORTED;
		wrap[nwrap++] = T_GETCWD;
	}
	g.has_free = has(&m, T_FREE, 0);
	g.f_malloc = (uint32_t)m.idx[T_MALLOC];
	g.f_free = g.has_free ? (uint32_t)m.idx[T_FREE] : 0;
	g.f_chdir = g.kind == WC_CWD_CHDIR ? (uint32_t)m.idx[T_CHDIR] : 0;
	uint64_t base = (uint64_t)m.nfi + m.nfd;
	if (base + nwrap + 2 > 0xffffffffu || (uint64_t)m.ngi + m.ngd + 7 > 0xffffffffu ||
	    (uint64_t)m.ntypes + 2 > 0xffffffffu)
		return WC_CWD_UNSUPPORTED;
	uint32_t orig[4];
	for (int k = 0; k < nwrap; k++)
		orig[k] = (uint32_t)(base + k);
	g.f_write_cwd = (uint32_t)(base + nwrap);
	g.f_init = (uint32_t)(base + nwrap + 1);
	uint32_t g0 = m.ngi + m.ngd;
	g.g_slot = g0;
	g.g_buf[0] = g0 + 1;
	g.g_cap[0] = g0 + 2;
	g.g_buf[1] = g0 + 3;
	g.g_cap[1] = g0 + 4;
	g.g_init = g0 + 5;
	g.g_mark = g0 + 6;
	uint32_t t_dst = m.ntypes, t_void = m.ntypes + 1;

	size_t max = len + (64u << 20);
	wc_wb types = {.max = max}, funcs = {.max = max}, globals = {.max = max}, exports = {.max = max},
	      code = {.max = max}, w = {.max = max};
	uint32_t n;
	size_t room = 2 * WR_CWD_MAX + 4096; // the new code, beyond the old
	wb_reserve(&types, (size_t)(m.types.end - m.types.payload) + 16);
	wb_reserve(&funcs, (size_t)(m.funcs.end - m.funcs.payload) + 32);
	wb_reserve(&globals, (size_t)(m.globals.end - m.globals.payload) + 64);
	wb_reserve(&exports, (size_t)(m.exports.end - m.exports.payload) + 32);
	wb_reserve(&code, (size_t)(m.code.end - m.code.payload) + room);

	// Types: (i32) -> () for write_cwd, () -> () for init.
	wb_u32(&types, m.ntypes + 2);
	copy_rest(&types, &m.types, &n);
	static const uint8_t new_types[] = {0x60, 1, VT_I32, 0, 0x60, 0, 0};
	wb_put(&types, new_types, sizeof new_types);

	// Functions: the originals keep their types.
	wb_u32(&funcs, m.nfd + nwrap + 2);
	copy_rest(&funcs, &m.funcs, &n);
	for (int k = 0; k < nwrap; k++)
		wb_u32(&funcs, (uint32_t)func_type(&m, (uint32_t)m.idx[wrap[k]]));
	wb_u32(&funcs, t_dst);
	wb_u32(&funcs, t_void);

	// Globals: six mutable i32s of state, then the marker (the case).
	wb_u32(&globals, m.ngd + 7);
	copy_rest(&globals, &m.globals, &n);
	for (int k = 0; k < 7; k++) {
		uint8_t gl[] = {VT_I32, k < 6, OP_I32_CONST, k < 6 ? 0 : (uint8_t)g.kind, OP_END};
		wb_put(&globals, gl, sizeof gl);
	}

	// Exports: the marker.
	copy_rest(&w, &m.exports, &m.nexports);
	wb_u32(&exports, m.nexports + 1);
	wb_put(&exports, w.b, w.n);
	exports.bad |= w.bad;
	wb_free(&w);
	wb_u32(&exports, (uint32_t)strlen(WR_CWD_EXPORT));
	wb_put(&exports, WR_CWD_EXPORT, strlen(WR_CWD_EXPORT));
	wb_byte(&exports, 0x03);
	wb_u32(&exports, g.g_mark);

	// Code: wrappers in place of the originals, which move to the end.
	wc_rd c = {m.code.payload, m.code.end, 0};
	if (rd_count(&c) != m.nfd || c.bad) {
		rc = WC_CWD_MALFORMED;
		goto fail;
	}
	const uint8_t *orig_body[4] = {0};
	size_t orig_len[4] = {0};
	wb_u32(&code, m.nfd + nwrap + 2);
	for (uint32_t j = 0; j < m.nfd && !c.bad; j++) {
		const uint8_t *start = c.p;
		rd_take(&c, rd_u32(&c));
		if (c.bad)
			break;
		int k = -1;
		for (int q = 0; q < nwrap; q++)
			if (m.idx[wrap[q]] == (int64_t)m.nfi + j)
				k = q;
		if (k < 0) {
			wb_put(&code, start, (size_t)(c.p - start));
			continue;
		}
		orig_body[k] = start;
		orig_len[k] = (size_t)(c.p - start);
		int t = wrap[k];
		if (t == T_GETCWD && g.kind == WC_CWD_JOIN)
			gen_getcwd_join(&code, &g, orig[k]);
		else if (g.kind == WC_CWD_JOIN)
			gen_join(&code, &g, wc_targets[t].params, orig[k]);
		else
			gen_init_then(&code, &g, wc_targets[t].params, orig[k]);
	}
	if (c.bad || rd_left(&c) != 0) {
		rc = WC_CWD_MALFORMED;
		goto fail;
	}
	for (int k = 0; k < nwrap; k++)
		wb_put(&code, orig_body[k], orig_len[k]);
	gen_write_cwd(&code, &g);
	gen_init(&code, &g);

	// The module, sections in their order, five of them new.
	wc_wb res = {.max = max};
	wb_reserve(&res, len + room + 256);
	wb_put(&res, in, 8);
	wc_rd s = {in + 8, in + len, 0};
	while (rd_left(&s) > 0 && !res.bad) {
		const uint8_t *start = s.p;
		uint8_t id = rd_byte(&s);
		rd_take(&s, rd_u32(&s));
		if (start == m.types.start)
			emit_section(&res, id, &types);
		else if (start == m.funcs.start)
			emit_section(&res, id, &funcs);
		else if (start == m.globals.start)
			emit_section(&res, id, &globals);
		else if (start == m.exports.start)
			emit_section(&res, id, &exports);
		else if (start == m.code.start)
			emit_section(&res, id, &code);
		else
			wb_put(&res, start, (size_t)(s.p - start));
	}
	if (res.bad || s.bad) {
		wb_free(&res);
		rc = WC_CWD_UNSUPPORTED;
		goto fail;
	}
	*out = res.b;
	*out_len = res.n;
	return g.kind;

fail:
	wb_free(&types);
	wb_free(&funcs);
	wb_free(&globals);
	wb_free(&exports);
	wb_free(&code);
	return rc;
}
