package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestContainerdSequence drives a container the way containerd's runc shim
// does: global --log JSON, create with --pid-file --no-pivot
// --no-new-keyring, then start, state, ps --format json, exec --process
// --detach --pid-file, pause, resume, kill --all 9 and delete. containerd
// reads state and ps from stdout and stderr combined, so stderr must stay
// empty on success.
func TestContainerdSequence(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exec sleep 30"))
	logFile := filepath.Join(c.bundle, "log.json")
	o := cmdOpts{logFile: logFile}
	pidFile := filepath.Join(c.bundle, "init.pid")

	res := c.invoke(t, o, "create", "--pid-file", pidFile, "--no-pivot", "--no-new-keyring")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("create: %s", res)
	}
	step := func(args ...string) result {
		t.Helper()
		res := rt.runWith(t, o, args...)
		if res.code != 0 || res.stderr != "" {
			t.Fatalf("want exit 0 and an empty stderr; got %s\nlog: %s", res, readFile(logFile))
		}
		return res
	}
	step("start", c.id)
	st := c.state(t)
	if b, _ := os.ReadFile(pidFile); string(b) != strconv.Itoa(st.Pid) {
		t.Errorf("pid file %q; state pid %d", b, st.Pid)
	}

	var st2 containerState
	if err := json.Unmarshal([]byte(step("state", c.id).stdout), &st2); err != nil || st2.Status != "running" {
		t.Fatalf("state: %v %+v", err, st2)
	}

	// exec a second process, detached, the way the shim does.
	proc := specs.Process{
		Args: []string{"sleep", "30"},
		Env:  []string{"PATH=/bin"},
		Cwd:  "/",
	}
	procFile := filepath.Join(t.TempDir(), "process.json")
	b, _ := json.Marshal(proc)
	mustWrite(t, procFile, string(b))
	execPid := filepath.Join(t.TempDir(), "exec.pid")
	cmd, outs := rt.command(t, o, "exec", "--process", procFile, "--detach", "--pid-file", execPid, c.id)
	if res := outs.result(cmd, runTracked(cmd)); res.code != 0 || res.stderr != "" {
		t.Fatalf("exec: %s", res)
	}
	pb, err := os.ReadFile(execPid)
	if err != nil {
		t.Fatalf("exec pid file: %v", err)
	}
	ep, _ := strconv.Atoi(string(pb))
	if ep <= 0 || processGone(ep) {
		t.Fatalf("exec pid file %q: no such running process", pb)
	}

	var pids []int
	if err := json.Unmarshal([]byte(step("ps", "--format", "json", c.id).stdout), &pids); err != nil {
		t.Fatalf("ps --format json: %v", err)
	}
	if !containsInt(pids, st.Pid) || !containsInt(pids, ep) {
		t.Errorf("ps lists %v; want the init %d and the exec'd %d", pids, st.Pid, ep)
	}

	step("pause", c.id)
	if st := c.state(t); st.Status != "paused" {
		t.Errorf("after pause: status %q", st.Status)
	}
	step("resume", c.id)
	if st := c.state(t); st.Status != "running" {
		t.Errorf("after resume: status %q", st.Status)
	}

	step("kill", "--all", c.id, "9")
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	if !eventually(5*time.Second, func() bool { return processGone(ep) }) {
		t.Errorf("exec'd process %d survived kill --all 9", ep)
	}
	step("delete", c.id)
	assertNoLeftovers(t, rt, c.id, []int{st.Pid, ep})
	if b, _ := os.ReadFile(logFile); strings.Contains(string(b), `"level":"error"`) {
		t.Errorf("errors logged during a successful sequence: %s", b)
	}
}

func containsInt(list []int, n int) bool {
	for _, e := range list {
		if e == n {
			return true
		}
	}
	return false
}

// TestRunForwardsSignals checks that foreground `run` forwards the signals
// it receives to the container's init.
func TestRunForwardsSignals(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell(trapScript))
	cmd, outs := rt.command(t, cmdOpts{}, "run", "--bundle", c.bundle, c.id)
	c.stdout = outs.stdout.Name()
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- outs.result(cmd, waitTracked(cmd)) }()
	c.waitOutput(t, "ready", 10*time.Second)
	c.pids = append(c.pids, c.state(t).Pid)

	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.code != 0 {
			t.Errorf("want exit 0 from the trap; got %s", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of SIGUSR1")
	}
	if !strings.Contains(c.output(), "got-USR1") {
		t.Errorf("container did not get SIGUSR1; output %q", c.output())
	}
}

// TestRunStdin checks that foreground `run` gives the container its stdin.
func TestRunStdin(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withArgs("cat"))
	cmd, outs := rt.command(t, cmdOpts{}, "run", "--bundle", c.bundle, c.id)
	cmd.Stdin = strings.NewReader("through-stdin\n")
	res := outs.result(cmd, runTracked(cmd))
	if res.code != 0 || res.stdout != "through-stdin\n" {
		t.Fatalf("want the input echoed; got %s", res)
	}
}
