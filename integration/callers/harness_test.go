package callers

// The process and cleanup plumbing of the integration harness
// (integration/reaper_test.go, runtime_test.go, container_test.go,
// bundle_test.go), which this separate test binary needs too: tracked
// commands under the orphan reaper, results, polling, cgroup and mount
// checks, and the busybox rootfs of the native test image.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	cgroupMount  = "/sys/fs/cgroup"
	cgroupParent = "wasm-runc-test"
)

// cgroupPathFor is the cgroupsPath of a test container, under the
// harness's parent, where leftovers are looked for.
func cgroupPathFor(id string) string {
	return "/" + cgroupParent + "/" + id
}

// Orphans reparented to this subreaper must be reaped, but never a child
// that an exec.Cmd is waiting for: its Wait would fail with ECHILD. So
// every exec.Cmd is started through startTracked, and the reaper only waits
// for zombie children it does not track.
var (
	trackMu sync.RWMutex
	tracked sync.Map // pid -> struct{}
)

func startTracked(cmd *exec.Cmd) error {
	trackMu.RLock()
	defer trackMu.RUnlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	tracked.Store(cmd.Process.Pid, struct{}{})
	return nil
}

func waitTracked(cmd *exec.Cmd) error {
	err := cmd.Wait()
	tracked.Delete(cmd.Process.Pid)
	return err
}

func runTracked(cmd *exec.Cmd) error {
	if err := startTracked(cmd); err != nil {
		return err
	}
	return waitTracked(cmd)
}

// outputTracked is cmd.CombinedOutput (combined) or cmd.Output for tracked
// commands: an untracked child could be reaped by the orphan reaper before
// exec.Cmd waits for it ("waitid: no child processes").
func outputTracked(cmd *exec.Cmd, combined bool) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	if combined {
		cmd.Stderr = &out
	}
	err := runTracked(cmd)
	return out.Bytes(), err
}

func startOrphanReaper() (stop func()) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-sigs:
			case <-tick.C:
			}
			reapOrphans()
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		reapOrphans()
	}
}

func reapOrphans() {
	trackMu.Lock()
	defer trackMu.Unlock()
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := procStat(pid); !ok || ppid != self || state != 'Z' {
			continue
		}
		if _, mine := tracked.Load(pid); mine {
			continue
		}
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

func zombieChildren() int {
	self := os.Getpid()
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := procStat(pid); ok && ppid == self && state == 'Z' {
			n++
		}
	}
	return n
}

// procStat returns the parent pid and the state letter of pid.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')') // the command name may hold spaces
	if i < 0 || i+2 >= len(b) {
		return 0, 0, false
	}
	fields := bytes.Fields(b[i+2:])
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, 0, false
	}
	return ppid, fields[0][0], true
}

// processGone reports whether pid no longer runs (absent or a zombie).
func processGone(pid int) bool {
	_, state, ok := procStat(pid)
	return !ok || state == 'Z' || state == 'X'
}

// result is what one invocation of a program left behind.
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

// runtimeCmd runs the runtime binary directly, with a private --root.
type runtimeCmd struct {
	bin  string
	root string
}

func newRuntimeFor(t *testing.T, bin string) *runtimeCmd {
	t.Helper()
	return &runtimeCmd{bin: bin, root: filepath.Join(t.TempDir(), "root")}
}

// cmdOpts tweaks one invocation of the runtime.
type cmdOpts struct {
	logFile string // --log FILE --log-format json
}

func (r *runtimeCmd) runWith(t *testing.T, o cmdOpts, args ...string) result {
	t.Helper()
	full := []string{"--root", r.root}
	if o.logFile != "" {
		full = append(full, "--log", o.logFile, "--log-format", "json")
	}
	return runCaller(t, callerOpts{timeout: 30 * time.Second}, r.bin, append(full, args...)...)
}

// cleanEnviron is the test's environment without the variables that change
// what a runtime does with a container (systemd's notify and socket
// activation).
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

// leftoverCgroups lists the cgroup directories that exist for id under the
// harness's parent.
func leftoverCgroups(id string) []string {
	var found []string
	rel := filepath.Join(cgroupParent, id)
	candidates, _ := filepath.Glob(filepath.Join(cgroupMount, "*", rel))
	candidates = append(candidates, filepath.Join(cgroupMount, rel))
	for _, d := range candidates {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			found = append(found, d)
		}
	}
	return found
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

// processesUnder returns the pids whose root directory is inside dir.
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

// busyboxPath is the static busybox copied into the native image.
const busyboxPath = "/bin/busybox"

var busyboxApplets = []string{
	"sh", "cat", "echo", "sleep", "true", "false", "ls", "id", "ps", "kill",
	"touch", "mkdir", "env", "hostname", "printf", "test", "tty", "wc", "grep",
	"readlink", "stat", "mount", "rm", "ln", "pwd", "uname",
}

// makeRootfs builds a minimal rootfs around a copy of the static busybox.
func makeRootfs(t *testing.T, rootfs string) {
	t.Helper()
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp", "etc", "root", "run"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyFile(busyboxPath, filepath.Join(rootfs, "bin", "busybox"), 0o755); err != nil {
		t.Fatalf("copying busybox (apt-get install busybox-static): %v", err)
	}
	for _, a := range busyboxApplets {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":    "root:x:0:\nnogroup:x:65534:\n",
		"etc/hostname": "itest\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, e := range list {
		if e == n {
			return true
		}
	}
	return false
}

// buildHelloModule builds examples/hello (Go, GOOS=wasip1) into out.
func buildHelloModule(t *testing.T, repo, out string) {
	t.Helper()
	goTool := "go"
	if p := os.Getenv("GO"); p != "" {
		goTool = p
	}
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-o", out, "./examples/hello")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := outputTracked(cmd, true); err != nil {
		t.Fatalf("building examples/hello for wasip1: %v\n%s", err, b)
	}
	t.Logf("built examples/hello for wasip1 in %v", time.Since(start).Round(time.Millisecond))
}
