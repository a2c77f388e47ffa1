package integration

import (
	"strings"
	"testing"
	"time"
)

// TestDeleteRunningWithoutForce checks that a running container is not
// deleted without --force, and is left running.
func TestDeleteRunningWithoutForce(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exec sleep 30"))
	c.create(t)
	c.start(t)

	res := rt.run(t, "delete", c.id)
	want := "cannot delete container " + c.id + " that is not stopped"
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Fatalf("want exit 1 and %q; got %s", want, res)
	}
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("container disturbed by a refused delete: %+v", st)
	}
}

// TestDelete checks the deletes that succeed: each must leave no process,
// state directory or cgroup behind.
func TestDelete(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start bool     // start the container before deleting
		stop  bool     // wait for it to exit before deleting
		args  []string // delete flags
	}{
		{"force_running", true, false, []string{"--force"}},
		{"force_short_flag_running", true, false, []string{"-f"}},
		{"force_created", false, false, []string{"--force"}},
		// runc deletes a created (never started) container without --force.
		{"created", false, false, nil},
		{"stopped", true, true, nil},
		{"force_stopped", true, true, []string{"--force"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			script := "exec sleep 30"
			if tc.stop {
				script = "exit 0"
			}
			c := newContainer(t, rt, withShell(script))
			c.create(t)
			pid := c.state(t).Pid
			if tc.start {
				c.start(t)
			}
			if tc.stop {
				rt.waitStatus(t, c.id, "stopped", 10*time.Second)
			}

			args := append(append([]string{"delete"}, tc.args...), c.id)
			res := rt.run(t, args...)
			if res.code != 0 || res.stderr != "" || res.stdout != "" {
				t.Fatalf("want exit 0 and no output; got %s", res)
			}
			assertNoLeftovers(t, rt, c.id, []int{pid})
			if _, res := rt.state(t, c.id); !strings.Contains(res.stderr, "container does not exist") {
				t.Errorf("state after delete: %s", res)
			}
		})
	}
}

// TestDeleteNonexistent checks delete of an id that was never created.
func TestDeleteNonexistent(t *testing.T) {
	rt := newRuntime(t)
	id := newID(t)

	res := rt.run(t, "delete", id)
	if res.code != 1 || !strings.Contains(res.stderr, "container does not exist") {
		t.Errorf("delete: want exit 1 and \"container does not exist\"; got %s", res)
	}
	res = rt.run(t, "delete", "--force", id)
	if res.code != 0 || res.stderr != "" {
		t.Errorf("delete --force: want exit 0 and an empty stderr; got %s", res)
	}
	assertNoLeftovers(t, rt, id, nil)
}
