package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds every runtime invocation so that a hung runtime
// fails one test instead of the whole package.
const commandTimeout = 30 * time.Second

// runtime is one runtime binary with a private state root.
type runtime struct {
	bin  string
	root string
}

// newRuntime gives the binary under test a private --root for this test.
func newRuntime(t *testing.T) *runtime {
	return newRuntimeFor(t, runtimeBinary)
}

// newReference is newRuntime for the reference runc; it skips the test when
// there is none.
func newReference(t *testing.T) *runtime {
	t.Helper()
	if referenceRunc == "" {
		t.Skip("no reference runc: set REFERENCE_RUNC or put runc on PATH")
	}
	return newRuntimeFor(t, referenceRunc)
}

func newRuntimeFor(t *testing.T, bin string) *runtime {
	t.Helper()
	return &runtime{bin: bin, root: filepath.Join(t.TempDir(), "root")}
}

// result is what one invocation of the runtime left behind.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int
	err    error // set when the process could not run or was killed
}

func (r result) String() string {
	s := "`" + strings.Join(r.args, " ") + "`: exit " + strconv.Itoa(r.code)
	if r.err != nil {
		s += " (" + r.err.Error() + ")"
	}
	return s + "\nstdout: " + r.stdout + "\nstderr: " + r.stderr
}

// cmdOpts tweaks one invocation.
type cmdOpts struct {
	logFile    string     // --log FILE --log-format json
	dir        string     // working directory
	env        []string   // added to the environment
	extraFiles []*os.File // become fds 3, 4, ... in the runtime
	timeout    time.Duration
}

// run runs the runtime with --root and args, stdio going to files: a
// created container keeps the caller's stdio open, so pipes would hang.
func (r *runtime) run(t *testing.T, args ...string) result {
	t.Helper()
	return r.runWith(t, cmdOpts{}, args...)
}

func (r *runtime) runWith(t *testing.T, o cmdOpts, args ...string) result {
	t.Helper()
	cmd, outs := r.command(t, o, args...)
	err := runTracked(cmd)
	return outs.result(cmd, err)
}

// outputs are the files a command's stdout and stderr go to.
type outputs struct {
	stdout, stderr *os.File
	cancel         context.CancelFunc
}

func (o outputs) result(cmd *exec.Cmd, err error) result {
	defer o.cancel()
	res := result{args: cmd.Args, code: -1}
	res.stdout = readAll(o.stdout)
	res.stderr = readAll(o.stderr)
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.code = 0
	case errors.As(err, &ee) && ee.Exited():
		res.code = ee.ExitCode()
	default:
		res.err = err
	}
	return res
}

func readAll(f *os.File) string {
	defer f.Close()
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

// command builds (but does not start) an invocation of the runtime.
func (r *runtime) command(t *testing.T, o cmdOpts, args ...string) (*exec.Cmd, outputs) {
	t.Helper()
	full := []string{"--root", r.root}
	if o.logFile != "" {
		full = append(full, "--log", o.logFile, "--log-format", "json")
	}
	full = append(full, args...)
	timeout := o.timeout
	if timeout == 0 {
		timeout = commandTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, r.bin, full...)
	cmd.Dir = o.dir
	cmd.Env = append(cleanEnviron(), o.env...)
	cmd.ExtraFiles = o.extraFiles
	return cmd, toFiles(t, cmd, cancel)
}

// toFiles sends cmd's stdout and stderr to files: a container left created
// keeps the caller's stdio open, so pipes would never see EOF.
func toFiles(t *testing.T, cmd *exec.Cmd, cancel context.CancelFunc) outputs {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return outputs{stdout: stdout, stderr: stderr, cancel: cancel}
}

// cleanEnviron is the test's environment without the variables that change
// what the runtime does with a container (a test run under systemd may have
// NOTIFY_SOCKET, socket activation LISTEN_FDS).
func cleanEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// mustRun runs the runtime and fails the test unless it exits 0.
func (r *runtime) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	res := r.run(t, args...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	return res
}

// containerState is the JSON printed by `state`.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// state runs `state id`; ok is false when the runtime reports an error.
func (r *runtime) state(t *testing.T, id string) (containerState, result) {
	t.Helper()
	res := r.run(t, "state", id)
	var st containerState
	if res.code == 0 {
		if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
			t.Fatalf("state output is not JSON: %v\n%s", err, res)
		}
	}
	return st, res
}

// mustState is state that fails the test on error.
func (r *runtime) mustState(t *testing.T, id string) containerState {
	t.Helper()
	st, res := r.state(t, id)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	return st
}

// waitStatus polls `state` until the container has the wanted status.
func (r *runtime) waitStatus(t *testing.T, id, want string, within time.Duration) containerState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, res := r.state(t, id)
		if res.code == 0 && st.Status == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s did not reach status %q within %v; last: %s", id, want, within, res)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newID returns a container id unique to this test run and valid for runc
// (letters, digits, '_', '+', '-', '.').
func newID(t *testing.T) string {
	name := []byte(t.Name())
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '+' || c == '-' || c == '.'
		if !ok {
			name[i] = '_'
		}
	}
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	return string(name) + "-" + randomHex(4)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// eventually polls cond until it holds or within passes.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}
