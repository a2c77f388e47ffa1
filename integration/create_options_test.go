package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestPidFile checks --pid-file on create and run --detach, with relative
// paths resolved against the caller's working directory (not the bundle).
func TestPidFile(t *testing.T) {
	for _, tc := range []struct {
		name     string
		verb     []string
		relative bool
	}{
		{"create_absolute", []string{"create"}, false},
		{"create_relative", []string{"create"}, true},
		{"run_detach_absolute", []string{"run", "--detach"}, false},
		{"run_detach_relative", []string{"run", "--detach"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			c := newContainer(t, rt, withShell("exec sleep 30"))
			cwd := t.TempDir()
			pidDir := filepath.Join(cwd, "pids")
			if err := os.Mkdir(pidDir, 0o755); err != nil {
				t.Fatal(err)
			}
			arg := filepath.Join(pidDir, "init.pid")
			if tc.relative {
				arg = filepath.Join("pids", "init.pid")
			}
			res := c.invoke(t, cmdOpts{dir: cwd}, tc.verb[0], append(tc.verb[1:], "--pid-file", arg)...)
			if res.code != 0 {
				t.Fatalf("%s", res)
			}
			st := c.state(t)
			b, err := os.ReadFile(filepath.Join(pidDir, "init.pid"))
			if err != nil {
				t.Fatalf("pid file: %v", err)
			}
			// runc writes the bare number, no newline.
			pid, err := strconv.Atoi(string(b))
			if err != nil || pid != st.Pid {
				t.Fatalf("pid file holds %q; want exactly %d", b, st.Pid)
			}
			// Written atomically: a temporary file renamed into place, so
			// nothing else may be left in the directory.
			entries, _ := os.ReadDir(pidDir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("pid file directory holds %v; want only init.pid", names)
			}
			if _, err := os.Stat(filepath.Join(c.bundle, "pids")); err == nil {
				t.Errorf("relative pid file resolved against the bundle, not the working directory")
			}
		})
	}
}

// TestConsoleSocket runs a container with a terminal: the runtime must send
// the pty master to --console-socket, and the container's output must come
// out of it.
func TestConsoleSocket(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withTerminal(), withShell("tty; echo hello-from-tty; exit 0"))
	cs := newConsoleSocket(t)
	res := c.createWith(t, cmdOpts{}, "--console-socket", cs.path)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	master := cs.receive(t)
	out := readPty(master)
	c.start(t)
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	if err := out.wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "hello-from-tty") || !strings.Contains(got, "/dev/pts/") {
		t.Fatalf("pty output %q lacks the tty name and the greeting", got)
	}
	if !strings.Contains(got, "\r\n") {
		t.Errorf("pty output %q has no CRLF: not a terminal in cooked mode?", got)
	}
}

// TestConsoleSocketRequired checks that terminal: true without
// --console-socket is refused on create (there is nowhere to send the pty).
func TestConsoleSocketRequired(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withTerminal(), withShell("exit 0"))
	res := c.createWith(t, cmdOpts{})
	// runc: "cannot allocate tty if runc will detach without setting console socket"
	if res.code != 1 || !strings.Contains(res.stderr, "console socket") {
		t.Fatalf("want exit 1 mentioning the console socket; got %s", res)
	}
	assertNoLeftovers(t, rt, c.id, nil)
}

// TestPreserveFds passes an open file as fd 3 and has the container read it.
func TestPreserveFds(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("cat <&3; echo; readlink /proc/self/fd/4 || echo no-fd-4"))
	path := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(path, []byte("payload-through-fd3"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A second extra fd that is not preserved must not reach the container.
	g, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	res := c.invoke(t, cmdOpts{extraFiles: []*os.File{f, g}}, "run", "--preserve-fds", "1")
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	out := c.output()
	if !strings.Contains(out, "payload-through-fd3") {
		t.Fatalf("container did not read fd 3; stdout %q", out)
	}
	if !strings.Contains(out, "no-fd-4") {
		t.Errorf("fd 4 was not preserved but reached the container; stdout %q", out)
	}
}

// hookNames are the hooks of the runtime spec, in the order they run.
var hookNames = []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}

// TestHooks runs every kind of hook with a script that saves the state JSON
// it gets on stdin, and compares the statuses with the reference runc's.
func TestHooks(t *testing.T) {
	got := runHooks(t, newRuntime(t))
	if referenceRunc == "" {
		return
	}
	t.Run("statuses_like_reference", func(t *testing.T) {
		want := runHooks(t, newRuntimeFor(t, referenceRunc))
		for _, h := range hookNames {
			if got[h].Status != want[h].Status {
				t.Errorf("%s hook: status %q; reference runc gives %q", h, got[h].Status, want[h].Status)
			}
		}
	})
}

// runHooks runs a container with all hooks, checks what they received and
// returns the state each got.
func runHooks(t *testing.T, rt *runtime) map[string]specs.State {
	t.Helper()
	out := t.TempDir()
	hostScript := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(hostScript, []byte("#!/bin/sh\ncat > \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: hostScript, Args: []string{"hook.sh", filepath.Join(out, name+".json")}, Env: env}
	}
	// startContainer runs in the container after pivot_root: its path is
	// resolved in the rootfs, and it writes to a bind mount of out.
	start := specs.Hook{Path: "/bin/hook.sh", Args: []string{"hook.sh", "/hookout/startContainer.json"}, Env: env}
	hooks := &specs.Hooks{
		Prestart:        []specs.Hook{hook("prestart")}, //nolint:staticcheck // deprecated, still part of the contract
		CreateRuntime:   []specs.Hook{hook("createRuntime")},
		CreateContainer: []specs.Hook{hook("createContainer")},
		StartContainer:  []specs.Hook{start},
		Poststart:       []specs.Hook{hook("poststart")},
		Poststop:        []specs.Hook{hook("poststop")},
	}
	annotations := map[string]string{"org.example.itest": "hooks"}
	c := newContainer(t, rt, withHooks(hooks), withBind(out, "/hookout"),
		withAnnotations(annotations), withShell("exit 0"))
	if err := os.WriteFile(filepath.Join(c.bundle, "rootfs", "bin", "hook.sh"),
		[]byte("#!/bin/sh\ncat > \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	c.create(t)
	c.start(t)
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	rt.mustRun(t, "delete", c.id)

	states := map[string]specs.State{}
	for _, h := range hookNames {
		b, err := os.ReadFile(filepath.Join(out, h+".json"))
		if err != nil {
			t.Errorf("%s hook did not run: %v", h, err)
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Errorf("%s hook got invalid JSON %q: %v", h, b, err)
			continue
		}
		for _, k := range []string{"ociVersion", "id", "status", "bundle"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("%s hook state lacks %q: %s", h, k, b)
			}
		}
		var st specs.State
		if err := json.Unmarshal(b, &st); err != nil {
			t.Errorf("%s hook state %s: %v", h, b, err)
			continue
		}
		states[h] = st
		if st.ID != c.id || st.Bundle != c.bundle {
			t.Errorf("%s hook state has id %q bundle %q; want %q %q", h, st.ID, st.Bundle, c.id, c.bundle)
		}
		if h != "poststop" && st.Pid <= 0 {
			t.Errorf("%s hook state has pid %d; want > 0", h, st.Pid)
		}
		switch st.Status {
		case specs.StateCreating, specs.StateCreated, specs.StateRunning, specs.StateStopped:
		default:
			t.Errorf("%s hook state has status %q", h, st.Status)
		}
		if st.Annotations["org.example.itest"] != "hooks" {
			t.Errorf("%s hook state lacks the annotations: %s", h, b)
		}
	}
	var order []string
	for h := range states {
		order = append(order, h)
	}
	sort.Strings(order)
	for _, h := range order {
		t.Logf("%s: status %s pid %d", h, states[h].Status, states[h].Pid)
	}
	return states
}
