package integration

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	cgroupMount  = "/sys/fs/cgroup"
	cgroupParent = "wasm-runc-test"
)

// cgroupPathFor is the cgroupsPath every test container gets.
func cgroupPathFor(id string) string {
	return "/" + cgroupParent + "/" + id
}

// container is one test container: its id, bundle and the runtime that owns
// it. Creating one registers a cleanup that force-deletes it and checks that
// nothing is left behind.
type container struct {
	rt     *runtime
	id     string
	bundle string
	// stdout and stderr are the files the container's stdio went to when it
	// was created with create or run --detach.
	stdout, stderr string
	pids           []int // init pids seen, checked gone at cleanup
}

// newContainer prepares a bundle for rt; nothing is created yet.
func newContainer(t *testing.T, rt *runtime, opts ...specOpt) *container {
	t.Helper()
	id := newID(t)
	c := &container{rt: rt, id: id}
	c.bundle = newBundle(t, id, opts...)
	t.Cleanup(func() { c.cleanup(t) })
	return c
}

// create runs `create --bundle B [extra...] ID` with the container's stdio
// going to files, and fails the test unless it succeeds.
func (c *container) create(t *testing.T, extra ...string) {
	t.Helper()
	res := c.createWith(t, cmdOpts{}, extra...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	st := c.rt.mustState(t, c.id)
	c.pids = append(c.pids, st.Pid)
}

// createWith runs create and returns its result whatever it is.
func (c *container) createWith(t *testing.T, o cmdOpts, extra ...string) result {
	t.Helper()
	return c.invoke(t, o, "create", extra...)
}

// invoke runs `VERB --bundle B [extra...] ID`. Its stdio goes to files that
// the container inherits (c.stdout, c.stderr), whatever the verb.
func (c *container) invoke(t *testing.T, o cmdOpts, verb string, extra ...string) result {
	t.Helper()
	args := append([]string{verb, "--bundle", c.bundle}, extra...)
	args = append(args, c.id)
	cmd, outs := c.rt.command(t, o, args...)
	c.stdout, c.stderr = outs.stdout.Name(), outs.stderr.Name()
	return outs.result(cmd, runTracked(cmd))
}

// start runs `start ID` and fails the test unless it succeeds.
func (c *container) start(t *testing.T) {
	t.Helper()
	c.rt.mustRun(t, "start", c.id)
}

// output returns what the container wrote to its stdout so far.
func (c *container) output() string {
	b, _ := os.ReadFile(c.stdout)
	return string(b)
}

// waitOutput polls the container's stdout until it contains want.
func (c *container) waitOutput(t *testing.T, want string, within time.Duration) {
	t.Helper()
	if !eventually(within, func() bool { return strings.Contains(c.output(), want) }) {
		t.Fatalf("container %s did not print %q within %v; stdout: %q", c.id, want, within, c.output())
	}
}

// state returns the container's state, failing the test on error.
func (c *container) state(t *testing.T) containerState {
	t.Helper()
	st := c.rt.mustState(t, c.id)
	if st.Pid > 0 {
		c.pids = append(c.pids, st.Pid)
	}
	return st
}

// cleanup force-deletes the container and reports anything it left behind.
func (c *container) cleanup(t *testing.T) {
	t.Helper()
	res := c.rt.run(t, "delete", "--force", c.id)
	if res.code != 0 {
		t.Errorf("cleanup: %s", res)
	}
	assertNoLeftovers(t, c.rt, c.id, c.pids)
}

// assertNoLeftovers checks that container id has no state directory, no
// cgroup and no running init left.
func assertNoLeftovers(t *testing.T, rt *runtime, id string, pids []int) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(rt.root, id)); err == nil {
		t.Errorf("state directory %s left behind", filepath.Join(rt.root, id))
	}
	for _, d := range leftoverCgroups(id) {
		t.Errorf("cgroup %s left behind", d)
	}
	for _, pid := range pids {
		// The init may still be on its way out after SIGKILL.
		if !eventually(2*time.Second, func() bool { return processGone(pid) }) {
			t.Errorf("container init pid %d still running", pid)
		}
	}
}

// leftoverCgroups lists the cgroup directories that exist for id.
func leftoverCgroups(id string) []string {
	var found []string
	rel := filepath.Join(cgroupParent, id)
	candidates, _ := filepath.Glob(filepath.Join(cgroupMount, "*", rel))
	candidates = append(candidates, filepath.Join(cgroupMount, rel))
	// A Wasm container's compile ran in a cgroup beside its own.
	compile := filepath.Join(cgroupParent, "wasm-runc-compile-"+id+"-*")
	more, _ := filepath.Glob(filepath.Join(cgroupMount, "*", compile))
	candidates = append(candidates, more...)
	more, _ = filepath.Glob(filepath.Join(cgroupMount, compile))
	candidates = append(candidates, more...)
	for _, d := range candidates {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			found = append(found, d)
		}
	}
	return found
}

// cgroupProcs returns the pids in the container's cgroup, read from the
// first v1 hierarchy (or v2) that has it.
func cgroupProcs(id string) []string {
	for _, d := range []string{
		filepath.Join(cgroupMount, "pids", cgroupParent, id),
		filepath.Join(cgroupMount, "memory", cgroupParent, id),
		filepath.Join(cgroupMount, cgroupParent, id),
	} {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		return strings.Fields(string(b))
	}
	return nil
}

// mountsUnder returns the mountinfo lines whose mount point is under dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir) {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

// processesUnder returns the pids whose root directory is inside dir: a
// container process that survived a failed create.
func processesUnder(dir string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		root, err := os.Readlink(filepath.Join("/proc", e.Name(), "root"))
		if err == nil && strings.HasPrefix(root, dir) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
