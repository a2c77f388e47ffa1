package callers

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPodman drives Debian's podman (with conmon) with the runtime under
// test: run --rm, exit codes, stdin, a tty, the compat-smart annotation,
// detached containers with ps, logs, exec, pause, unpause, stop and rm,
// create + start --attach, a memory limit, a pod mixing a native and a Wasm
// container, the wasi/wasm image platform through the -wasm runtime name, and
// the runtime's errors as podman reports them.
//
// podman is kept private: its storage, run root and tmp dir are in a
// temporary directory, it uses cgroupfs and a file events backend, and
// CONTAINERS_CONF is the containers.conf of docs/callers.md (install paths
// pointing at the binary under test) plus this machine's rlimit ceiling.
// Images are built locally FROM scratch; nothing is pulled.
func TestPodman(t *testing.T) {
	requireCommands(t, "podman", "conmon", "catatonit")
	start := time.Now()
	pm := newPodman(t)
	pm.buildImages(t)
	t.Logf("podman store ready with the test images in %v", time.Since(start).Round(time.Millisecond))

	for _, part := range []struct {
		name string
		test func(*testing.T, *podmanEnv)
	}{
		{"RunRm", testPodmanRunRm},
		{"Stdin", testPodmanStdin},
		{"TTY", testPodmanTTY},
		{"Detached", testPodmanDetached},
		{"CreateStartAttach", testPodmanCreateStart},
		{"Memory", testPodmanMemory},
		{"Pod", testPodmanPod},
		{"WasiPlatform", testPodmanWasiPlatform},
		{"Errors", testPodmanErrors},
		{"Guests", testPodmanGuests},
	} {
		t.Run(part.name, func(t *testing.T) {
			began := time.Now()
			part.test(t, pm)
			t.Logf("%s took %v", part.name, time.Since(began).Round(time.Millisecond))
		})
	}
}

// podmanEnv is one private podman installation.
type podmanEnv struct {
	dir string
	// cgroupParent holds every container, pod and conmon cgroup of this
	// podman (its default, /libpod_parent, would outlive the test).
	cgroupParent string
	conf         string // CONTAINERS_CONF
	cache        string // the runtime's compiled-module cache
	links        runtimeLinks
	guestCtx     string // guestImage's build context, with the built guests
}

// podmanRlimits is what this machine allows (no CAP_SYS_RESOURCE: nofile
// 20000, nproc 32768 under conmon); podman's defaults ask for more, and
// every container would fail with "error setting rlimit type 7".
var podmanRlimits = []string{"nofile=20000:20000", "nproc=32768:32768"}

func newPodman(t *testing.T) *podmanEnv {
	t.Helper()
	pm := &podmanEnv{
		dir:          shortTempDir(t, "pm-"),
		links:        newRuntimeLinks(t),
		cgroupParent: "/" + cgroupParent + "/podman-" + randomHex(4),
	}
	t.Cleanup(func() { pm.cleanup(t) })
	pm.conf = filepath.Join(pm.dir, "containers.conf")
	pm.cache = filepath.Join(pm.dir, "wasm-cache")
	for _, d := range []string{"tmp", "wasm-cache"} {
		if err := os.Mkdir(filepath.Join(pm.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The documented containers.conf as written, then the machine's quirk
	// (default_ulimits reaches the pod's infra container too, which takes
	// no --ulimit).
	conf := pm.links.localize(docSnippet(t, "podman-containers.conf"))
	// Test only: file locks in the private tmp dir. podman's default locks
	// are one shared-memory segment for the whole machine
	// (/dev/shm/libpod_lock), shared with every other podman there.
	engine := "[engine]\n"
	if !strings.Contains(conf, engine) {
		t.Fatalf("the documented containers.conf has no [engine] table:\n%s", conf)
	}
	conf = strings.Replace(conf, engine, engine+"lock_type = \"file\"\n", 1)
	conf += "\n# Test machine: no CAP_SYS_RESOURCE.\n[containers]\ndefault_ulimits = " + tomlList(podmanRlimits) + "\n"
	mustWrite(t, pm.conf, conf)
	return pm
}

func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// podman runs podman with the private store. Global flags go first; args
// may start with more of them (--runtime ...).
func (pm *podmanEnv) podman(t *testing.T, o callerOpts, args ...string) result {
	t.Helper()
	full := []string{
		"--root", filepath.Join(pm.dir, "root"),
		"--runroot", filepath.Join(pm.dir, "runroot"),
		"--tmpdir", filepath.Join(pm.dir, "libpod"),
		"--storage-driver", "overlay",
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
		// Private compiled-module cache: conmon does not pass our
		// environment on, a global runtime flag reaches every invocation.
		"--runtime-flag", "cache-dir=" + pm.cache,
	}
	full = append(full, args...)
	o.env = append(o.env, "CONTAINERS_CONF="+pm.conf, "TMPDIR="+filepath.Join(pm.dir, "tmp"))
	return runCaller(t, o, "podman", full...)
}

// mustPodman is podman that fails the test unless it exits 0.
func (pm *podmanEnv) mustPodman(t *testing.T, args ...string) result {
	t.Helper()
	res := pm.podman(t, callerOpts{}, args...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	return res
}

// runFlags are the flags every test container gets: the machine's rlimits,
// never a pull.
func runFlags() []string {
	f := []string{"--pull", "never"}
	for _, r := range podmanRlimits {
		f = append(f, "--ulimit", r)
	}
	return f
}

// runArgs is `VERB <runFlags> --network none --cgroup-parent P [flags...]`.
func (pm *podmanEnv) runArgs(verb string, flags ...string) []string {
	return append(append(append([]string{verb}, runFlags()...),
		"--network", "none", "--cgroup-parent", pm.cgroupParent), flags...)
}

// podArgs is `VERB <runFlags> --pod POD [flags...]`: the pod's network and
// cgroup.
func podArgs(verb, pod string, flags ...string) []string {
	return append(append(append([]string{verb}, runFlags()...), "--pod", pod), flags...)
}

const smartAnnotation = "module.wasm.image/variant=compat-smart"

func (pm *podmanEnv) buildImages(t *testing.T) {
	t.Helper()
	m := buildTestModules(t)
	wasmCtx, nativeCtx := writeImageContexts(t, m, t.TempDir())
	// --no-cache: podman 4.3 reuses a cached FROM scratch image whatever
	// --platform asks for.
	pm.mustPodman(t, "build", "--no-cache", "-q", "-t", wasmImage, wasmCtx)
	pm.mustPodman(t, "build", "--no-cache", "-q", "--platform", "wasi/wasm", "-t", wasiImage, wasmCtx)
	pm.mustPodman(t, "build", "--no-cache", "-q", "-t", nativeImage, nativeCtx)
	pm.guestCtx = writeGuestContext(t)
	pm.mustPodman(t, "build", "--no-cache", "-q", "-t", guestImage, pm.guestCtx)
	if got := strings.TrimSpace(pm.mustPodman(t, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", wasiImage).stdout); got != "wasi/wasm" {
		t.Fatalf("%s has platform %q, want wasi/wasm", wasiImage, got)
	}
}

// cleanup removes every pod and container, the processes podman leaves
// behind, mounts and cgroups, before the temporary directory goes.
func (pm *podmanEnv) cleanup(t *testing.T) {
	if res := pm.podman(t, callerOpts{}, "pod", "rm", "--all", "--force", "--time", "0"); res.code != 0 {
		t.Errorf("cleanup: %s", res)
	}
	if res := pm.podman(t, callerOpts{}, "rm", "--all", "--force", "--time", "0"); res.code != 0 {
		t.Errorf("cleanup: %s", res)
	}
	// conmon runs podman's exit command (container cleanup) after a
	// container ends; both must be gone before the store can go.
	if pids := reapLeftovers(10*time.Second, pm.dir); len(pids) > 0 {
		t.Errorf("cleanup: killed processes left behind: %v", pids)
	}
	if pids := killProcessesUnder(pm.dir); len(pids) > 0 {
		t.Errorf("cleanup: killed container processes left behind: %v", pids)
	}
	if m := unmountUnder(t, pm.dir); len(m) > 0 {
		t.Logf("cleanup: unmounted %v", m)
	}
	// podman leaves a pod's cgroups in the named systemd and the unified
	// hierarchies, and conmon's; none may hold a process by now.
	if stuck := removeCgroupTree(pm.cgroupParent); len(stuck) > 0 {
		t.Errorf("cleanup: cgroups still in use: %v", stuck)
	}
	if err := os.RemoveAll(pm.dir); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// inspect returns `podman inspect --format FORMAT NAME`.
func (pm *podmanEnv) inspect(t *testing.T, name, format string) string {
	t.Helper()
	return strings.TrimSpace(pm.mustPodman(t, "inspect", "--format", format, name).stdout)
}

// waitState polls the container's state until it is want.
func (pm *podmanEnv) waitState(t *testing.T, name, want string, within time.Duration) {
	t.Helper()
	var got string
	if !eventually(within, func() bool {
		got = pm.inspect(t, name, "{{.State.Status}}")
		return got == want
	}) {
		t.Fatalf("%s: state %q, want %q within %v", name, got, want, within)
	}
}

// testPodmanRunRm: `run --rm` of Wasm and native images, output and exit
// codes, with the runtime given as a path (podman --runtime PATH).
func testPodmanRunRm(t *testing.T, pm *podmanEnv) {
	rt := []string{"--runtime", pm.links.plain}
	for _, tc := range []struct {
		name  string
		flags []string
		args  []string
		code  int
		out   []string // lines stdout must contain
	}{
		{"wasm-go", []string{"--annotation", smartAnnotation}, []string{wasmImage, "args", "exit", "7"}, 7,
			[]string{"arg[0]=/hello.wasm", "arg[1]=args", "arg[2]=exit", "arg[3]=7"}},
		{"wasm-env", []string{"--annotation", smartAnnotation, "--env", "GREETING=from-podman"}, []string{wasmImage, "env"}, 0,
			[]string{"GREETING=from-podman"}},
		{"wat-hello", []string{"--annotation", smartAnnotation, "--entrypoint", "/wat/hello.wasm"}, []string{wasmImage}, 0,
			[]string{"hello from wat"}},
		{"wat-exit", []string{"--annotation", smartAnnotation, "--entrypoint", "/wat/exit.wasm"}, []string{wasmImage, "42"}, 42, nil},
		{"wat-trap", []string{"--annotation", smartAnnotation, "--entrypoint", "/wat/trap.wasm"}, []string{wasmImage}, 134, nil},
		{"wasm-compat", []string{"--annotation", "module.wasm.image/variant=compat"}, []string{wasmImage, "exit", "3"}, 3, nil},
		{"wasm-handler", []string{"--annotation", "run.oci.handler=wasm"}, []string{wasmImage, "exit", "4"}, 4, nil},
		// compat-smart leaves a native entrypoint native.
		{"native-smart", []string{"--annotation", smartAnnotation}, []string{nativeImage, "sh", "-c", "echo native; exit 5"}, 5,
			[]string{"native"}},
		{"native", nil, []string{nativeImage, "sh", "-c", "echo plain native; exit 6"}, 6,
			[]string{"plain native"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append(append(rt, pm.runArgs("run", "--rm")...), tc.flags...), tc.args...)
			res := pm.podman(t, callerOpts{}, args...)
			if res.code != tc.code {
				t.Fatalf("want exit %d; got %s", tc.code, res)
			}
			for _, want := range tc.out {
				if !hasLine(res.stdout, want) {
					t.Errorf("stdout lacks the line %q: %s", want, res)
				}
			}
		})
	}
	// The global runtime flag reached the runtime through conmon.
	if entries, _ := os.ReadDir(pm.cache); len(entries) == 0 {
		t.Errorf("nothing in the compiled-module cache %s: --runtime-flag cache-dir did not reach the runtime", pm.cache)
	}
	// --rm removed them all.
	if out := pm.mustPodman(t, "ps", "--all", "--quiet").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("containers left after run --rm: %q", out)
	}
}

func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimRight(l, "\r") == want {
			return true
		}
	}
	return false
}

// testPodmanStdin: `run -i` gives the Wasm module its stdin.
func testPodmanStdin(t *testing.T, pm *podmanEnv) {
	in := "line one\nline two\n"
	res := pm.podman(t, callerOpts{stdin: strings.NewReader(in)},
		append(pm.runArgs("run", "--rm", "-i", "--annotation", smartAnnotation), wasmImage, "stdin", "exit", "0")...)
	if res.code != 0 || res.stdout != in {
		t.Fatalf("want the input echoed; got %s", res)
	}
}

// testPodmanTTY: `run -t` gives the module a terminal: conmon receives the
// pty master over the console socket and the line discipline turns "\n"
// into "\r\n".
func testPodmanTTY(t *testing.T, pm *podmanEnv) {
	res := pm.podman(t, callerOpts{},
		append(pm.runArgs("run", "--rm", "-t", "--annotation", smartAnnotation), wasmImage, "args", "exit", "9")...)
	if res.code != 9 {
		t.Fatalf("want exit 9; got %s", res)
	}
	if !strings.Contains(res.stdout, "arg[1]=args\r\n") {
		t.Errorf("want terminal output (\\r\\n line ends); got %q", res.stdout)
	}
	// The native side of the same container shape sees a pty.
	res = pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "-t", "--annotation", smartAnnotation), nativeImage, "tty")...)
	if res.code != 0 || !strings.HasPrefix(res.stdout, "/dev/pts/") {
		t.Errorf("native container under -t: want a /dev/pts/N tty; got %s", res)
	}
}

// testPodmanDetached: run -d, ps, logs, exec, top, pause, unpause, stop
// (SIGTERM honoured promptly) and rm of a Wasm container.
func testPodmanDetached(t *testing.T, pm *podmanEnv) {
	name := "detached-" + randomHex(4)
	res := pm.podman(t, callerOpts{}, append(pm.runArgs("run", "-d", "--name", name, "--annotation", smartAnnotation),
		wasmImage, "args", "sleep", "300")...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	pm.waitState(t, name, "running", 10*time.Second)

	ps := pm.mustPodman(t, "ps", "--filter", "name="+name, "--format", "{{.Names}} {{.Status}}").stdout
	if !strings.HasPrefix(ps, name+" Up") {
		t.Errorf("podman ps: want %s Up; got %q", name, ps)
	}
	if !eventually(10*time.Second, func() bool {
		return hasLine(pm.mustPodman(t, "logs", name).stdout, "arg[2]=sleep")
	}) {
		t.Errorf("podman logs: no output from the module: %s", pm.mustPodman(t, "logs", name))
	}

	// exec a second module instance into the running Wasm container.
	res = pm.podman(t, callerOpts{}, "exec", name, "/hello.wasm", "args", "exit", "11")
	if res.code != 11 || !hasLine(res.stdout, "arg[1]=args") {
		t.Errorf("podman exec: want the module's output and exit 11; got %s", res)
	}
	res = pm.podman(t, callerOpts{stdin: strings.NewReader("exec stdin\n")}, "exec", "-i", name, "/hello.wasm", "stdin")
	if res.code != 0 || res.stdout != "exec stdin\n" {
		t.Errorf("podman exec -i: want the input echoed; got %s", res)
	}

	// exec -t: the exec'd module gets a terminal of its own.
	res = pm.podman(t, callerOpts{}, "exec", "-t", name, "/hello.wasm", "args")
	if res.code != 0 || !strings.Contains(res.stdout, "arg[1]=args\r\n") {
		t.Errorf("podman exec -t: want terminal output (\\r\\n line ends); got %s", res)
	}

	// update: the runtime's `update --resources` reaches the cgroup.
	pm.mustPodman(t, "update", "--memory", "100m", name)
	pid, _ := strconv.Atoi(pm.inspect(t, name, "{{.State.Pid}}"))
	if got, err := memoryLimit(pid); err != nil || got != strconv.Itoa(100<<20) {
		t.Errorf("podman update --memory 100m: the container's cgroup limit is %q (%v)", got, err)
	}

	// top shows the module under the user's command line, not the
	// runner's.
	res = pm.podman(t, callerOpts{}, "top", name, "pid", "args")
	if res.code != 0 || !strings.Contains(res.stdout, "/hello.wasm args sleep 300") {
		t.Errorf("podman top: want the module's command line; got %s", res)
	}

	pm.mustPodman(t, "pause", name)
	pm.waitState(t, name, "paused", 5*time.Second)
	pm.mustPodman(t, "unpause", name)
	pm.waitState(t, name, "running", 5*time.Second)

	// The module sleeps in a WASI call; SIGTERM must end it with 128+15:
	// had it been ignored, podman's escalation to SIGKILL after 10 s would
	// record 137. (How fast is the benchmarks' business.)
	began := time.Now()
	pm.mustPodman(t, "stop", "--time", "10", name)
	t.Logf("podman stop of a sleeping Wasm container took %v", time.Since(began).Round(time.Millisecond))
	if code := pm.inspect(t, name, "{{.State.ExitCode}}"); code != "143" {
		t.Errorf("exit code after stop: %s, want 143 (SIGTERM)", code)
	}
	pm.mustPodman(t, "rm", name)
	if res := pm.podman(t, callerOpts{}, "container", "exists", name); res.code != 1 {
		t.Errorf("container still exists after rm: %s", res)
	}
}

// testPodmanCreateStart: `create` then `start --attach`.
func testPodmanCreateStart(t *testing.T, pm *podmanEnv) {
	name := "created-" + randomHex(4)
	pm.mustPodman(t, append(pm.runArgs("create", "--name", name, "--annotation", smartAnnotation), wasmImage, "args", "exit", "12")...)
	if st := pm.inspect(t, name, "{{.State.Status}}"); st != "created" {
		t.Errorf("after create: state %q", st)
	}
	res := pm.podman(t, callerOpts{}, "start", "--attach", name)
	if res.code != 12 || !hasLine(res.stdout, "arg[2]=exit") {
		t.Errorf("start --attach: want the module's output and exit 12; got %s", res)
	}
	if code := pm.inspect(t, name, "{{.State.ExitCode}}"); code != "12" {
		t.Errorf("inspect: exit code %s, want 12", code)
	}
	pm.mustPodman(t, "rm", name)
}

// testPodmanMemory: --memory reaches the container's cgroup, and the Wasm
// runner caps linear memory below it.
func testPodmanMemory(t *testing.T, pm *podmanEnv) {
	limit := 64 << 20
	res := pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "--memory", "64m", "--annotation", smartAnnotation),
		wasmImage, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")...)
	if res.code != 0 {
		// A cgroup v2 host names the file differently.
		res = pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "--memory", "64m", "--annotation", smartAnnotation),
			wasmImage, "cat", "/sys/fs/cgroup/memory.max")...)
	}
	if res.code != 0 || strings.TrimSpace(res.stdout) != strconv.Itoa(limit) {
		t.Errorf("the module reads its memory limit: want %d; got %s", limit, res)
	}
	res = pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "--memory", "64m", "--annotation", smartAnnotation,
		"--entrypoint", "/wat/grow.wasm"), wasmImage)...)
	m := regexp.MustCompile(`memory.grow failed at (\d+) pages`).FindStringSubmatch(res.stdout)
	if res.code != 0 || m == nil {
		t.Fatalf("grow.wat under --memory 64m: want memory.grow to fail gracefully; got %s", res)
	}
	pages, _ := strconv.Atoi(m[1])
	t.Logf("linear memory stopped at %d pages (%d MiB) under a 64 MiB limit", pages, pages*64/1024)
	if pages*64<<10 > limit {
		t.Errorf("linear memory grew to %d pages, past the 64 MiB limit", pages)
	}
}

// testPodmanPod: a pod whose infra container (podman's catatonit pause
// image) and a busybox container run natively next to a Wasm container,
// all through the runtime named in containers.conf's [engine] runtime.
func testPodmanPod(t *testing.T, pm *podmanEnv) {
	pod := "pod-" + randomHex(4)
	pm.mustPodman(t, "pod", "create", "--name", pod, "--network", "none", "--cgroup-parent", pm.cgroupParent)
	native := pod + "-native"
	wasm := pod + "-wasm"
	pm.mustPodman(t, append(podArgs("run", pod, "-d", "--name", native, "--annotation", smartAnnotation),
		nativeImage, "sh", "-c", `trap "exit 0" TERM; echo native-up; while :; do sleep 0.2; done`)...)
	pm.mustPodman(t, append(podArgs("run", pod, "-d", "--name", wasm, "--annotation", smartAnnotation),
		wasmImage, "args", "spin")...)
	pm.waitState(t, native, "running", 10*time.Second)
	pm.waitState(t, wasm, "running", 10*time.Second)
	if !eventually(10*time.Second, func() bool { return hasLine(pm.mustPodman(t, "logs", wasm).stdout, "spinning") }) {
		t.Errorf("the Wasm container did not start spinning: %s", pm.mustPodman(t, "logs", wasm))
	}
	if !eventually(10*time.Second, func() bool { return hasLine(pm.mustPodman(t, "logs", native).stdout, "native-up") }) {
		t.Errorf("the native container did not start: %s", pm.mustPodman(t, "logs", native))
	}

	// Which runtime ran them: all three, the infra container too, name
	// the default runtime of containers.conf.
	infra := pm.inspect(t, pod, "{{.InfraContainerID}}")
	for _, c := range []string{infra, native, wasm} {
		if rt := pm.inspect(t, c, "{{.OCIRuntime}}"); rt != "wasm-runc" {
			t.Errorf("%s ran under %q, want wasm-runc from containers.conf", c, rt)
		}
	}

	// The containers joined the pod's namespaces, held by the infra.
	pids := map[string]int{}
	for _, c := range []string{infra, native, wasm} {
		pid, err := strconv.Atoi(pm.inspect(t, c, "{{.State.Pid}}"))
		if err != nil || pid <= 0 {
			t.Fatalf("%s: no pid (%v)", c, err)
		}
		pids[c] = pid
	}
	for _, kind := range []string{"net", "uts", "ipc"} {
		want := nsInode(t, pids[infra], kind)
		for _, c := range []string{native, wasm} {
			if got := nsInode(t, pids[c], kind); got != want {
				t.Errorf("%s: %s namespace %s, want the pod's %s", c, kind, got, want)
			}
		}
	}
	// The infra container (catatonit) and the busybox container run
	// natively; the module runs as Wasm (the runner re-executes this
	// binary, so the container's pid 1 is not busybox).
	for c, want := range map[string]string{infra: "catatonit", native: "busybox"} {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pids[c])); !strings.Contains(exe, want) {
			t.Errorf("container %.12s runs %q, want %s run natively", c, exe, want)
		}
	}
	res := pm.podman(t, callerOpts{}, "exec", native, "sh", "-c", "hostname")
	if res.code != 0 || strings.TrimSpace(res.stdout) != pod {
		t.Errorf("exec in the native container: want hostname %s; got %s", pod, res)
	}

	// Stopping the pod stops the spinning module with SIGTERM.
	began := time.Now()
	pm.mustPodman(t, "pod", "stop", "--time", "10", pod)
	t.Logf("podman pod stop took %v", time.Since(began).Round(time.Millisecond))
	if code := pm.inspect(t, wasm, "{{.State.ExitCode}}"); code != "143" {
		t.Errorf("Wasm container's exit code after pod stop: %s, want 143", code)
	}
	if code := pm.inspect(t, native, "{{.State.ExitCode}}"); code != "0" {
		t.Errorf("native container's exit code after pod stop: %s, want 0 (its TERM trap)", code)
	}
	pm.mustPodman(t, "pod", "rm", pod)
}

// testPodmanWasiPlatform: an image whose platform is wasi/wasm runs as Wasm
// with no annotation when the runtime's name ends in -wasm, given as a path
// or by its containers.conf name; under the plain name the same image is
// exec'd natively and fails.
func testPodmanWasiPlatform(t *testing.T, pm *podmanEnv) {
	for _, rt := range []string{pm.links.wasmName, "wasm-runc-wasm"} {
		res := pm.podman(t, callerOpts{}, append([]string{"--runtime", rt}, append(pm.runArgs("run", "--rm"), wasiImage, "args", "exit", "13")...)...)
		if res.code != 13 || !hasLine(res.stdout, "arg[0]=/hello.wasm") {
			t.Errorf("--runtime %s: want the module's output and exit 13; got %s", rt, res)
		}
	}
	res := pm.podman(t, callerOpts{}, append([]string{"--runtime", pm.links.plain}, append(pm.runArgs("run", "--rm"), wasiImage, "args")...)...)
	if res.code == 0 || !strings.Contains(res.stdout+res.stderr, "exec format error") {
		t.Errorf("plain name, no annotation: want the native exec of a .wasm to fail; got %s", res)
	}
}

// testPodmanErrors: with the runtime listed in runtime_supports_json,
// podman reads the runtime's --log as JSON and maps its errors to exit
// codes 126 and 127.
func testPodmanErrors(t *testing.T, pm *podmanEnv) {
	res := pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "--entrypoint", "/no/such/program"), nativeImage)...)
	if res.code != 127 || !strings.Contains(res.stderr, "no such file or directory") {
		t.Errorf("missing entrypoint: want exit 127 and the runtime's reason; got %s", res)
	}
	res = pm.podman(t, callerOpts{}, append(pm.runArgs("run", "--rm", "--annotation", "module.wasm.image/variant=compat"), nativeImage, "sh")...)
	if res.code != 126 || !strings.Contains(res.stderr, "not a WebAssembly module") {
		t.Errorf("compat annotation on a native entrypoint: want exit 126 and the reason; got %s", res)
	}
	// Decoded from JSON, the message carries no logrus text framing.
	if strings.Contains(res.stderr, "level=error") {
		t.Errorf("podman did not decode the runtime's JSON log: %s", res.stderr)
	}
}
