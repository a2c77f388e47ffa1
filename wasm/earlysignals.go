package wasm

// A runner is PID 1 of its pid namespace, where the kernel drops a signal
// whose disposition is SIG_DFL. Between execve and RunnerMain's
// signal.Notify the runner would therefore lose a SIGTERM (before the Go
// runtime installs its handlers) or exit 2 (after: the Go runtime's answer
// to a SIGTERM nobody asked for). Measured on SIGTERMs sent 0-3 ms after the
// exec, in a container: 17 of 40 ended that way instead of 143; with this
// file, 4 of 40 (sent before any user code ran, see doc.go).
//
// This constructor runs before the Go runtime, in the runner only
// (os.Args[1] == RunnerMarker), and makes the terminating signals RunnerMain
// catches exit 128+signal at once. The Go runtime then installs its own
// handlers over it but keeps it as the handler to forward to: a SIGTERM,
// SIGINT or SIGHUP that arrives before signal.Notify reaches it through the
// runtime's dieFromSignal. Once RunnerMain has called signal.Notify, Go
// delivers those signals to the runner's channel and this handler is never
// called again.

/*
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define WASM_RUNC_RUNNER_MARKER "wasm-runc:run-module"

static void wasm_runc_early_signal(int sig) { _exit(128 + sig); }

// glibc passes argc, argv and envp to constructors.
__attribute__((constructor)) static void wasm_runc_early_signals(int argc, char **argv, char **envp) {
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT,
		SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
	};
	struct sigaction sa;
	(void)envp;
	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], WASM_RUNC_RUNNER_MARKER) != 0)
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = wasm_runc_early_signal;
	sigfillset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	for (int s = 34; s <= 64; s++)
		sigaction(s, &sa, NULL);
}
*/
import "C"

// earlySignalsMarker is the marker as the C code spells it (it runs before
// any Go code); a test checks that it is RunnerMarker.
const earlySignalsMarker = C.WASM_RUNC_RUNNER_MARKER
