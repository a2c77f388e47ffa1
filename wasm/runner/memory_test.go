package runner

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procPeak samples /proc/<pid>/status until the process exits and returns
// the largest RssAnon+RssShmem and VmPTE seen, in bytes: what a memory
// cgroup charges the runner for, besides page cache it may touch first.
// (wasmtime keeps a module's data segments in a memfd: shmem.)
func procPeak(pid int, done <-chan struct{}) (anon, pte int64) {
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err == nil {
			var a int64
			for _, l := range strings.Split(string(b), "\n") {
				f := strings.Fields(l)
				if len(f) < 2 {
					continue
				}
				v, _ := strconv.ParseInt(f[1], 10, 64)
				switch f[0] {
				case "RssAnon:", "RssShmem:":
					a += v * 1024
				case "VmPTE:":
					pte = max(pte, v*1024)
				}
			}
			anon = max(anon, a)
		}
		select {
		case <-done:
			return anon, pte
		case <-time.After(time.Millisecond):
		}
	}
}

// TestRunnerMemoryLimit: a Go guest that allocates without end under a
// memory limit gets memory.grow = -1 and exits with the Go runtime's "out of
// memory" (exit 2) while the runner's resident anonymous memory stays below
// the limit, so a memory cgroup of that size would not OOM-kill it.
func TestRunnerMemoryLimit(t *testing.T) {
	limits := []int64{32 << 20, 48 << 20, 128 << 20}
	if !testing.Short() {
		limits = append(limits, 512<<20)
	}
	for _, limit := range limits {
		t.Run(itoa(limit>>20)+"MiB", func(t *testing.T) {
			r := startRunner(t, goModule(t), limit, "/", nil, "hello", "grow")
			done := make(chan struct{})
			peak := make(chan [2]int64)
			go func() {
				a, p := procPeak(r.cmd.Process.Pid, done)
				peak <- [2]int64{a, p}
			}()
			code := r.wait(t)
			close(done)
			pk := <-peak
			stderr := r.stderr.String()
			if code != 2 || !strings.Contains(stderr, "out of memory") {
				t.Errorf("exit %d, want 2 with \"out of memory\"; stderr:\n%s", code, stderr)
			}
			rss := r.maxRSS()
			t.Logf("limit %d MiB: peak RssAnon+RssShmem %.1f MiB, VmPTE %d KiB, VmHWM %.1f MiB, headroom %.1f MiB",
				limit>>20, float64(pk[0])/(1<<20), pk[1]>>10, float64(rss)/(1<<20),
				float64(limit-linearMemoryLimit(limit, 9<<20))/(1<<20))
			// 1 MiB for what /proc does not show: kernel stacks, slab.
			if pk[0]+pk[1]+1<<20 >= limit {
				t.Errorf("runner used %d bytes of anonymous memory, not below the %d limit", pk[0]+pk[1], limit)
			}
		})
	}
}

func TestRunnerMemoryLimitWat(t *testing.T) {
	code, stdout, _ := runModule(t, watModule(t, "grow"), "grow")
	if code != 3 || stdout != "no limit reached\n" {
		t.Errorf("without a limit: exit %d, stdout %q; want 3, \"no limit reached\"", code, stdout)
	}
	const limit = 64 << 20
	r := startRunner(t, watModule(t, "grow"), limit, "/", nil, "grow")
	code = r.wait(t)
	out := r.stdout.String()
	if code != 0 || !strings.HasPrefix(out, "memory.grow failed at ") {
		t.Fatalf("with a limit: exit %d, stdout %q", code, out)
	}
	pages, _ := strconv.Atoi(strings.Fields(out)[3])
	want := linearMemoryLimit(limit, 14<<10) / 65536
	if d := int64(pages) - want; d < -1 || d > 1 {
		t.Errorf("grew to %d pages, want about %d", pages, want)
	}
}

// TestRunnerMemoryLimitComponent: the limit holds for a component's
// memories too (component-grow returns err, exit 1, when a grow fails).
func TestRunnerMemoryLimitComponent(t *testing.T) {
	r := startRunner(t, watComponent(t, "component-grow"), 64<<20, "/", nil, "grow")
	if code := r.wait(t); code != 1 {
		t.Fatalf("with a 64 MiB limit: exit %d, want 1 (a grow failed); stderr %q", code, r.stderr)
	}
}

func TestLinearMemoryLimit(t *testing.T) {
	if got := linearMemoryLimit(1<<20, 9<<20); got != 0 {
		t.Errorf("tiny limit: %d, want 0", got)
	}
	if got := linearMemoryLimit(1<<30, 9<<20); got != 1<<30-memoryHeadroom(1<<30, 9<<20) {
		t.Errorf("1 GiB: %d", got)
	}
}

// TestRunnerMemoryLimitTooSmall: a limit below the headroom leaves no linear
// memory; the module cannot be instantiated and no guest code runs.
func TestRunnerMemoryLimitTooSmall(t *testing.T) {
	r := startRunner(t, goModule(t), 4<<20, "/", nil, "hello")
	code := r.wait(t)
	stderr := r.stderr.String()
	if code != ExitRunnerFailed || !strings.HasPrefix(stderr, "wasm-runc: instantiate module: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	t.Log(strings.TrimSpace(stderr))
}
