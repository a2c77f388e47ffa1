// cwd_rewrite.h: the compile worker's working-directory rewrite (cwd_rewrite.c).
#ifndef WASM_RUNC_COMPILER_CWD_H
#define WASM_RUNC_COMPILER_CWD_H

#include <stddef.h>

// What wc_cwd_rewrite did; cwd_rewrite.go has the same values (TestCwdConstants).
#define WC_CWD_JOIN 1        /* rewritten: relative paths are joined to the cwd (no chdir linked) */
#define WC_CWD_CHDIR 2       /* rewritten: the guest's chdir(cwd) runs at its first lookup */
#define WC_CWD_UNCHANGED 0   /* not a wasi-libc module with names (a stripped one, Go, WAT) */
#define WC_CWD_MALFORMED -1  /* bytes the rewriter does not parse: left to wasmtime */
#define WC_CWD_UNSUPPORTED -2 /* a shape the rewriter does not handle (types, signatures, sizes) */

// wc_cwd_rewrite makes a wasi-libc module resolve relative paths against
// cwd (absolute, clean, not "/"). On WC_CWD_JOIN or WC_CWD_CHDIR, *out
// (malloc'd) and *out_len hold the new module; otherwise nothing is
// allocated. It reads nothing outside [in, in+len).
int wc_cwd_rewrite(const unsigned char *in, size_t len, const char *cwd, unsigned char **out, size_t *out_len);

#endif
