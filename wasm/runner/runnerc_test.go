package runner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunnerConstants: runner.h spells what runner.c shares with Go.
func TestRunnerConstants(t *testing.T) {
	for _, c := range []struct {
		name    string
		c, goes any
	}{
		{"WR_RUNNER_MARKER", cRunnerMarker, Marker},
		{"WR_EXIT_TRAP", cExitTrap, ExitTrap},
		{"WR_EXIT_RUNNER_FAILED", cExitRunnerFailed, ExitRunnerFailed},
		{"WR_EXIT_INVALID_STATUS", cExitInvalidStatus, ExitInvalidStatus},
		{"WR_SIGNAL_GRACE_MS", time.Duration(cSignalGraceMS) * time.Millisecond, signalGrace},
		{"WR_MEMORY_HEADROOM_BASE", int64(cMemoryHeadroomBase), memoryHeadroom(0, 0)},
	} {
		if fmt.Sprint(c.c) != fmt.Sprint(c.goes) {
			t.Errorf("runner.h: %s = %v, Go has %v", c.name, c.c, c.goes)
		}
	}
}

// TestRunnerEarlySignal: a SIGTERM that arrives while the runner is still
// starting ends it with 143, not by the signal (outside a pid namespace; as
// PID 1 it would be lost). It is sent as soon as the runner has a SIGTERM
// handler, which runner.c installs first (before it, only the kernel and
// libc run).
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
