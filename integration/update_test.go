package integration

import (
	"strings"
	"testing"
)

// updateWithStdin runs `update --resources - id` with json as stdin.
func updateWithStdin(t *testing.T, rt *runtime, id, json string) result {
	t.Helper()
	cmd, outs := rt.command(t, cmdOpts{}, "update", "--resources", "-", id)
	cmd.Stdin = strings.NewReader(json)
	return outs.result(cmd, runTracked(cmd))
}

// mustCgroupFile reads a cgroup v1 file of the container.
func mustCgroupFile(t *testing.T, id, controller, name string) string {
	t.Helper()
	s, err := cgroupFile(id, controller, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUpdateFlags changes limits with update's flags and reads them back
// from the container's cgroups.
func TestUpdateFlags(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	for _, tc := range []struct {
		name  string
		flags []string
		files map[string]string // controller/file -> content
	}{
		{"memory_bytes", []string{"--memory", "67108864"}, map[string]string{"memory/memory.limit_in_bytes": "67108864"}},
		{"memory_units", []string{"--memory", "48m", "--memory-swap", "96M"}, map[string]string{
			"memory/memory.limit_in_bytes": "50331648", "memory/memory.memsw.limit_in_bytes": "100663296"}},
		{"memory_reservation", []string{"--memory-reservation", "1g"}, map[string]string{"memory/memory.soft_limit_in_bytes": "1073741824"}},
		{"pids", []string{"--pids-limit", "20"}, map[string]string{"pids/pids.max": "20"}},
		{"cpu_quota_period", []string{"--cpu-period", "100000", "--cpu-quota", "50000"}, map[string]string{
			"cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "50000"}},
		{"cpu_quota_alone", []string{"--cpu-quota", "25000"}, map[string]string{
			"cpu/cpu.cfs_period_us": "100000", "cpu/cpu.cfs_quota_us": "25000"}},
		{"cpu_shares", []string{"--cpu-share", "512"}, map[string]string{"cpu/cpu.shares": "512"}},
		{"cpuset", []string{"--cpuset-cpus", "0", "--cpuset-mems", "0"}, map[string]string{
			"cpuset/cpuset.cpus": "0", "cpuset/cpuset.mems": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, append(append([]string{"update"}, tc.flags...), c.id)...)
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("%s", res)
			}
			for path, want := range tc.files {
				controller, file, _ := strings.Cut(path, "/")
				if got := mustCgroupFile(t, c.id, controller, file); got != want {
					t.Errorf("%s = %q; want %q", path, got, want)
				}
			}
		})
	}
}

// TestUpdateResourcesJSON updates from runtime-spec LinuxResources JSON on
// stdin and from a file, as containerd does.
func TestUpdateResourcesJSON(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	res := updateWithStdin(t, rt, c.id, `{"memory": {"limit": 33554432}, "pids": {"limit": 30}}`)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	if got := mustCgroupFile(t, c.id, "memory", "memory.limit_in_bytes"); got != "33554432" {
		t.Errorf("memory.limit_in_bytes = %s after --resources -; want 33554432", got)
	}
	if got := mustCgroupFile(t, c.id, "pids", "pids.max"); got != "30" {
		t.Errorf("pids.max = %s; want 30", got)
	}

	path := t.TempDir() + "/resources.json"
	mustWrite(t, path, `{"memory": {"limit": 41943040}, "cpu": {"shares": 256}}`)
	rt.mustRun(t, "update", "-r", path, c.id)
	if got := mustCgroupFile(t, c.id, "memory", "memory.limit_in_bytes"); got != "41943040" {
		t.Errorf("memory.limit_in_bytes = %s after -r FILE; want 41943040", got)
	}
	if got := mustCgroupFile(t, c.id, "cpu", "cpu.shares"); got != "256" {
		t.Errorf("cpu.shares = %s; want 256", got)
	}
}

// TestUpdateMemoryEnforced checks that a lowered memory limit takes effect:
// a process that fits before the update is OOM-killed after it.
func TestUpdateMemoryEnforced(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	// busybox dd allocates a buffer of bs bytes and touches it.
	alloc := []string{c.id, "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=32M", "count=1"}
	if res := execIn(t, rt, alloc...); res.code != 0 {
		t.Fatalf("32M allocation without a limit: %s", res)
	}
	rt.mustRun(t, "update", "--memory", "16m", "--memory-swap", "16m", c.id)
	if res := execIn(t, rt, alloc...); res.code != 137 {
		t.Fatalf("32M allocation under a 16M limit: want exit 137 (OOM kill); got %s", res)
	}
}

// TestUpdateErrors checks update's refusals and runc's kernel-memory
// warning.
func TestUpdateErrors(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad_memory", []string{"--memory", "lots", c.id}, 1, "invalid value for memory"},
		{"bad_quota", []string{"--cpu-quota", "x", c.id}, 1, "invalid value for cpu-quota"},
		{"kernel_memory_ignored", []string{"--kernel-memory", "64m", c.id}, 0, "Kernel memory settings are ignored"},
		{"l3_cache", []string{"--l3-cache-schema", "L3:0=f", c.id}, 1, "Intel RDT/CAT: l3 cache schema is not enabled"},
		{"nonexistent", []string{"--memory", "64m", c.id + "-nope"}, 1, "container does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, append([]string{"update"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.msg) {
				t.Fatalf("want exit %d and %q; got %s", tc.code, tc.msg, res)
			}
		})
	}
	res := updateWithStdin(t, rt, c.id, `{"memory": `)
	if res.code != 1 {
		t.Errorf("truncated JSON: want exit 1; got %s", res)
	}
}
