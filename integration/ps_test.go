package integration

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threeProcesses is an init with two children.
const threeProcesses = "sleep 300 & sleep 300 & echo ready; wait"

// psJSON runs `ps --format json` and decodes the pids.
func psJSON(t *testing.T, rt *runtime, id string) []int {
	t.Helper()
	res := rt.run(t, "ps", "--format", "json", id)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("want exit 0 and an empty stderr (containerd reads both); got %s", res)
	}
	var pids []int
	if err := json.Unmarshal([]byte(res.stdout), &pids); err != nil {
		t.Fatalf("ps --format json is not an array of pids: %v\n%s", err, res)
	}
	return pids
}

// sortedPids turns cgroup.procs entries into sorted ints.
func sortedPids(t *testing.T, procs []string) []int {
	t.Helper()
	var pids []int
	for _, p := range procs {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("cgroup.procs entry %q", p)
		}
		pids = append(pids, n)
	}
	slices.Sort(pids)
	return pids
}

// TestPsJSON checks that `ps --format json` lists exactly the host pids in
// the container's cgroup, init first among them.
func TestPsJSON(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, threeProcesses)
	st := c.state(t)
	got := psJSON(t, rt, c.id)
	want := sortedPids(t, cgroupProcs(c.id))
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if len(got) != 3 || !slices.Equal(sorted, want) {
		t.Fatalf("ps --format json: %v; the cgroup holds %v (want 3)", got, want)
	}
	if !slices.Contains(got, st.Pid) {
		t.Fatalf("ps --format json %v lacks the init pid %d", got, st.Pid)
	}
}

// TestPsTable checks the default table (ps -ef filtered to the container)
// and extra ps options.
func TestPsTable(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, threeProcesses)
	pids := psJSON(t, rt, c.id)

	res := rt.mustRun(t, "ps", c.id)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if !strings.HasPrefix(lines[0], "UID") || !strings.Contains(lines[0], "PID") || len(lines) != 1+len(pids) {
		t.Fatalf("want ps -ef's header and %d lines; got:\n%s", len(pids), res.stdout)
	}
	sleeps := 0
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, " sleep 300") {
			sleeps++
		}
	}
	if n := sleeps; n != 2 {
		t.Errorf("want the two sleeps in the table; got %d:\n%s", n, res.stdout)
	}

	res = rt.mustRun(t, "ps", c.id, "-o", "pid,comm")
	lines = strings.Split(strings.TrimSpace(res.stdout), "\n")
	if strings.Fields(lines[0])[0] != "PID" || len(lines) != 1+len(pids) {
		t.Fatalf("ps -o pid,comm: want a PID column and %d lines; got:\n%s", len(pids), res.stdout)
	}
	for _, l := range lines[1:] {
		pid, _ := strconv.Atoi(strings.Fields(l)[0])
		if !slices.Contains(pids, pid) {
			t.Errorf("line %q is not a process of the container %v", l, pids)
		}
	}

	res = rt.run(t, "ps", c.id, "-o", "comm")
	if res.code != 1 || !strings.Contains(res.stderr, "couldn't find PID field in ps output") {
		t.Errorf("ps without a PID column: want exit 1 and runc's message; got %s", res)
	}
	res = rt.run(t, "ps", "--format", "yaml", c.id)
	if res.code != 1 || !strings.Contains(res.stderr, "invalid format option") {
		t.Errorf("ps --format yaml: want exit 1 and \"invalid format option\"; got %s", res)
	}
	res = rt.run(t, "ps", c.id+"-nope")
	if res.code != 1 || !strings.Contains(res.stderr, "container does not exist") {
		t.Errorf("ps of a nonexistent container: %s", res)
	}
}

// TestPsLikeReference compares the JSON of ps with runc's: an array of the
// container's pids.
func TestPsLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	for name, r := range map[string]*runtime{"under test": rt, "reference": ref} {
		c := runningContainer(t, r, threeProcesses)
		if got := psJSON(t, r, c.id); len(got) != 3 {
			t.Errorf("%s: ps --format json %v; want 3 pids", name, got)
		}
	}
}

// TestPauseResume checks that pause freezes every process of the container
// (state "paused", freezer FROZEN, no CPU time used) and resume thaws them.
func TestPauseResume(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, "echo ready; while :; do :; done")
	rt.mustRun(t, "pause", c.id)
	if st := c.state(t); st.Status != "paused" {
		t.Fatalf("after pause: %+v", st)
	}
	if s, err := cgroupFile(c.id, "freezer", "freezer.state"); err != nil || s != "FROZEN" {
		t.Fatalf("freezer.state %q (%v); want FROZEN", s, err)
	}
	if used := cpuUsedOver(t, c.id, 300*time.Millisecond); used > 5*time.Millisecond {
		t.Errorf("a paused container used %v of CPU in 300ms", used)
	}
	res := rt.run(t, "pause", c.id)
	if res.code != 1 || !strings.Contains(res.stderr, "container not running") {
		t.Errorf("pause of a paused container: want exit 1 and \"container not running\"; got %s", res)
	}

	rt.mustRun(t, "resume", c.id)
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("after resume: %+v", st)
	}
	if !usesCPU(t, c.id, 20*time.Millisecond) {
		t.Errorf("a resumed busy loop used no CPU")
	}
	res = rt.run(t, "resume", c.id)
	if res.code != 1 || !strings.Contains(res.stderr, "container not paused") {
		t.Errorf("resume of a running container: want exit 1 and \"container not paused\"; got %s", res)
	}
}

// cpuUsedOver measures the CPU time the container's cgroup uses during d.
func cpuUsedOver(t *testing.T, id string, d time.Duration) time.Duration {
	t.Helper()
	before := cpuUsage(t, id)
	time.Sleep(d)
	return cpuUsage(t, id) - before
}

// usesCPU reports whether the container's cgroup uses at least want of CPU
// time before commandTimeout: a busy loop does within milliseconds, but a
// loaded machine may give it little in any fixed window.
func usesCPU(t *testing.T, id string, want time.Duration) bool {
	t.Helper()
	before := cpuUsage(t, id)
	return eventually(commandTimeout, func() bool { return cpuUsage(t, id)-before >= want })
}

// cpuUsage is the CPU time the container's cgroup has used so far.
func cpuUsage(t *testing.T, id string) time.Duration {
	t.Helper()
	s, err := cgroupFile(id, "cpuacct", "cpuacct.usage")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("cpuacct.usage %q", s)
	}
	return time.Duration(n)
}
