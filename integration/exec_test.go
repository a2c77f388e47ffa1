package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/console"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sleeper is the init of the containers that exec tests run in.
const sleeper = "echo ready; exec sleep 300"

// runningContainer creates and starts a native container running script
// and waits for it to print "ready".
func runningContainer(t *testing.T, rt *runtime, script string, opts ...specOpt) *container {
	t.Helper()
	c := newContainer(t, rt, append([]specOpt{withShell(script)}, opts...)...)
	c.create(t)
	c.start(t)
	c.waitOutput(t, "ready", 10*time.Second)
	return c
}

// execIn runs `exec [args...]` where args hold the flags, the container id
// and the command.
func execIn(t *testing.T, rt *runtime, args ...string) result {
	t.Helper()
	return rt.run(t, append([]string{"exec"}, args...)...)
}

// TestExecExitCodes checks that exec exits with the process's code, 128+n
// for a signal, and 255 when the process cannot start.
func TestExecExitCodes(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	for _, tc := range []struct {
		name string
		cmd  []string
		want int
	}{
		{"zero", []string{"true"}, 0},
		{"three", []string{"sh", "-c", "exit 3"}, 3},
		{"false", []string{"false"}, 1},
		{"killed", []string{"sh", "-c", "kill -9 $$"}, 137},
		{"not_found", []string{"no-such-program"}, 255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := execIn(t, rt, append([]string{c.id}, tc.cmd...)...)
			if res.code != tc.want {
				t.Fatalf("want exit %d; got %s", tc.want, res)
			}
		})
	}
	// The container is not disturbed by its exec'd processes.
	if st := c.state(t); st.Status != "running" {
		t.Fatalf("container after exec: %+v", st)
	}
}

// TestExecOutput checks that exec's process writes to exec's stdout and
// stderr.
func TestExecOutput(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	res := execIn(t, rt, c.id, "sh", "-c", "echo to-stdout; echo to-stderr >&2")
	if res.code != 0 || res.stdout != "to-stdout\n" || !strings.Contains(res.stderr, "to-stderr") {
		t.Fatalf("want to-stdout on stdout and to-stderr on stderr; got %s", res)
	}
}

// TestExecFlags checks --env, --cwd, --user and --additional-gids, and that
// everything else comes from the container's process in config.json.
func TestExecFlags(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper, func(s *specs.Spec) {
		s.Process.Env = append(s.Process.Env, "FROM_CONFIG=yes")
		s.Process.Cwd = "/root"
	})
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"defaults", nil, []string{"env=yes:", "cwd=/root", "uid=0", "gid=0", "nofile=1024", "nnp=1"}},
		{"env", []string{"--env", "EXTRA=a,b", "-e", "FROM_CONFIG=overridden"}, []string{"env=overridden:a,b"}},
		{"cwd", []string{"--cwd", "/tmp"}, []string{"cwd=/tmp"}},
		{"user", []string{"--user", "65534"}, []string{"uid=65534", "gid=0"}},
		{"user_group", []string{"-u", "65534:65534", "-g", "5", "--additional-gids", "7"}, []string{"uid=65534", "gid=65534", "groups=65534 5 7"}},
		{"no_new_privs_off", []string{"--no-new-privs=false"}, []string{"nnp=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			script := `echo "env=$FROM_CONFIG:$EXTRA"; echo "cwd=$(pwd)"; echo "uid=$(id -u)"; echo "gid=$(id -g)"; ` +
				`echo "groups=$(id -G)"; echo "nofile=$(ulimit -n)"; echo "nnp=$(grep NoNewPrivs /proc/self/status | cut -f2)"`
			args := append(append([]string{}, tc.flags...), c.id, "sh", "-c", script)
			res := execIn(t, rt, args...)
			if res.code != 0 {
				t.Fatalf("%s", res)
			}
			for _, w := range tc.want {
				if !outputHasLine(res.stdout, w) {
					t.Errorf("output lacks line %q:\n%s", w, res.stdout)
				}
			}
		})
	}
}

// TestExecCap checks that --cap adds a capability to the effective set.
func TestExecCap(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	read := []string{"sh", "-c", "grep CapEff /proc/self/status | cut -f2"}
	base := execIn(t, rt, append([]string{c.id}, read...)...)
	added := execIn(t, rt, append([]string{"--cap", "CAP_CHOWN", c.id}, read...)...)
	if base.code != 0 || added.code != 0 {
		t.Fatalf("%s\n%s", base, added)
	}
	b, err1 := strconv.ParseUint(strings.TrimSpace(base.stdout), 16, 64)
	a, err2 := strconv.ParseUint(strings.TrimSpace(added.stdout), 16, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("CapEff not hex: %q, %q", base.stdout, added.stdout)
	}
	if b&1 != 0 || a != b|1 { // CAP_CHOWN is bit 0
		t.Fatalf("CapEff without --cap %x, with --cap CAP_CHOWN %x: want only bit 0 added", b, a)
	}
}

// TestExecProcessFile runs a process given as runtime-spec JSON (what
// containerd and conmon do), which replaces the container's defaults.
func TestExecProcessFile(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	p := specs.Process{
		Args: []string{"sh", "-c", `echo "json=$JSON_VAR cwd=$(pwd) uid=$(id -u)"; exit 4`},
		Env:  []string{"PATH=/bin", "JSON_VAR=from-json"},
		Cwd:  "/tmp",
		User: specs.User{UID: 65534, GID: 65534},
	}
	path := filepath.Join(t.TempDir(), "process.json")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := execIn(t, rt, "--process", path, c.id)
	if res.code != 4 || !outputHasLine(res.stdout, "json=from-json cwd=/tmp uid=65534") {
		t.Fatalf("want exit 4 and the JSON process's view; got %s", res)
	}
}

// TestExecDetach checks that exec --detach returns while the process runs,
// with its host pid in --pid-file (a relative path resolved against the
// caller's directory).
func TestExecDetach(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	dir := t.TempDir()
	// Returning at all proves it: a runtime that waited for sleep 30 would
	// be killed at commandTimeout, and the process would be gone.
	res := rt.runWith(t, cmdOpts{dir: dir}, "exec", "--detach", "--pid-file", "exec.pid", c.id, "sleep", "30")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	b, err := os.ReadFile(filepath.Join(dir, "exec.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatalf("pid file holds %q", b)
	}
	if !slices.Contains(cgroupProcs(c.id), strconv.Itoa(pid)) {
		t.Fatalf("pid %d from the pid file is not in the container's cgroup %v", pid, cgroupProcs(c.id))
	}
	if processGone(pid) {
		t.Fatalf("detached exec process %d is not running", pid)
	}
}

// TestExecConsoleSocket checks exec --tty --detach: the pty master goes to
// --console-socket and the process's output comes out of it.
func TestExecConsoleSocket(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	cs := newConsoleSocket(t)
	res := execIn(t, rt, "--tty", "--detach", "--console-socket", cs.path, c.id, "sh", "-c", "tty; echo hello-exec-tty")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	out := readPty(cs.receive(t))
	if err := out.wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "/dev/pts/") || !strings.Contains(got, "hello-exec-tty\r\n") {
		t.Fatalf("pty output %q lacks the tty name and the greeting", got)
	}
}

// TestExecTTYForeground runs exec -t in the foreground with a terminal as
// stdin: the runtime relays the container's pty.
func TestExecTTYForeground(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	pty, slave, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	cmd, outs := rt.command(t, cmdOpts{}, "exec", "-t", c.id, "sh", "-c", "tty; echo fg-tty-ok; exit 6")
	in, err := os.OpenFile(slave, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	res := outs.result(cmd, runTracked(cmd))
	if res.code != 6 || !strings.Contains(res.stdout, "fg-tty-ok") || !strings.Contains(res.stdout, "/dev/pts/") {
		t.Fatalf("want exit 6 with the tty name and fg-tty-ok relayed; got %s", res)
	}
}

// TestExecPreserveFds passes an open file to the exec'd process as fd 3.
func TestExecPreserveFds(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	path := filepath.Join(t.TempDir(), "payload")
	mustWrite(t, path, "exec-payload")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := rt.runWith(t, cmdOpts{extraFiles: []*os.File{f}}, "exec", "--preserve-fds", "1", c.id, "sh", "-c", "cat <&3")
	if res.code != 0 || res.stdout != "exec-payload" {
		t.Fatalf("want the payload read from fd 3; got %s", res)
	}
}

// TestExecSubCgroup runs a process in an existing sub-cgroup with --cgroup.
func TestExecSubCgroup(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	sub := filepath.Join(cgroupMount, "pids", cgroupParent, c.id, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	res := execIn(t, rt, "--cgroup", "pids:sub", c.id, "cat", "/proc/self/cgroup")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	want := "pids:" + cgroupPathFor(c.id) + "/sub"
	if !strings.Contains(res.stdout, want) {
		t.Fatalf("/proc/self/cgroup lacks %q:\n%s", want, res.stdout)
	}
	for _, bad := range [][]string{{"--cgroup", ":sub"}, {"--cgroup", "pids:a", "--cgroup", "pids:b"}} {
		res := execIn(t, rt, append(bad, c.id, "true")...)
		if res.code != 255 || !strings.Contains(res.stderr, "invalid --cgroup argument") {
			t.Errorf("%v: want exit 255 and \"invalid --cgroup argument\"; got %s", bad, res)
		}
	}
}

// TestExecRefused checks exec's refusals and their wording: callers
// (containerd, podman) match on it.
func TestExecRefused(t *testing.T) {
	rt := newRuntime(t)
	running := runningContainer(t, rt, sleeper)
	stopped := newContainer(t, rt, withShell("exit 0"))
	stopped.create(t)
	stopped.start(t)
	rt.waitStatus(t, stopped.id, "stopped", 10*time.Second)

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"stopped", []string{stopped.id, "true"}, 255, "cannot exec in a stopped container"},
		{"nonexistent", []string{running.id + "-nope", "true"}, 255, "container does not exist"},
		{"no_command", []string{running.id}, 255, "exec args cannot be empty"},
		{"relative_cwd", []string{"--cwd", "tmp", running.id, "true"}, 255, "Cwd must be an absolute path"},
		{"bad_uid", []string{"--user", "nobody", running.id, "true"}, 255, "bad uid"},
		{"no_container", nil, 1, "requires a minimum of 1 argument"},
		{"tty_without_socket", []string{"-t", "-d", running.id, "true"}, 255, "cannot allocate tty if runc will detach without setting console socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := execIn(t, rt, tc.args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.msg) {
				t.Fatalf("want exit %d and %q; got %s", tc.code, tc.msg, res)
			}
		})
	}
}

// TestExecPaused checks that exec refuses a paused container unless told
// --ignore-paused; then the process joins the frozen cgroup and runs once
// the container is resumed.
func TestExecPaused(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	rt.mustRun(t, "pause", c.id)
	res := execIn(t, rt, c.id, "true")
	if res.code != 255 || !strings.Contains(res.stderr, "cannot exec in a paused container (use --ignore-paused to override)") {
		t.Fatalf("want exit 255 and runc's paused message; got %s", res)
	}
	cmd, outs := rt.command(t, cmdOpts{}, "exec", "--ignore-paused", c.id, "sh", "-c", "echo ran-after-resume")
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- outs.result(cmd, waitTracked(cmd)) }()
	time.Sleep(300 * time.Millisecond)
	rt.mustRun(t, "resume", c.id)
	select {
	case res := <-done:
		if res.code != 0 || res.stdout != "ran-after-resume\n" {
			t.Fatalf("%s", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("exec --ignore-paused did not finish after resume")
	}
}

// TestExecLikeReference compares what an exec'd process sees under the
// runtime and under the reference runc.
func TestExecLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	outputs := map[string]string{}
	for name, r := range map[string]*runtime{"under test": rt, "reference": ref} {
		c := runningContainer(t, r, sleeper)
		res := execIn(t, r, "-e", "ADDED=1", "--cwd", "/tmp", c.id, "sh", "-c", processReport)
		if res.code != 0 {
			t.Fatalf("%s: %s", name, res)
		}
		outputs[name] = res.stdout
	}
	gl, wl := strings.Split(outputs["under test"], "\n"), strings.Split(outputs["reference"], "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d: got %q, reference runc %q", i+1, g, w)
		}
	}
}

// outputHasLine reports whether out has the line want (ignoring a CR).
func outputHasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimRight(l, "\r") == want {
			return true
		}
	}
	return false
}

// TestExecPidfdSocket checks that --pidfd-socket receives a pidfd of the
// exec'd process. (The console-socket receiver takes any one fd.)
func TestExecPidfdSocket(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	sock := newConsoleSocket(t)
	res := execIn(t, rt, "--detach", "--pidfd-socket", sock.path, c.id, "sleep", "30")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	f := sock.receive(t)
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil || link != "anon_inode:[pidfd]" {
		t.Fatalf("received fd is %q (%v); want a pidfd", link, err)
	}
}
