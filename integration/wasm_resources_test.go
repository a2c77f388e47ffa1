package integration

import (
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// testWasmResources checks that the Wasm process lives in the container's
// cgroup with the spec's limits, and that a guest hitting the memory limit
// fails in its own way instead of being OOM-killed.
func testWasmResources(t *testing.T, fx *wasmFixture) {
	const memLimit = 64 << 20
	withMemory := withResourcesEdit(func(r *specs.LinuxResources) {
		limit := int64(memLimit)
		r.Memory = &specs.LinuxMemory{Limit: &limit}
	})

	// oomKills reads the cgroup's OOM-kill count and the times usage hit the
	// limit; a file the kernel does not have reads as "".
	memoryReport := func(t *testing.T, id string) (oomKill string) {
		t.Helper()
		control, err := cgroupFile(id, "memory", "memory.oom_control")
		if err != nil {
			t.Logf("memory.oom_control: %v", err)
			return ""
		}
		failcnt, _ := cgroupFile(id, "memory", "memory.failcnt")
		maxUsage, _ := cgroupFile(id, "memory", "memory.max_usage_in_bytes")
		t.Logf("memory cgroup: failcnt %s, max_usage_in_bytes %s, oom_control %q", failcnt, maxUsage, control)
		for _, line := range strings.Split(control, "\n") {
			if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
				return v
			}
		}
		return ""
	}

	t.Run("go_guest_grows_past_limit", func(t *testing.T) {
		c := newContainer(t, newRuntime(t), withVariant("compat"), withMemory, withArgs("/hello.wasm", "grow"))
		installFile(t, c, "/hello.wasm", fx.hello, 0o755)
		// --keep leaves the stopped container, and its cgroup, to look at.
		res := wasmRun(t, c, fx.opts(), "--keep")
		first, _, _ := strings.Cut(res.stderr, "\n")
		t.Logf("exit %d; stderr begins %q", res.code, first)
		if res.code == 137 {
			t.Fatalf("the guest was OOM-killed (137) instead of failing: %s", res)
		}
		if res.code != 2 || !strings.Contains(res.stderr, "fatal error: out of memory") {
			t.Errorf("want Go's \"fatal error: out of memory\" and exit 2; got exit %d, stderr begins %q", res.code, first)
		}
		if n := memoryReport(t, c.id); n != "" && n != "0" {
			t.Errorf("the memory cgroup OOM-killed %s processes", n)
		}
	})

	t.Run("wat_memory_grow_fails", func(t *testing.T) {
		c := newContainer(t, newRuntime(t), withVariant("compat"), withMemory, withArgs("/grow.wasm"))
		installFile(t, c, "/grow.wasm", fx.bin["grow"], 0o755)
		res := wasmRun(t, c, fx.opts(), "--keep")
		if res.code != 0 || !strings.HasPrefix(res.stdout, "memory.grow failed at ") {
			t.Fatalf("want memory.grow to fail below the limit; got %s", res)
		}
		pages, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(res.stdout, "memory.grow failed at "), " pages\n"))
		if err != nil {
			t.Fatalf("stdout %q: %v", res.stdout, err)
		}
		t.Logf("linear memory capped at %d pages (%d MiB) under a %d MiB limit", pages, pages>>4, memLimit>>20)
		if pages<<16 >= memLimit || pages < 16 {
			t.Errorf("linear memory capped at %d pages; want some, below the %d byte limit", pages, memLimit)
		}
		if n := memoryReport(t, c.id); n != "" && n != "0" {
			t.Errorf("the memory cgroup OOM-killed %s processes", n)
		}
	})

	t.Run("limits_in_container_cgroup", func(t *testing.T) {
		rt := newRuntime(t)
		c := newContainer(t, rt, withVariant("compat"), withMemory, withArgs("/hello.wasm", "args", "sleep", "30"),
			withResourcesEdit(func(r *specs.LinuxResources) {
				shares, quota, period, pids := uint64(512), int64(50000), uint64(100000), int64(32)
				r.Pids = &specs.LinuxPids{Limit: &pids}
				r.CPU = &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period}
			}))
		installFile(t, c, "/hello.wasm", fx.hello, 0o755)
		wasmCreate(t, c, fx.opts())
		c.start(t)
		c.waitOutput(t, "arg[0]=", commandTimeout)
		pid := strconv.Itoa(c.state(t).Pid)
		for _, want := range []struct{ controller, file, value string }{
			{"pids", "pids.max", "32"},
			{"cpu", "cpu.shares", "512"},
			{"cpu", "cpu.cfs_quota_us", "50000"},
			{"cpu", "cpu.cfs_period_us", "100000"},
			{"memory", "memory.limit_in_bytes", strconv.Itoa(memLimit)},
		} {
			got, err := cgroupFile(c.id, want.controller, want.file)
			if err != nil {
				t.Errorf("%v", err)
			} else if got != want.value {
				t.Errorf("%s/%s: %s; want %s", want.controller, want.file, got, want.value)
			}
		}
		for _, controller := range []string{"pids", "cpu", "memory"} {
			tasks, err := cgroupFile(c.id, controller, "cgroup.procs")
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			if !contains(strings.Fields(tasks), pid) {
				t.Errorf("the Wasm process %s is not in the %s cgroup (procs: %s)", pid, controller, tasks)
			}
		}
		if cmd := procCmdline(t, c.state(t).Pid); cmd[0] != "/hello.wasm" {
			t.Errorf("pid %s runs %q, not the module", pid, cmd)
		}
		rt.mustRun(t, "kill", c.id, "KILL")
	})
}
