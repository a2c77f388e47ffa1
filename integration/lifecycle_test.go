package integration

import (
	"strings"
	"testing"
	"time"
)

// TestLifecycle walks create → start → exit → delete and checks `state` at
// every step.
func TestLifecycle(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("sleep 1"))
	c.create(t)

	st := c.state(t)
	if st.Status != "created" || st.Pid <= 0 || st.ID != c.id {
		t.Fatalf("after create: want status created, pid > 0, id %s; got %+v", c.id, st)
	}
	if processGone(st.Pid) {
		t.Fatalf("after create: init pid %d does not run", st.Pid)
	}
	createdPid := st.Pid

	c.start(t)
	st = c.state(t)
	if st.Status != "running" || st.Pid != createdPid {
		t.Fatalf("after start: want status running with pid %d; got %+v", createdPid, st)
	}

	st = rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	if st.Pid != 0 {
		t.Errorf("stopped container: want pid 0, got %d", st.Pid)
	}

	rt.mustRun(t, "delete", c.id)
	_, res := rt.state(t, c.id)
	if res.code != 1 || !strings.Contains(res.stderr, "container does not exist") {
		t.Errorf("state after delete: want exit 1 and \"container does not exist\"; got %s", res)
	}
	assertNoLeftovers(t, rt, c.id, []int{createdPid})
}

// TestRunExitCode checks that foreground `run` exits with the container's
// exit code.
func TestRunExitCode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		want   int
	}{
		{"zero", "true", 0},
		{"three", "exit 3", 3},
		{"false", "false", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := newContainer(t, rt, withShell(tc.script))
			res := rt.run(t, "run", "--bundle", c.bundle, c.id)
			if res.code != tc.want || res.err != nil {
				t.Fatalf("want exit %d; got %s", tc.want, res)
			}
			// Without --keep the container is deleted when it exits.
			_, st := rt.state(t, c.id)
			if st.code == 0 {
				t.Errorf("container still exists after run: %s", st.stdout)
			}
		})
	}
}

// TestRunKilled checks that a container killed with SIGKILL makes `run`
// exit 137.
func TestRunKilled(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("echo ready; exec sleep 30"))
	cmd, outs := rt.command(t, cmdOpts{}, "run", "--bundle", c.bundle, c.id)
	c.stdout = outs.stdout.Name()
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- outs.result(cmd, waitTracked(cmd)) }()

	c.waitOutput(t, "ready", 10*time.Second)
	st := c.state(t)
	if st.Status != "running" {
		t.Fatalf("want running, got %+v", st)
	}
	rt.mustRun(t, "kill", c.id, "KILL")
	select {
	case res := <-done:
		if res.code != 137 {
			t.Fatalf("want exit 137; got %s", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of SIGKILL")
	}
}

// TestRunDetach checks that `run --detach` returns while the container runs.
func TestRunDetach(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("echo detached; exec sleep 30"))
	res := c.invoke(t, cmdOpts{timeout: 10 * time.Second}, "run", "--detach")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	st := c.state(t)
	if st.Status != "running" || st.Pid <= 0 {
		t.Fatalf("after run --detach: want running with a pid; got %+v", st)
	}
	c.waitOutput(t, "detached", 10*time.Second)
}

// TestRunKeep checks that `run --keep` leaves the stopped container until
// it is deleted.
func TestRunKeep(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exit 0"))
	res := c.invoke(t, cmdOpts{}, "run", "--keep")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	st := c.state(t)
	if st.Status != "stopped" || st.Pid != 0 {
		t.Fatalf("after run --keep: want stopped with pid 0; got %+v", st)
	}
	rt.mustRun(t, "delete", c.id)
	if _, res := rt.state(t, c.id); res.code == 0 {
		t.Fatalf("state after delete succeeded: %s", res)
	}
	assertNoLeftovers(t, rt, c.id, nil)
}

// TestStartErrors checks that start refuses containers it cannot start.
func TestStartErrors(t *testing.T) {
	rt := newRuntime(t)
	running := newContainer(t, rt, withShell("exec sleep 30"))
	running.create(t)
	running.start(t)
	stopped := newContainer(t, rt, withShell("exit 0"))
	stopped.create(t)
	stopped.start(t)
	rt.waitStatus(t, stopped.id, "stopped", 10*time.Second)

	for _, tc := range []struct {
		name, id, want string
	}{
		{"running", running.id, "cannot start an already running container"},
		{"stopped", stopped.id, "cannot start a container that has stopped"},
		{"nonexistent", running.id + "-nope", "container does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, "start", tc.id)
			if res.code != 1 || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("want exit 1 and %q; got %s", tc.want, res)
			}
		})
	}
	if st := running.state(t); st.Status != "running" {
		t.Errorf("running container disturbed by a refused start: %+v", st)
	}
}
