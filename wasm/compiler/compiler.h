// Shared by compiler.c and compiler.go; TestCompilerConstants checks them.
#ifndef WASM_RUNC_COMPILER_H
#define WASM_RUNC_COMPILER_H

#define WC_MARKER "wasm-runc:compile-module" /* Marker */
#define WC_EXIT_REJECTED 65                  /* exitRejected: the module was refused; one line on stderr */
#define WC_EXIT_FAILED 70                    /* exitFailed: the worker itself failed; one line on stderr */
#define WC_NOBODY 65534                      /* the uid and gid a root worker compiles as */

void wasm_runc_compile(int argc, char **argv);

#endif
