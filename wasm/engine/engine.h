// engine.h: what the two C processes of wasm-runc share, the in-container
// runner (wasm/runner) and the host-side compile worker (wasm/compiler):
// the engine's configuration, which is part of every cache key, and the
// folding of wasmtime's messages into one capped, escaped line. Header-only
// (static functions), so that each package compiles its own copy of the
// same source; engine.go exposes the settings and the folding to Go.
#ifndef WASM_RUNC_ENGINE_H
#define WASM_RUNC_ENGINE_H

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmtime.h"

#define WR_HELPER static __attribute__((unused))

// The exit code when memory runs out inside these helpers; an includer may
// set its own before including this file.
#ifndef WR_OOM_EXIT
#define WR_OOM_EXIT 126
#endif

// Every engine setting that wr_engine_new turns, in the words that go into
// the cache key (engine.go's Fingerprint). A serialized module only loads
// into an engine configured the same way: change the text with the code.
#define WR_ENGINE_SETTINGS "epoch-interruption=on;strategy=cranelift;opt-level=speed;debug-info=off"

// WR_MESSAGE_MAX caps a message line taken from wasmtime, which may quote
// the module (names, WAT text): a hostile image must not flood a caller's
// log or terminal.
#define WR_MESSAGE_MAX 512

// wr_engine_config is the one place the engine is configured, for compiling
// on the host and for running in the container alike.
WR_HELPER wasm_config_t *wr_engine_config(void) {
	wasm_config_t *cfg = wasm_config_new();
	// Epoch interruption is how a signal stops a busy guest (runner.c).
	wasmtime_config_epoch_interruption_set(cfg, true);
	wasmtime_config_strategy_set(cfg, WR_WASMTIME_STRATEGY_CRANELIFT);
	wasmtime_config_cranelift_opt_level_set(cfg, WR_WASMTIME_OPT_LEVEL_SPEED);
	wasmtime_config_debug_info_set(cfg, false);
	return cfg;
}

// ---- small strings ----------------------------------------------------

typedef struct {
	char *s;
	size_t n, cap;
} wr_buf;

WR_HELPER void wr_put(wr_buf *b, const char *s, size_t n) {
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (b->n + n + 1 > c)
			c *= 2;
		char *p = realloc(b->s, c);
		if (p == NULL)
			_exit(WR_OOM_EXIT);
		b->s = p;
		b->cap = c;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

WR_HELPER void wr_puts(wr_buf *b, const char *s) { wr_put(b, s, strlen(s)); }

WR_HELPER char *wr_printf(const char *f, ...) {
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = malloc(n + 1);
	if (s == NULL)
		_exit(WR_OOM_EXIT);
	va_start(ap, f);
	vsnprintf(s, n + 1, f, ap);
	va_end(ap);
	return s;
}

// wr_utf8_len is the length of the valid UTF-8 sequence at s (at most n
// bytes), 0 when there is none.
WR_HELPER size_t wr_utf8_len(const unsigned char *s, size_t n) {
	size_t l;
	unsigned int c;
	if (s[0] < 0x80)
		return 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		l = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		l = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		l = 4, c = s[0] & 0x07;
	else
		return 0;
	if (l > n)
		return 0;
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((l == 3 && c < 0x800) || (l == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	// C1 controls (U+0080-U+009F) act on terminals as ESC sequences do.
	if (c >= 0x80 && c <= 0x9f)
		return 0;
	return l;
}

// wr_cap_escape returns a copy of s fit for one line of a log or a
// terminal: control characters and invalid UTF-8 written as \xNN, and cut
// after max bytes of input with "... (N more bytes)". Applied twice, it
// changes nothing more.
WR_HELPER char *wr_cap_escape(const char *s, size_t max) {
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	wr_buf out = {0};
	wr_put(&out, "", 0);
	while (i < n && i < max) {
		size_t l = wr_utf8_len(u + i, n - i);
		if (l == 1 && u[i] >= 0x20 && u[i] != 0x7f) {
			wr_put(&out, s + i, 1);
		} else if (l > 1) {
			if (i + l > max)
				break;
			wr_put(&out, s + i, l);
		} else {
			char esc[5];
			snprintf(esc, sizeof esc, "\\x%02x", u[i]);
			wr_puts(&out, esc);
			l = 1;
		}
		i += l;
	}
	if (i < n) {
		char *more = wr_printf("... (%zu more bytes)", n - i);
		wr_puts(&out, more);
		free(more);
	}
	return out.s;
}

// wr_fail writes the process's one stderr line, "wasm-runc: <msg>", with
// msg capped and escaped (it may quote the module), and exits.
WR_HELPER void wr_fail(int code, const char *msg) {
	char *line = wr_printf("wasm-runc: %s\n", wr_cap_escape(msg, WR_MESSAGE_MAX));
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
WR_HELPER char *wr_errno(int e) {
	char *s = wr_printf("%s", strerror(e));
	if (s[0] != 0 && isupper((unsigned char)s[0]) && !(s[1] != 0 && isupper((unsigned char)s[1])))
		s[0] = tolower((unsigned char)s[0]);
	return s;
}

// wr_trim_space returns s without leading and trailing white space, in place.
WR_HELPER char *wr_trim_space(char *s) {
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

// ---- wasmtime messages ------------------------------------------------------

// wr_wasmtime_message: the message without anyhow's "Stack backtrace:",
// trailing spaces and newlines trimmed.
WR_HELPER char *wr_wasmtime_message(const char *data, size_t size) {
	char *s = malloc(size + 1);
	if (s == NULL)
		_exit(WR_OOM_EXIT);
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

WR_HELPER char *wr_error_message(const wasmtime_error_t *e) {
	wasm_name_t m;
	wasmtime_error_message(e, &m);
	char *s = wr_wasmtime_message(m.data, m.size);
	wasm_byte_vec_delete(&m);
	return s;
}

// wr_cause_number: does line start with "    N: " (anyhow's numbered
// causes)? Returns the length of that prefix, 0 if not.
WR_HELPER size_t wr_cause_number(const char *line) {
	if (strncmp(line, "    ", 4) != 0 || !isdigit((unsigned char)line[4]))
		return 0;
	size_t i = 4;
	while (isdigit((unsigned char)line[i]))
		i++;
	return (line[i] == ':' && line[i + 1] == ' ') ? i + 2 : 0;
}

// wr_fold_part appends part with runs of white space made one space, and
// "[ " and ", ]" tightened, as oneLine does.
WR_HELPER void wr_fold_part(wr_buf *out, const char *part) {
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
WR_HELPER char *wr_one_line(const char *msg) {
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

// ---- components -------------------------------------------------------------

// WR_RUN_PREFIX starts the name of the interface a WASI preview 2 command
// exports; wasmtime's wasip2 linker serves every 0.2.x.
#define WR_RUN_PREFIX "wasi:cli/run@0.2."

// wr_component_run_export returns the name of the component's wasi:cli/run
// export (an instance with a "run" function), or NULL when it has none.
WR_HELPER char *wr_component_run_export(const wasm_engine_t *engine, const wasmtime_component_t *c) {
	wasmtime_component_type_t *ty = wasmtime_component_type(c);
	char *found = NULL;
	size_t n = wasmtime_component_type_export_count(ty, engine);
	for (size_t i = 0; i < n && found == NULL; i++) {
		const char *name;
		size_t len;
		WR_COMPONENT_ITEM item;
		if (!wasmtime_component_type_export_nth(ty, engine, i, &name, &len, &item))
			continue;
		if (item.kind == WR_COMPONENT_ITEM_INSTANCE && len > strlen(WR_RUN_PREFIX) &&
		    strncmp(name, WR_RUN_PREFIX, strlen(WR_RUN_PREFIX)) == 0) {
			wr_buf b = {0};
			wr_put(&b, name, len);
			wasmtime_component_export_index_t *inst = wasmtime_component_get_export_index(c, NULL, b.s, b.n);
			if (inst != NULL) {
				wasmtime_component_export_index_t *run = wasmtime_component_get_export_index(c, inst, "run", 3);
				if (run != NULL) {
					found = b.s;
					wasmtime_component_export_index_delete(run);
				}
				wasmtime_component_export_index_delete(inst);
			}
			if (found == NULL)
				free(b.s);
		}
		wasmtime_component_item_delete(&item);
	}
	wasmtime_component_type_delete(ty);
	return found;
}

// wr_component_not_command says what a component that is not a WASI command
// exports instead (a reactor, a wasi:http/proxy): the line `create` fails
// with. Names come from the module: the caller caps and escapes the line.
WR_HELPER char *wr_component_not_command(const wasm_engine_t *engine, const wasmtime_component_t *c) {
	wasmtime_component_type_t *ty = wasmtime_component_type(c);
	size_t n = wasmtime_component_type_export_count(ty, engine);
	wr_buf b = {0};
	wr_puts(&b, "is a WebAssembly component that exports ");
	if (n == 0)
		wr_puts(&b, "nothing");
	for (size_t i = 0; i < n; i++) {
		const char *name;
		size_t len;
		WR_COMPONENT_ITEM item;
		if (!wasmtime_component_type_export_nth(ty, engine, i, &name, &len, &item))
			continue;
		if (i > 0)
			wr_puts(&b, ", ");
		wr_put(&b, name, len);
		wasmtime_component_item_delete(&item);
	}
	wasmtime_component_type_delete(ty);
	wr_puts(&b, "; wasm-runc runs components that export wasi:cli/run (a WASI command)");
	return b.s;
}

#endif
