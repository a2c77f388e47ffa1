package wasm

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEarlySignalsMarker(t *testing.T) {
	if earlySignalsMarker != RunnerMarker {
		t.Fatalf("earlysignals.go looks for %q; the marker is %q", earlySignalsMarker, RunnerMarker)
	}
}

// TestRunnerEarlySignal: a SIGTERM that arrives before RunnerMain listens
// still ends the runner with 143, not by the signal (outside a pid
// namespace; as PID 1 it would be lost) or with the Go runtime's exit 2. It
// is sent as soon as the runner has a SIGTERM handler, which is
// earlysignals.go's (before it, only the kernel and libc run).
func TestRunnerEarlySignal(t *testing.T) {
	m := watModule(t, "loop")
	for i := 0; i < 20; i++ {
		r := startRunner(t, m, 0, "/", nil, "loop")
		status := "/proc/" + strconv.Itoa(r.cmd.Process.Pid) + "/status"
		for deadline := time.Now().Add(10 * time.Second); ; {
			if sigCaught(status, syscall.SIGTERM) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the runner never caught SIGTERM")
			}
		}
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := r.wait(t); code != 143 {
			t.Fatalf("attempt %d: exit %d, want 143; stderr %q", i, code, r.stderr)
		}
	}
}

// sigCaught reads SigCgt of a /proc/<pid>/status file.
func sigCaught(status string, sig syscall.Signal) bool {
	b, _ := os.ReadFile(status)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}
