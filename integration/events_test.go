package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runcEvent is a line of `events`, in the shape of runc's types.Event with
// the fields of types.Stats that the tests read.
type runcEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data *struct {
		CPU struct {
			Usage struct {
				Total uint64 `json:"total"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Limit uint64 `json:"limit"`
				Usage uint64 `json:"usage"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
		Pids struct {
			Current uint64 `json:"current"`
			Limit   uint64 `json:"limit"`
		} `json:"pids"`
	} `json:"data"`
}

// decodeEvents decodes one event per line.
func decodeEvents(t *testing.T, out string) []runcEvent {
	t.Helper()
	var events []runcEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e runcEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("event line is not JSON: %v\n%q", err, line)
		}
		events = append(events, e)
	}
	return events
}

// withLimits sets a memory and a pids limit.
func withLimits(memory, pids int64) specOpt {
	return func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &memory, Swap: &memory}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	}
}

// TestEventsStats checks `events --stats`: one stats event with the
// container's memory and pids, then exit.
func TestEventsStats(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, threeProcesses, withLimits(64<<20, 50))
	res := rt.run(t, "events", "--stats", c.id)
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("%s", res)
	}
	events := decodeEvents(t, res.stdout)
	if len(events) != 1 {
		t.Fatalf("want one event; got %d:\n%s", len(events), res.stdout)
	}
	e := events[0]
	if e.Type != "stats" || e.ID != c.id || e.Data == nil {
		t.Fatalf("want {type: stats, id: %s, data: ...}; got %s", c.id, res.stdout)
	}
	if e.Data.Memory.Usage.Usage == 0 || e.Data.Memory.Usage.Limit != 64<<20 {
		t.Errorf("memory usage %d, limit %d; want a usage and the 64M limit", e.Data.Memory.Usage.Usage, e.Data.Memory.Usage.Limit)
	}
	if e.Data.Pids.Current != 3 || e.Data.Pids.Limit != 50 {
		t.Errorf("pids current %d, limit %d; want 3 and 50", e.Data.Pids.Current, e.Data.Pids.Limit)
	}
	if e.Data.CPU.Usage.Total == 0 {
		t.Errorf("no CPU usage reported")
	}
	if len(e.Data.Memory.Raw) == 0 {
		t.Errorf("no raw memory statistics (memory.stat) reported")
	}
}

// TestEventsLikeReference compares the JSON shape of `events --stats` with
// runc's.
func TestEventsLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	shapes := map[string][]string{}
	for name, r := range map[string]*runtime{"under test": rt, "reference": ref} {
		c := runningContainer(t, r, sleeper, withLimits(64<<20, 50))
		res := r.run(t, "events", "--stats", c.id)
		if res.code != 0 {
			t.Fatalf("%s: %s", name, res)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, res.stdout)
		}
		data, _ := v["data"].(map[string]any)
		memory, _ := data["memory"].(map[string]any)
		shapes[name] = append(sortedKeys(v), append(sortedKeys(data), sortedKeys(memory)...)...)
	}
	got, want := strings.Join(shapes["under test"], " "), strings.Join(shapes["reference"], " ")
	// Newer runc prints more (psi); what the reference has must be there.
	for _, k := range shapes["reference"] {
		if !strings.Contains(" "+got+" ", " "+k+" ") {
			t.Errorf("key %q of runc's events JSON missing; got keys %s; runc %s", k, got, want)
		}
	}
}

// TestEventsInterval checks the stream: a stats event every --interval.
func TestEventsInterval(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	// Wait for the events rather than count them in a fixed time: a loaded
	// machine may take most of a second just to start the command.
	cmd, outs := rt.command(t, cmdOpts{}, "events", "--interval", "200ms", c.id)
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	var out string
	ok := eventually(commandTimeout/2, func() bool {
		out, _ = readFileString(outs.stdout.Name())
		return strings.Count(out, "\n") >= 3
	})
	_ = cmd.Process.Kill()
	res := outs.result(cmd, waitTracked(cmd))
	if !ok {
		t.Fatalf("want 3 stats events at 200ms; got %s", res)
	}
	events := decodeEvents(t, res.stdout)
	for _, e := range events {
		if e.Type != "stats" || e.ID != c.id || e.Data == nil {
			t.Fatalf("bad event %+v", e)
		}
	}
}

// TestEventsOOM checks that an OOM kill in the container is reported as an
// "oom" event.
func TestEventsOOM(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper, withLimits(16<<20, 50))
	cmd, outs := rt.command(t, cmdOpts{timeout: 20 * time.Second}, "events", "--interval", "10s", c.id)
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- outs.result(cmd, waitTracked(cmd)) }()
	// events listens for OOM notifications once it holds the cgroup's
	// memory.oom_control (v1; registered with an eventfd right after) or an
	// inotify fd (v2; the Go runtime has none). A fixed sleep would race a
	// loaded machine.
	if !eventually(commandTimeout/2, func() bool { return listensForOOM(cmd.Process.Pid) }) {
		t.Fatal("events never opened memory.oom_control or an inotify fd")
	}
	res := execIn(t, rt, c.id, "busybox", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	if res.code != 137 {
		t.Fatalf("64M allocation under a 16M limit: want exit 137; got %s", res)
	}
	var out string
	ok := eventually(5*time.Second, func() bool {
		b, _ := readFileString(outs.stdout.Name())
		out = b
		return strings.Contains(out, `"type":"oom"`)
	})
	// Stop the stream: delete ends the container and its cgroup, which ends
	// the OOM notifications and so events itself.
	rt.mustRun(t, "delete", "--force", c.id)
	select {
	case res := <-done:
		if res.err != nil {
			t.Errorf("events did not end with the container: %s", res)
		}
	case <-time.After(25 * time.Second):
		t.Error("events still running")
	}
	if !ok {
		t.Fatalf("no oom event; events printed %q", out)
	}
	for _, e := range decodeEvents(t, out) {
		if e.Type == "oom" && (e.ID != c.id || e.Data != nil) {
			t.Errorf("oom event %+v; want id %s and no data", e, c.id)
		}
	}
}

// TestEventsErrors checks events' refusals.
func TestEventsErrors(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exit 0"))
	c.create(t)
	c.start(t)
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"stopped", []string{"--stats", c.id}, "container with id " + c.id + " is not running"},
		{"interval", []string{"--interval", "0s", c.id}, "duration interval must be greater than 0"},
		{"nonexistent", []string{"--stats", c.id + "-nope"}, "container does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, append([]string{"events"}, tc.args...)...)
			if res.code != 1 || !strings.Contains(res.stderr, tc.msg) {
				t.Fatalf("want exit 1 and %q; got %s", tc.msg, res)
			}
		})
	}
}

// sortedKeys returns the keys of a JSON object, sorted.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// listensForOOM reports whether process pid holds a cgroup v1
// memory.oom_control or an inotify fd.
func listensForOOM(pid int) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		link, _ := os.Readlink(filepath.Join(dir, e.Name()))
		if strings.HasSuffix(link, "/memory.oom_control") || link == "anon_inode:inotify" {
			return true
		}
	}
	return false
}
