package callers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// TestContainerd drives Debian's containerd 1.6 and its runc shim
// (io.containerd.runc.v2) with the runtime under test as the shim's runc:
// per container with `ctr run --runc-binary PATH` (the documented command
// line), and as "runc" found on the daemon's PATH (replacing runc on a
// node). It runs native and Wasm containers: run, exit codes, create +
// start, exec, task ps, pause/resume, kill, delete, a memory limit, and
// reads --version and features the way the shim's runc client does.
//
// The daemon is private (root, state and socket in a temporary directory;
// CRI and the exotic snapshotters disabled; overlayfs), images are built
// with podman and imported from OCI archives, and everything is torn down
// in t.Cleanup whatever happens.
func TestContainerd(t *testing.T) {
	requireCommands(t, "containerd", "ctr", "containerd-shim-runc-v2", "podman", "conmon")
	start := time.Now()
	// The namespace has the name of the harness's cgroup parent: ctr's
	// default cgroupsPath, /<namespace>/<id>, is then where leftovers are
	// looked for.
	d := startContainerd(t, "", cgroupParent)
	d.importImages(t, wasmImage, nativeImage, guestImage)
	t.Logf("containerd up with the test images in %v", time.Since(start).Round(time.Millisecond))

	for _, part := range []struct {
		name string
		test func(*testing.T, *containerdEnv)
	}{
		{"Run", testContainerdRun},
		{"CreateStart", testContainerdCreateStart},
		{"WasmTask", testContainerdWasmTask},
		{"NativeTask", testContainerdNativeTask},
		{"Memory", testContainerdMemory},
		{"ReplaceRunc", testContainerdReplaceRunc},
		{"VersionAndFeatures", testContainerdVersionFeatures},
		{"Guests", testContainerdGuests},
	} {
		t.Run(part.name, func(t *testing.T) {
			began := time.Now()
			part.test(t, d)
			t.Logf("%s took %v", part.name, time.Since(began).Round(time.Millisecond))
		})
	}
}

// containerdEnv is one private containerd daemon.
type containerdEnv struct {
	dir      string
	sock     string
	ns       string
	runcRoot string // the shim's --root for the runtime
	fifoDir  string
	cache    string // the runtime's compiled-module cache
	links    runtimeLinks
	guestCtx string // guestImage's build context, when imported
	log      string
	daemon   *exec.Cmd
	exited   chan struct{}
}

// containerdConfig is the private daemon's configuration. The CRI plugin is
// disabled unless startContainerd is given its configuration.
const containerdConfig = `version = 2
root = "{{dir}}/root"
state = "{{dir}}/state"
disabled_plugins = [{{cri}}
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "{{dir}}/containerd.sock"

[ttrpc]
  address = "{{dir}}/containerd.sock.ttrpc"
`

// startContainerd starts a private containerd. cri is "" for a daemon
// without the CRI plugin, or the plugin's configuration, where "{{dir}}" is
// the daemon's directory and the install paths of docs/callers.md point at
// the binary under test; ns is the namespace ctr works in.
func startContainerd(t *testing.T, cri, ns string) *containerdEnv {
	t.Helper()
	dir := shortTempDir(t, "ctrd-")
	d := &containerdEnv{
		dir:      dir,
		sock:     filepath.Join(dir, "containerd.sock"),
		ns:       ns,
		runcRoot: filepath.Join(dir, "runc"),
		fifoDir:  filepath.Join(dir, "fifo"),
		cache:    filepath.Join(dir, "wasm-cache"),
		links:    newRuntimeLinks(t),
		log:      filepath.Join(dir, "containerd.log"),
		exited:   make(chan struct{}),
	}
	t.Cleanup(func() { d.cleanup(t) })
	for _, sub := range []string{"fifo", "wasm-cache"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "config.toml")
	config := containerdConfig
	if cri == "" {
		config = strings.Replace(config, "{{cri}}", `
  "io.containerd.grpc.v1.cri",`, 1) + "\n"
	} else {
		config = strings.Replace(config, "{{cri}}", "", 1) + "\n" + d.links.localize(cri)
	}
	mustWrite(t, conf, strings.ReplaceAll(config, "{{dir}}", dir))

	logf, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("containerd", "--config", conf)
	// The shims inherit the daemon's environment, and the runtime the
	// shim's: PATH puts the runtime under test first as "runc".
	cmd.Env = append(callerEnviron(),
		"PATH="+d.links.dir+":"+os.Getenv("PATH"),
		"WASM_RUNC_CACHE_DIR="+d.cache)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a signal meant for the test stays there.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := startTracked(cmd); err != nil {
		t.Fatalf("starting containerd: %v", err)
	}
	d.daemon = cmd
	go func() {
		_ = waitTracked(cmd)
		close(d.exited)
	}()
	if !eventually(15*time.Second, func() bool {
		select {
		case <-d.exited:
			return true
		default:
		}
		return d.ctr(t, callerOpts{timeout: 5 * time.Second}, "version").code == 0
	}) {
		t.Fatalf("containerd did not come up within 15s; log:\n%s", lastLines(readFile(d.log), 30))
	}
	select {
	case <-d.exited:
		t.Fatalf("containerd exited at start; log:\n%s", lastLines(readFile(d.log), 30))
	default:
	}
	return d
}

// ctr runs ctr against the private daemon, in the test namespace.
func (d *containerdEnv) ctr(t *testing.T, o callerOpts, args ...string) result {
	t.Helper()
	full := append([]string{"--address", d.sock, "--namespace", d.ns}, args...)
	return runCaller(t, o, "ctr", full...)
}

// mustCtr is ctr that fails the test unless it exits 0.
func (d *containerdEnv) mustCtr(t *testing.T, args ...string) result {
	t.Helper()
	res := d.ctr(t, callerOpts{}, args...)
	if res.code != 0 {
		t.Fatalf("%s\ncontainerd log:\n%s", res, lastLines(readFile(d.log), 15))
	}
	return res
}

// importImages builds test images with a private podman and imports them
// into containerd from OCI archives.
func (d *containerdEnv) importImages(t *testing.T, images ...string) {
	t.Helper()
	pm := newPodman(t)
	m := buildTestModules(t)
	wasmCtx, nativeCtx := writeImageContexts(t, m, t.TempDir())
	contexts := map[string]string{wasmImage: wasmCtx, nativeImage: nativeCtx, pauseImage: writePauseContext(t)}
	archives := t.TempDir()
	for _, img := range images {
		if img == guestImage {
			d.guestCtx = writeGuestContext(t)
			contexts[img] = d.guestCtx
		}
		pm.mustPodman(t, "build", "--no-cache", "-q", "-t", img, contexts[img])
		archive := filepath.Join(archives, randomHex(4)+".tar")
		pm.mustPodman(t, "save", "--format", "oci-archive", "-o", archive, img)
		d.mustCtr(t, "image", "import", archive)
	}
	out := d.mustCtr(t, "image", "ls", "--quiet").stdout
	for _, img := range images {
		if !hasLine(out, img) {
			t.Fatalf("containerd lacks %s after import; it has:\n%s", img, out)
		}
	}
}

// pauseImage is a pod sandbox image: the static catatonit in pause mode.
const pauseImage = "localhost/wasm-runc-test/pause:latest"

func writePauseContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cat, err := exec.LookPath("catatonit")
	if err != nil {
		t.Skipf("missing precondition: catatonit is not installed (scripts/install-deps.sh installs it)")
	}
	if err := copyFile(cat, filepath.Join(dir, "catatonit"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "Containerfile"), "FROM scratch\nCOPY catatonit /catatonit\nENTRYPOINT [\"/catatonit\", \"-P\"]\n")
	return dir
}

// shimDefaultRuncRoot is the runc shim's --root (per namespace below it)
// when the container's runtime options name none.
const shimDefaultRuncRoot = "/run/containerd/runc"

// runFlags are the `ctr run` flags of every test container: the runtime
// under test as the shim's runc, private runc root and FIFOs, and a cgroup
// under the harness's parent, where leftovers are looked for.
func (d *containerdEnv) runFlags(id string, binary string) []string {
	f := []string{"--runc-root", d.runcRoot, "--fifo-dir", d.fifoDir, "--cgroup", cgroupPathFor(id)}
	if binary != "" {
		f = append(f, "--runc-binary", binary)
	}
	return f
}

// cleanup kills and deletes every task and container, stops the daemon,
// kills shims left behind, unmounts leftovers and removes the directory.
func (d *containerdEnv) cleanup(t *testing.T) {
	if d.daemon != nil {
		select {
		case <-d.exited:
			t.Errorf("containerd died during the test; log:\n%s", lastLines(readFile(d.log), 30))
		default:
			d.deleteAll(t)
			_ = d.daemon.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(10 * time.Second):
				_ = d.daemon.Process.Kill()
				<-d.exited
			}
		}
	}
	if pids := reapLeftovers(5*time.Second, "containerd-shim", d.sock); len(pids) > 0 {
		t.Errorf("cleanup: killed shims left behind: %v", pids)
	}
	if pids := killProcessesUnder(d.dir); len(pids) > 0 {
		t.Errorf("cleanup: killed container processes left behind: %v", pids)
	}
	if m := unmountUnder(t, d.dir); len(m) > 0 {
		t.Errorf("cleanup: unmounted leftovers %v", m)
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Errorf("cleanup: %v", err)
	}
	// Fails, as it should, if a container of the namespace is left.
	_ = os.Remove(filepath.Join(shimDefaultRuncRoot, d.ns))
}

// deleteAll removes every task and container of the test namespace.
func (d *containerdEnv) deleteAll(t *testing.T) {
	quick := callerOpts{timeout: 20 * time.Second}
	for _, id := range strings.Fields(d.ctr(t, quick, "task", "ls", "--quiet").stdout) {
		t.Errorf("cleanup: task %s left running", id)
		d.ctr(t, quick, "task", "kill", "--all", "--signal", "SIGKILL", id)
		eventually(5*time.Second, func() bool { return d.taskStatus(t, id) == "STOPPED" })
		d.ctr(t, quick, "task", "delete", "--force", id)
	}
	for _, id := range strings.Fields(d.ctr(t, quick, "container", "ls", "--quiet").stdout) {
		if res := d.ctr(t, quick, "container", "delete", id); res.code != 0 {
			t.Errorf("cleanup: %s", res)
		}
	}
}

// taskStatus is the STATUS column of `ctr task ls` for id ("" if absent).
func (d *containerdEnv) taskStatus(t *testing.T, id string) string {
	t.Helper()
	return d.taskField(t, id, 2)
}

// taskPid is the PID column of `ctr task ls` for id.
func (d *containerdEnv) taskPid(t *testing.T, id string) int {
	t.Helper()
	pid, _ := strconv.Atoi(d.taskField(t, id, 1))
	return pid
}

func (d *containerdEnv) taskField(t *testing.T, id string, n int) string {
	t.Helper()
	// Not mustCtr: cleanup uses this too, and must go on after a failure.
	for _, line := range strings.Split(d.ctr(t, callerOpts{}, "task", "ls").stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > n && f[0] == id {
			return f[n]
		}
	}
	return ""
}

// waitTaskStatus polls `ctr task ls` until the task has the status.
func (d *containerdEnv) waitTaskStatus(t *testing.T, id, want string, within time.Duration) {
	t.Helper()
	var got string
	if !eventually(within, func() bool { got = d.taskStatus(t, id); return got == want }) {
		t.Fatalf("task %s: status %q, want %q within %v", id, got, want, within)
	}
}

// taskPids is the PID column of `ctr task ps`.
func (d *containerdEnv) taskPids(t *testing.T, id string) []int {
	t.Helper()
	var pids []int
	for _, line := range strings.Split(d.mustCtr(t, "task", "ps", id).stdout, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			if pid, err := strconv.Atoi(f[0]); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// deleteTask deletes a stopped task and its container and returns the exit
// status containerd recorded.
func (d *containerdEnv) deleteTask(t *testing.T, id string, pids ...int) int {
	t.Helper()
	res := d.mustCtr(t, "task", "delete", id)
	code := 0
	// ctr reports a non-zero exit status as a warning.
	if m := regexp.MustCompile(`exit code (\d+)`).FindStringSubmatch(res.stderr); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	d.deleteContainer(t, id, pids...)
	return code
}

// deleteContainer deletes a container whose task is gone and checks that
// nothing of it is left: runtime state, cgroup, processes.
func (d *containerdEnv) deleteContainer(t *testing.T, id string, pids ...int) {
	t.Helper()
	d.mustCtr(t, "container", "delete", id)
	for _, root := range []string{d.runcRoot, shimDefaultRuncRoot} {
		if _, err := os.Lstat(filepath.Join(root, d.ns, id)); err == nil {
			t.Errorf("runtime state %s left behind", filepath.Join(root, d.ns, id))
		}
	}
	for _, c := range leftoverCgroups(id) {
		t.Errorf("cgroup %s left behind", c)
	}
	for _, pid := range pids {
		if !eventually(2*time.Second, func() bool { return processGone(pid) }) {
			t.Errorf("process %d of %s still running", pid, id)
		}
	}
}

func ctrID(prefix string) string { return prefix + "-" + randomHex(4) }

// ctrRunDoc is the documented per-container command line (docs/callers.md),
// with the image, id and arguments of a test.
func ctrRunDoc(t *testing.T, d *containerdEnv, image, id string, args ...string) []string {
	t.Helper()
	doc := strings.Fields(d.links.localize(docSnippet(t, "containerd-ctr-run")))
	if len(doc) < 2 || doc[0] != "ctr" || doc[1] != "run" {
		t.Fatalf("the documented ctr command line is not `ctr run ...`: %q", doc)
	}
	var out []string
	for _, w := range doc[1:] {
		switch w {
		case "IMAGE":
			out = append(out, d.runFlags(id, "")...)
			out = append(out, image)
		case "ID":
			out = append(out, id)
		case "ARGS...":
			out = append(out, args...)
		default:
			out = append(out, w)
		}
	}
	return out
}

// testContainerdRun: `ctr run --rm` of Wasm and native containers, with the
// documented command line: output and exit codes.
func testContainerdRun(t *testing.T, d *containerdEnv) {
	for _, tc := range []struct {
		name  string
		image string
		args  []string
		code  int
		out   []string
	}{
		{"wasm-go", wasmImage, []string{"/hello.wasm", "args", "exit", "7"}, 7, []string{"arg[0]=/hello.wasm", "arg[3]=7"}},
		{"wasm-env", wasmImage, []string{"/hello.wasm", "env"}, 0, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		{"wat-hello", wasmImage, []string{"/wat/hello.wasm"}, 0, []string{"hello from wat"}},
		{"wat-exit", wasmImage, []string{"/wat/exit.wasm", "42"}, 42, nil},
		{"wat-trap", wasmImage, []string{"/wat/trap.wasm"}, 134, nil},
		{"native", nativeImage, []string{"sh", "-c", "echo native; exit 3"}, 3, []string{"native"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := ctrID(tc.name)
			res := d.ctr(t, callerOpts{}, ctrRunDoc(t, d, tc.image, id, tc.args...)...)
			if res.code != tc.code {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			for _, want := range tc.out {
				if !hasLine(res.stdout, want) {
					t.Errorf("stdout lacks the line %q: %s", want, res)
				}
			}
			if out := d.mustCtr(t, "container", "ls", "--quiet").stdout; strings.Contains(out, id) {
				t.Errorf("container %s left after run --rm", id)
			}
			for _, c := range leftoverCgroups(id) {
				t.Errorf("cgroup %s left behind", c)
			}
		})
	}
	// ctr 1.6 never closes a container's stdin, so a module reading stdin to
	// EOF cannot be tested here; podman's -i is (TestPodman/Stdin).

	// The daemon's environment reached the runtime through the shim: the
	// modules were compiled into the private cache.
	if entries, _ := os.ReadDir(d.cache); len(entries) == 0 {
		t.Errorf("nothing in the compiled-module cache %s: WASM_RUNC_CACHE_DIR did not reach the runtime", d.cache)
	}
}

// testContainerdCreateStart: `ctr container create` then `ctr task start`
// (attached): the shim's create and start as two steps. ctr's container
// create takes no runc options, so the shim runs "runc" from the daemon's
// PATH: the runtime under test installed under that name.
func testContainerdCreateStart(t *testing.T, d *containerdEnv) {
	id := ctrID("created")
	// Its default cgroupsPath, /<namespace>/<id>, is under the harness's
	// parent: the namespace has the parent's name.
	d.mustCtr(t, "container", "create", "--annotation", smartAnnotation, wasmImage, id, "/hello.wasm", "args", "exit", "21")
	// An attached start waits for the task, exits with its status and
	// deletes it.
	res := d.ctr(t, callerOpts{}, "task", "start", "--fifo-dir", d.fifoDir, id)
	if res.code != 21 || !hasLine(res.stdout, "arg[1]=args") {
		t.Errorf("task start: want the module's output and exit 21; got %s", res)
	}
	d.deleteContainer(t, id)
}

// testContainerdWasmTask: a detached Wasm task through ls, ps, exec, pause,
// resume, kill (SIGTERM, promptly) and delete.
func testContainerdWasmTask(t *testing.T, d *containerdEnv) {
	id := ctrID("wasm-task")
	logFile := filepath.Join(t.TempDir(), "task.log")
	d.mustCtr(t, append(append([]string{"run", "--detach", "--log-uri", "file://" + logFile, "--annotation", smartAnnotation},
		d.runFlags(id, d.links.plain)...), wasmImage, id, "/hello.wasm", "args", "sleep", "300")...)
	d.waitTaskStatus(t, id, "RUNNING", 10*time.Second)
	pid := d.taskPid(t, id)
	if !eventually(10*time.Second, func() bool { return hasLine(readFile(logFile), "arg[2]=sleep") }) {
		t.Errorf("no output from the module in %s: %q", logFile, readFile(logFile))
	}

	// An attached exec: the shim's `exec --process --detach --pid-file`.
	res := d.ctr(t, callerOpts{}, "task", "exec", "--fifo-dir", d.fifoDir, "--exec-id", "once", id, "/hello.wasm", "args", "exit", "17")
	if res.code != 17 || !hasLine(res.stdout, "arg[1]=args") {
		t.Errorf("task exec: want the module's output and exit 17; got %s", res)
	}
	// A detached exec that stays: task ps (the runtime's `ps --format
	// json`) lists it next to the init.
	d.mustCtr(t, "task", "exec", "--detach", "--fifo-dir", d.fifoDir, "--exec-id", "stays", id, "/hello.wasm", "sleep", "300")
	var pids []int
	if !eventually(5*time.Second, func() bool { pids = d.taskPids(t, id); return len(pids) == 2 }) {
		t.Errorf("task ps: want the init and the exec'd module; got %v", pids)
	}
	if !containsInt(pids, pid) {
		t.Errorf("task ps lists %v, not the init %d", pids, pid)
	}

	d.mustCtr(t, "task", "pause", id)
	d.waitTaskStatus(t, id, "PAUSED", 5*time.Second)
	d.mustCtr(t, "task", "resume", id)
	d.waitTaskStatus(t, id, "RUNNING", 5*time.Second)

	// SIGTERM (ctr's default) ends a module sleeping in a WASI call.
	began := time.Now()
	d.mustCtr(t, "task", "kill", id)
	d.waitTaskStatus(t, id, "STOPPED", 10*time.Second)
	t.Logf("SIGTERM to a sleeping Wasm task: stopped after %v", time.Since(began).Round(time.Millisecond))
	if code := d.deleteTask(t, id, pids...); code != 143 {
		t.Errorf("recorded exit status %d, want 143 (SIGTERM)", code)
	}
}

// testContainerdNativeTask: the same for a native busybox task, with
// `kill --all` (the shim's `kill --all ID 9`).
func testContainerdNativeTask(t *testing.T, d *containerdEnv) {
	id := ctrID("native-task")
	d.mustCtr(t, append(append([]string{"run", "--detach", "--null-io", "--annotation", smartAnnotation},
		d.runFlags(id, d.links.plain)...), nativeImage, id, "sh", "-c", "exec sleep 300")...)
	d.waitTaskStatus(t, id, "RUNNING", 10*time.Second)
	pid := d.taskPid(t, id)
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); !strings.Contains(exe, "busybox") {
		t.Errorf("compat-smart native container runs %q, want busybox", exe)
	}
	res := d.ctr(t, callerOpts{}, "task", "exec", "--fifo-dir", d.fifoDir, "--exec-id", "sh", id, "sh", "-c", "echo pid $$; exit 4")
	if res.code != 4 || !strings.HasPrefix(res.stdout, "pid ") {
		t.Errorf("task exec: want the shell's output and exit 4; got %s", res)
	}
	d.mustCtr(t, "task", "exec", "--detach", "--fifo-dir", d.fifoDir, "--exec-id", "stays", id, "sleep", "300")
	var pids []int
	if !eventually(5*time.Second, func() bool { pids = d.taskPids(t, id); return len(pids) == 2 }) {
		t.Errorf("task ps: want the init and the exec'd sleep; got %v", pids)
	}
	d.mustCtr(t, "task", "pause", id)
	d.waitTaskStatus(t, id, "PAUSED", 5*time.Second)
	d.mustCtr(t, "task", "resume", id)
	d.waitTaskStatus(t, id, "RUNNING", 5*time.Second)
	d.mustCtr(t, "task", "kill", "--all", "--signal", "SIGKILL", id)
	d.waitTaskStatus(t, id, "STOPPED", 10*time.Second)
	if code := d.deleteTask(t, id, pids...); code != 137 {
		t.Errorf("recorded exit status %d, want 137 (SIGKILL)", code)
	}
}

// testContainerdMemory: --memory-limit reaches the cgroup the module reads.
func testContainerdMemory(t *testing.T, d *containerdEnv) {
	limit := 64 << 20
	id := ctrID("memory")
	args := append(append([]string{"run", "--rm", "--memory-limit", strconv.Itoa(limit), "--annotation", smartAnnotation},
		d.runFlags(id, d.links.plain)...), wasmImage, id, "/wat/grow.wasm")
	res := d.ctr(t, callerOpts{}, args...)
	m := regexp.MustCompile(`memory.grow failed at (\d+) pages`).FindStringSubmatch(res.stdout)
	if res.code != 0 || m == nil {
		t.Fatalf("grow.wat under a 64 MiB limit: want memory.grow to fail gracefully; got %s", res)
	}
	if pages, _ := strconv.Atoi(m[1]); pages*64<<10 > limit {
		t.Errorf("linear memory grew to %d pages, past the limit", pages)
	}
}

// testContainerdReplaceRunc: with no --runc-binary the shim runs "runc"
// from the daemon's PATH, where the runtime under test is installed under
// that name: a Wasm container runs, which runc itself cannot do.
func testContainerdReplaceRunc(t *testing.T, d *containerdEnv) {
	id := ctrID("as-runc")
	res := d.ctr(t, callerOpts{}, append(append([]string{"run", "--rm", "--annotation", smartAnnotation},
		d.runFlags(id, "")...), wasmImage, id, "/hello.wasm", "args", "exit", "5")...)
	if res.code != 5 || !hasLine(res.stdout, "arg[0]=/hello.wasm") {
		t.Errorf("want the module run by the runtime installed as runc; got %s", res)
	}
	id = ctrID("as-runc-native")
	res = d.ctr(t, callerOpts{}, append(append([]string{"run", "--rm"}, d.runFlags(id, "")...),
		nativeImage, id, "sh", "-c", "echo native as runc")...)
	if res.code != 0 || !hasLine(res.stdout, "native as runc") {
		t.Errorf("native container with the runtime as runc: %s", res)
	}
}

// testContainerdVersionFeatures: --version and features, invoked the way
// containerd's runc client (go-runc) invokes them, with the global flags
// first. containerd 1.6 does not call them; newer shims read features to
// describe the runtime.
func testContainerdVersionFeatures(t *testing.T, d *containerdEnv) {
	rt := newRuntimeFor(t, d.links.asRunc)
	logFile := filepath.Join(t.TempDir(), "log.json")
	res := rt.runWith(t, cmdOpts{logFile: logFile}, "--version")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("--version: %s", res)
	}
	// go-runc's parser: "runc version X", then "commit: " and "spec: "
	// lines; installed as runc the first line must say runc.
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if !strings.HasPrefix(lines[0], "runc version ") || strings.TrimPrefix(lines[0], "runc version ") == "" {
		t.Errorf("installed as runc, --version's first line is %q; go-runc wants \"runc version X\"", lines[0])
	}
	spec := ""
	for _, l := range lines[1:] {
		if s, ok := strings.CutPrefix(l, "spec: "); ok {
			spec = s
		}
	}
	if spec == "" {
		t.Errorf("--version has no \"spec: \" line: %q", res.stdout)
	}

	res = rt.runWith(t, cmdOpts{logFile: logFile}, "features")
	if res.code != 0 || res.stderr != "" {
		t.Fatalf("features: %s", res)
	}
	var f features.Features
	dec := json.NewDecoder(bytes.NewReader([]byte(res.stdout)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("features output does not decode as runtime-spec features: %v\n%s", err, res.stdout)
	}
	if f.OCIVersionMax == "" || f.Linux == nil || len(f.Linux.Namespaces) == 0 {
		t.Errorf("features lacks ociVersionMax or linux namespaces: %s", res.stdout)
	}
	for _, a := range []string{"module.wasm.image/variant", "run.oci.handler"} {
		if !contains(f.PotentiallyUnsafeConfigAnnotations, a) {
			t.Errorf("features: potentiallyUnsafeConfigAnnotations lacks %s: %v", a, f.PotentiallyUnsafeConfigAnnotations)
		}
	}
	if b, _ := os.ReadFile(logFile); len(b) > 0 {
		t.Errorf("--version and features wrote to --log: %s", b)
	}
}
