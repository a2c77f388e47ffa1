package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// criuUnusable says why CRIU cannot checkpoint anything on this machine, or
// "" when `criu check` passes.
func criuUnusable() string {
	path, err := exec.LookPath("criu")
	if err != nil {
		return "criu is not installed (apt-get install criu)"
	}
	out, err := outputTracked(exec.Command(path, "check"), true)
	if err == nil {
		return ""
	}
	var errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "Error") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	version, _ := outputTracked(exec.Command(path, "--version"), false)
	return "`criu check` fails (" + strings.Join(strings.Fields(string(version)), " ") + ", kernel " +
		kernelRelease() + "): " + strings.Join(errs, "; ")
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

// counter prints an increasing number every 100ms.
const counter = `i=0; echo ready; while :; do i=$((i+1)); echo "n=$i"; sleep 0.1; done`

// TestCheckpointRestore checkpoints a running native container, checks it
// is gone, restores it and checks it goes on counting. Where CRIU itself
// refuses to run on this kernel, it checks that checkpoint fails cleanly,
// leaving the container running, and skips the rest with the reason.
func TestCheckpointRestore(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, counter)
	images := filepath.Join(t.TempDir(), "images")
	res := rt.run(t, "checkpoint", "--image-path", images, "--work-path", images, c.id)
	if res.code != 0 {
		reason := criuUnusable()
		if reason == "" {
			t.Fatalf("checkpoint failed although `criu check` passes: %s", res)
		}
		if !strings.Contains(res.stderr, "criu failed") {
			t.Errorf("a failed checkpoint should say criu failed; got %s", res)
		}
		if st := c.state(t); st.Status != "running" {
			t.Errorf("a failed checkpoint must leave the container running; got %+v", st)
		}
		t.Skipf("CRIU cannot checkpoint on this machine: %s", reason)
	}
	if _, res := rt.state(t, c.id); res.code == 0 {
		t.Fatalf("container still exists after checkpoint without --leave-running: %s", res.stdout)
	}
	before := c.output()

	res = c.invoke(t, cmdOpts{}, "restore", "--detach", "--image-path", images, "--work-path", images)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("after restore: %+v", st)
	}
	// The restored shell goes on from where it was, printing to the
	// restore's stdout.
	if !eventually(5*time.Second, func() bool { return strings.Contains(c.output(), "n=") }) {
		t.Fatalf("restored container prints nothing; before the checkpoint it printed %d bytes", len(before))
	}
}

// TestCheckpointLeaveRunning checks --leave-running: the images are written
// and the container keeps running.
func TestCheckpointLeaveRunning(t *testing.T) {
	if reason := criuUnusable(); reason != "" {
		t.Skipf("CRIU cannot checkpoint on this machine: %s", reason)
	}
	rt := newRuntime(t)
	c := runningContainer(t, rt, counter)
	images := filepath.Join(t.TempDir(), "images")
	rt.mustRun(t, "checkpoint", "--leave-running", "--image-path", images, c.id)
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("after checkpoint --leave-running: %+v", st)
	}
	if entries, _ := os.ReadDir(images); len(entries) == 0 {
		t.Fatalf("no image files in %s", images)
	}
}

// TestCheckpointRefused checks the refusals that do not need CRIU.
func TestCheckpointRefused(t *testing.T) {
	rt := newRuntime(t)
	created := newContainer(t, rt, withShell(sleeper))
	created.create(t)
	running := runningContainer(t, rt, sleeper)
	images := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"created", []string{"checkpoint", "--image-path", images, created.id}, "Container cannot be checkpointed in created state"},
		{"nonexistent", []string{"checkpoint", "--image-path", images, running.id + "-nope"}, "container does not exist"},
		{"parent_absolute", []string{"checkpoint", "--image-path", images, "--parent-path", "/abs", running.id}, "--parent-path must be relative"},
		{"parent_missing", []string{"checkpoint", "--image-path", images, "--parent-path", "nope", running.id}, "invalid --parent-path"},
		{"page_server", []string{"checkpoint", "--image-path", images, "--page-server", "nohost", running.id}, "Use --page-server ADDRESS:PORT to specify page server"},
		{"empty_ns", []string{"checkpoint", "--image-path", images, "--empty-ns", "pid", running.id}, "is not supported"},
		{"criu_missing", []string{"--criu", "/nonexistent/criu", "checkpoint", "--image-path", images, running.id}, "/nonexistent/criu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := rt.run(t, tc.args...)
			if res.code != 1 || !strings.Contains(res.stderr, tc.msg) {
				t.Fatalf("want exit 1 and %q; got %s", tc.msg, res)
			}
		})
	}
	if st := running.state(t); st.Status != "running" {
		t.Fatalf("refused checkpoints disturbed the container: %+v", st)
	}
}

// TestCheckpointCriuFlag checks that the global --criu flag names the CRIU
// binary that checkpoint runs, whatever its file name.
func TestCheckpointCriuFlag(t *testing.T) {
	criu, err := exec.LookPath("criu")
	if err != nil {
		t.Skip("criu is not installed (apt-get install criu)")
	}
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	dir := t.TempDir()
	marker := filepath.Join(dir, "wrapper-ran")
	wrapper := filepath.Join(dir, "my-criu")
	mustWrite(t, wrapper, "#!/bin/sh\necho \"$@\" >> "+marker+"\nexec "+criu+" \"$@\"\n")
	if err := os.Chmod(wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	res := rt.run(t, "--criu", wrapper, "checkpoint", "--leave-running", "--image-path", filepath.Join(dir, "images"), c.id)
	b, _ := os.ReadFile(marker)
	if !strings.Contains(string(b), "swrk") {
		t.Fatalf("--criu %s was not run (it logged %q); checkpoint: %s", wrapper, b, res)
	}
}
