package integration

import (
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// trapScript reports the signals the container's init receives. As PID 1 of
// its namespace, init only gets signals it has a handler for.
const trapScript = `for s in TERM USR1 HUP; do trap "echo got-$s; exit 0" $s; done
echo ready
while :; do sleep 0.1; done`

// TestKill sends signals by name, by number and by default, and checks
// which one the container's init received.
func TestKill(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string // after the container id
		want string   // what the trap prints; "" for SIGKILL
	}{
		{"default", nil, "got-TERM"},
		{"TERM", []string{"TERM"}, "got-TERM"},
		{"SIGTERM", []string{"SIGTERM"}, "got-TERM"},
		{"15", []string{"15"}, "got-TERM"},
		{"USR1", []string{"USR1"}, "got-USR1"},
		{"lowercase_hup", []string{"hup"}, "got-HUP"},
		{"KILL", []string{"KILL"}, ""},
		{"9", []string{"9"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := newContainer(t, rt, withShell(trapScript))
			c.create(t)
			c.start(t)
			c.waitOutput(t, "ready", 10*time.Second)

			res := rt.run(t, append([]string{"kill", c.id}, tc.args...)...)
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("want exit 0 and an empty stderr; got %s", res)
			}
			rt.waitStatus(t, c.id, "stopped", 10*time.Second)
			if tc.want != "" && !strings.Contains(c.output(), tc.want) {
				t.Errorf("container output %q lacks %q", c.output(), tc.want)
			}
		})
	}
}

// TestKillAll checks that `kill --all ID KILL` (what containerd runs)
// leaves no process in the container. Without a private PID namespace the
// other processes do not die with init, so they must be killed one by one.
//
// runc 1.1.5 sends any signal to every process of the cgroup with --all;
// runc ≥ 1.2 hides --all as obsolete and signals only init, except that
// SIGKILL to a container without its own PID namespace goes to every process
// with or without --all. So only SIGKILL is part of the contract here.
func TestKillAll(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt,
		withoutNamespace(specs.PIDNamespace),
		withShell(`sleep 30 & sleep 30 & echo ready; wait`))
	c.create(t)
	c.start(t)
	c.waitOutput(t, "ready", 10*time.Second)
	if n := len(cgroupProcs(c.id)); n < 3 {
		t.Fatalf("want at least 3 processes in the container's cgroup; got %d", n)
	}

	res := rt.run(t, "kill", "--all", c.id, "KILL")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("want exit 0 and an empty stderr; got %s", res)
	}
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	if !eventually(5*time.Second, func() bool { return len(cgroupProcs(c.id)) == 0 }) {
		t.Fatalf("processes left in the container's cgroup after kill --all: %v", cgroupProcs(c.id))
	}
}

// TestKillNotRunning checks kill on containers that do not run.
//
// runc 1.1.5 and current runc (1.5) agree: a plain kill of a stopped
// container fails with "container not running", while `kill --all` of a
// stopped container succeeds (runc ignores ErrNotRunning for --all; current
// runc hides --all as obsolete but still accepts it).
func TestKillNotRunning(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exit 0"))
	c.create(t)
	c.start(t)
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)

	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"stopped", []string{"kill", c.id, "KILL"}, 1, "container not running"},
		{"stopped_default_signal", []string{"kill", c.id}, 1, "container not running"},
		{"stopped_all", []string{"kill", "--all", c.id, "KILL"}, 0, ""},
		{"nonexistent", []string{"kill", c.id + "-nope", "KILL"}, 1, "container does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, tc.args...)
			if res.code != tc.code {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			if tc.message != "" {
				if !strings.Contains(res.stderr, tc.message) {
					t.Errorf("stderr lacks %q: %s", tc.message, res)
				}
				if n := strings.Count(strings.TrimSpace(res.stderr), "\n"); n != 0 {
					t.Errorf("want one stderr line; got %d: %q", n+1, res.stderr)
				}
			}
		})
	}
}

// TestKillBadSignal checks that an unknown signal fails without touching the
// container.
func TestKillBadSignal(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell(trapScript))
	c.create(t)
	c.start(t)
	c.waitOutput(t, "ready", 10*time.Second)
	res := rt.run(t, "kill", c.id, "NOSUCHSIGNAL")
	if res.code != 1 || !strings.Contains(res.stderr, "NOSUCHSIGNAL") {
		t.Fatalf("want exit 1 naming the signal; got %s", res)
	}
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("container disturbed by a bad kill: %+v", st)
	}
}
