// Shared by runner.c and runner.go; TestRunnerConstants checks these
// against the Go constants.
#ifndef WASM_RUNC_RUNNER_H
#define WASM_RUNC_RUNNER_H

#define WR_RUNNER_MARKER "wasm-runc:run-module" /* Marker */
#define WR_EXIT_TRAP 134                        /* ExitTrap */
#define WR_EXIT_RUNNER_FAILED 126               /* ExitRunnerFailed */
#define WR_EXIT_INVALID_STATUS 1                /* ExitInvalidStatus */
#define WR_SIGNAL_GRACE_MS 200                  /* signalGrace */
#define WR_MEMORY_HEADROOM_BASE (8LL << 20)     /* memoryHeadroom's constant */

// wasm_runc_run is the runner; it never returns.
void wasm_runc_run(int argc, char **argv, const char *procfd);

#endif
