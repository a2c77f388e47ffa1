// cwd.h: what the compile worker's working-directory rewrite
// (wasm/compiler/cwd_rewrite.c) and the runner (wasm/runner) agree on. A module
// the worker rewrote for a working directory exports an i32 global under
// WR_CWD_EXPORT; the runner then preopens only "/" (docs/wasm.md, "Working
// directory and paths").
#ifndef WASM_RUNC_CWD_H
#define WASM_RUNC_CWD_H

#include <string.h>

#include "wasmtime.h"

#define WR_CWD_EXPORT "wasm-runc:cwd"

// WR_CWD_MAX: the longest working directory built into a module (PATH_MAX
// less its NUL); a longer one leaves the module unchanged.
#define WR_CWD_MAX 4095

// wr_cwd_rewritten says whether module carries the rewrite's export.
static __attribute__((unused)) int wr_cwd_rewritten(const wasmtime_module_t *module) {
	wasm_exporttype_vec_t exports = {0};
	wasmtime_module_exports(module, &exports);
	int found = 0;
	size_t n = strlen(WR_CWD_EXPORT);
	for (size_t i = 0; i < exports.size && !found; i++) {
		const wasm_name_t *name = wasm_exporttype_name(exports.data[i]);
		found = name->size == n && memcmp(name->data, WR_CWD_EXPORT, n) == 0;
	}
	wasm_exporttype_vec_delete(&exports);
	return found;
}

#endif
