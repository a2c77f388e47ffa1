package callers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCRIO drives a private CRI-O (v1.34, scripts/build-cri-tools.sh) with
// crictl, wasm-runc configured as a runtime handler by the drop-in of
// docs/callers.md: see testCRIPod.
//
// The daemon is private: its storage, run root, socket, runtime roots,
// exits, attach and namespace directories, version files, pod logs and CNI
// configuration are in a temporary directory, the machine's
// /etc/crio is not read, NRI is off, cgroups are cgroupfs below the
// harness's parent. Images are built with podman and loaded into CRI-O's
// storage; nothing is pulled.
func TestCRIO(t *testing.T) {
	requireCommands(t, "crio", "pinns", "crictl", "conmon", "podman", "catatonit")
	start := time.Now()
	snippet := docSnippet(t, "crio-wasm-runc.conf")
	c := startCRIO(t, []dropIn{{"50-wasm-runc.conf", snippet}}, pauseImage, wasmImage, nativeImage, wasiImage)
	c.snippet = snippet
	t.Logf("CRI-O: %s, up with the test images in %v",
		strings.Join(strings.Fields(c.mustCrictl(t, "version").stdout), " "), time.Since(start).Round(time.Millisecond))
	testCRIPod(t, c.criNode)
	t.Run("WasiPlatform", func(t *testing.T) { testCRIOWasiPlatform(t, c) })
}

// TestCRIORefusesRunOCIHandler: with run.oci.handler in its
// allowed_annotations (as docs/callers.md had it), CRI-O 1.34 ignores the
// wasm-runc handler, so that a pod asking for it fails, and exits at start
// when wasm-runc is its default runtime. docs/callers.md says so and why.
func TestCRIORefusesRunOCIHandler(t *testing.T) {
	requireCommands(t, "crio", "pinns", "conmon", "crictl")
	const (
		tested = `allowed_annotations = ["module.wasm.image/variant"]`
		old    = `allowed_annotations = ["module.wasm.image/variant", "run.oci.handler"]`
		reason = "invalid allowed_annotation: run.oci.handler"
	)
	snippet := docSnippet(t, "crio-wasm-runc.conf")
	if !strings.Contains(snippet, tested) {
		t.Fatalf("the documented drop-in has no line %s:\n%s", tested, snippet)
	}
	oldDropIn := dropIn{"50-wasm-runc.conf", strings.Replace(snippet, tested, old, 1)}

	t.Run("DefaultRuntime", func(t *testing.T) {
		c := newCRIO(t, []dropIn{oldDropIn, {"60-default.conf", "[crio.runtime]\ndefault_runtime = \"wasm-runc\"\n"}})
		res := runCaller(t, callerOpts{timeout: 60 * time.Second}, "crio", c.crioArgs()...)
		if res.code <= 0 || !strings.Contains(res.stdout+res.stderr, reason) {
			t.Errorf("crio with wasm-runc as default runtime: want it to exit at start with %q; got %s", reason, lastLines(res.String(), 5))
		}
	})

	t.Run("Handler", func(t *testing.T) {
		c := newCRIO(t, []dropIn{oldDropIn})
		c.start(t)
		if want := `Runtime handler \"wasm-runc\" is being ignored due to: ` + reason; !strings.Contains(readFile(c.daemonLog), want) {
			t.Errorf("CRI-O's log lacks %q", want)
		}
		dir := t.TempDir()
		podConfig := writeJSON(t, dir, "pod.json", criPodConfig(c.criNode, "refused", dir))
		res := c.crictl(t, callerOpts{}, "runp", "--runtime", runtimeClassHandler(t), podConfig)
		t.Logf("crictl runp --runtime wasm-runc: exit %d: %s", res.code, strings.TrimSpace(res.stderr))
		if res.code == 0 {
			t.Errorf("a pod asking for the ignored handler ran: %s", res)
			c.crictl(t, callerOpts{}, "rmp", "--force", lastWord(res.stdout))
		}
	})
}

// testCRIOWasiPlatform: a pod without the Wasm annotation, and a container
// whose image's platform is wasi/wasm. The drop-in's platform_runtime_paths
// runs it under the -wasm name, which treats every container as
// compat-smart: the module runs, where the plain name would try to exec it
// natively.
func testCRIOWasiPlatform(t *testing.T, c *crioEnv) {
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := criPodConfig(c.criNode, "wasi-pod", logDir)
	delete(config, "annotations")
	podConfig := writeJSON(t, dir, "pod.json", config)
	pod := lastWord(c.mustCrictl(t, "runp", "--runtime", runtimeClassHandler(t), podConfig).stdout)
	id := c.runContainer(t, pod, podConfig, dir, criContainerConfig("wasi", wasiImage, nil, []string{"args", "exit", "9"}))
	st := c.waitExited(t, id, 20*time.Second)
	logs := c.crictl(t, callerOpts{}, "logs", id).stdout
	if st.Status.ExitCode != 9 || !hasLine(logs, "arg[0]=/hello.wasm") {
		t.Errorf("a wasi/wasm image in a pod without annotation: want the module's output and exit 9; got exit %d (%s), logs %q", st.Status.ExitCode, st.Status.Reason, logs)
	}
	if p := st.Info.RuntimeSpec.Annotations["io.kubernetes.cri-o.PlatformRuntimePath"]; filepath.Base(p) != "wasm-runc-wasm" {
		t.Errorf("CRI-O chose the runtime path %q for the wasi/wasm image, want the -wasm name", p)
	}
	c.mustCrictl(t, "stopp", pod)
	c.mustCrictl(t, "rmp", pod)
}

// crioEnv is one private CRI-O.
type crioEnv struct {
	*criNode
	sock   string
	links  runtimeLinks
	daemon *exec.Cmd
	exited chan struct{}
	// madeCrunRoot: /run/crun was not there before the daemon started.
	madeCrunRoot bool
	stateRoot    string // wasm-runc's --root for the daemon's containers
}

// crioConfig is the private daemon's configuration: everything CRI-O would
// otherwise put in /var/lib, /var/run, /var/log and /etc, and this
// machine's limits. The runtime handler comes from the drop-in under test.
const crioConfig = `[crio]
root = "{{dir}}/root"
runroot = "{{dir}}/runroot"
storage_driver = "overlay"
log_dir = "{{dir}}/pods"
version_file = "{{dir}}/version"
version_file_persist = "{{dir}}/version-persist"
clean_shutdown_file = "{{dir}}/clean.shutdown"

[crio.api]
listen = "{{dir}}/crio.sock"
stream_address = "127.0.0.1"
stream_port = "0"

[crio.runtime]
default_runtime = "runc"
cgroup_manager = "cgroupfs"
conmon = "{{conmon}}"
conmon_cgroup = "pod"
# The runtime's private compiled-module cache: conmon passes its
# environment on to the runtime.
conmon_env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "WASM_RUNC_CACHE_DIR={{dir}}/wasm-cache"]
container_exits_dir = "{{dir}}/exits"
container_attach_socket_dir = "{{dir}}/attach"
namespaces_dir = "{{dir}}/ns"
pinns_path = "{{pinns}}"
drop_infra_ctr = true
hooks_dir = ["{{dir}}/hooks"]
irqbalance_config_restore_file = "disable"

[crio.runtime.runtimes.runc]
runtime_path = "{{runc}}"
runtime_root = "{{dir}}/runc"

[crio.image]
pause_image = "{{pause}}"
signature_policy = "{{dir}}/policy.json"

[crio.network]
network_dir = "{{dir}}/cni/net.d"
plugin_dirs = ["/usr/lib/cni"]

[crio.nri]
enable_nri = false
`

// crunDefaultRoot is the state root of CRI-O's built-in crun handler.
const crunDefaultRoot = "/run/crun"

// crioPolicy accepts every image: the test images are built locally.
const crioPolicy = `{"default": [{"type": "insecureAcceptAnything"}]}
`

// dropIn is one file of CRI-O's --config-dir.
type dropIn struct{ name, content string }

// startCRIO starts a private CRI-O with the drop-ins (the install paths of
// docs/callers.md pointing at the binary under test, wasm-runc's
// runtime_root in the daemon's directory), the CNI network of docs/node.md
// and the images, built locally, in its storage.
func startCRIO(t *testing.T, dropIns []dropIn, images ...string) *crioEnv {
	t.Helper()
	c := newCRIO(t, dropIns, images...)
	c.start(t)
	return c
}

// newCRIO prepares startCRIO's daemon: its directory, configuration and
// images.
func newCRIO(t *testing.T, dropIns []dropIn, images ...string) *crioEnv {
	t.Helper()
	dir := shortTempDir(t, "crio-")
	c := &crioEnv{
		sock:   filepath.Join(dir, "crio.sock"),
		links:  newRuntimeLinks(t),
		exited: make(chan struct{}),
	}
	c.criNode = &criNode{
		engine:       "CRI-O",
		dir:          dir,
		daemonLog:    filepath.Join(dir, "crio.log"),
		cgroupParent: "/" + cgroupParent + "/crio-" + randomHex(4),
		cache:        filepath.Join(dir, "wasm-cache"),
	}
	c.crictlConf = writeCrictlConfig(t, dir, c.sock)
	t.Cleanup(func() { c.cleanup(t) })
	for _, sub := range []string{"wasm-cache", "hooks", "cni/net.d", "crio.conf.d", "pods"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	paths := map[string]string{"{{dir}}": dir, "{{pause}}": pauseImage}
	for _, prog := range []string{"conmon", "pinns", "runc"} {
		p, err := exec.LookPath(prog)
		if err != nil {
			t.Skipf("missing precondition: %s is not installed (scripts/install-deps.sh installs it)", prog)
		}
		paths["{{"+prog+"}}"] = p
	}
	config := crioConfig
	for k, v := range paths {
		config = strings.ReplaceAll(config, k, v)
	}
	mustWrite(t, filepath.Join(dir, "crio.conf"), config)
	mustWrite(t, filepath.Join(dir, "policy.json"), crioPolicy)
	// CRI-O wants a CNI network to call itself ready, even for pods on the
	// node's network: the loopback one of docs/node.md.
	mustWrite(t, filepath.Join(dir, "cni", "net.d", "10-loopback.conflist"), docSnippetIn(t, "node.md", "node-cni.conflist"))
	// The drop-ins as documented; wasm-runc's runtime_root goes to the
	// private directory like everything else of the daemon's.
	c.stateRoot = filepath.Join(dir, "wasm-runc")
	for _, d := range dropIns {
		content := strings.ReplaceAll(c.links.localize(d.content), `runtime_root = "/run/wasm-runc"`, `runtime_root = "`+c.stateRoot+`"`)
		mustWrite(t, filepath.Join(dir, "crio.conf.d", d.name), content)
	}
	c.stateDir = func(id string) string { return filepath.Join(c.stateRoot, id) }

	if len(images) > 0 {
		c.loadImages(t, images...)
	}

	// CRI-O makes the state root of its built-in crun handler, /run/crun,
	// at start, whatever the configuration: remove it afterwards if it was
	// not there before (and is empty).
	_, statErr := os.Stat(crunDefaultRoot)
	c.madeCrunRoot = os.IsNotExist(statErr)
	return c
}

// crioArgs is the daemon's command line.
func (c *crioEnv) crioArgs() []string {
	return []string{
		"--config", filepath.Join(c.dir, "crio.conf"),
		"--config-dir", filepath.Join(c.dir, "crio.conf.d"),
		"--log-level", "info",
	}
}

// start starts the daemon and waits until crictl reaches it.
func (c *crioEnv) start(t *testing.T) {
	t.Helper()
	logf, err := os.Create(c.daemonLog)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("crio", c.crioArgs()...)
	cmd.Env = callerEnviron()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := startTracked(cmd); err != nil {
		t.Fatalf("starting crio: %v", err)
	}
	c.daemon = cmd
	go func() {
		_ = waitTracked(cmd)
		close(c.exited)
	}()
	if !eventually(60*time.Second, func() bool {
		select {
		case <-c.exited:
			return true
		default:
		}
		return c.crictl(t, callerOpts{timeout: 5 * time.Second}, "version").code == 0
	}) {
		t.Fatalf("crio did not come up within 60s; log:\n%s", lastLines(readFile(c.daemonLog), 30))
	}
	select {
	case <-c.exited:
		t.Fatalf("crio exited at start; log:\n%s", lastLines(readFile(c.daemonLog), 30))
	default:
	}
}

// crioPodman runs podman on CRI-O's storage.
func (c *crioEnv) crioPodman(t *testing.T, args ...string) result {
	t.Helper()
	full := append([]string{
		"--root", filepath.Join(c.dir, "root"),
		"--runroot", filepath.Join(c.dir, "runroot"),
		"--tmpdir", filepath.Join(c.dir, "libpod"),
		"--storage-driver", "overlay",
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
	}, args...)
	res := runCaller(t, callerOpts{}, "podman", full...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	return res
}

// loadImages builds the test images with a private podman and loads them
// into CRI-O's storage from OCI archives.
func (c *crioEnv) loadImages(t *testing.T, images ...string) {
	t.Helper()
	pm := newPodman(t)
	m := buildTestModules(t)
	wasmCtx, nativeCtx := writeImageContexts(t, m, t.TempDir())
	contexts := map[string]string{wasmImage: wasmCtx, wasiImage: wasmCtx, nativeImage: nativeCtx, pauseImage: writePauseContext(t)}
	archives := t.TempDir()
	for _, img := range images {
		build := []string{"build", "--no-cache", "-q", "-t", img}
		if img == wasiImage {
			build = append(build, "--platform", "wasi/wasm")
		}
		pm.mustPodman(t, append(build, contexts[img])...)
		archive := filepath.Join(archives, randomHex(4)+".tar")
		pm.mustPodman(t, "save", "--format", "oci-archive", "-o", archive, img)
		c.crioPodman(t, "load", "-q", "-i", archive)
	}
	out := c.crioPodman(t, "images", "--format", "{{.Repository}}:{{.Tag}}").stdout
	for _, img := range images {
		if !hasLine(out, img) {
			t.Fatalf("CRI-O's storage lacks %s after load; it has:\n%s", img, out)
		}
	}
}

// cleanup removes every pod, stops the daemon, kills conmons left behind,
// unmounts CRI-O's storage and removes the directory and the cgroups.
func (c *crioEnv) cleanup(t *testing.T) {
	if c.daemon != nil {
		select {
		case <-c.exited:
			t.Errorf("crio died during the test; log:\n%s", lastLines(readFile(c.daemonLog), 30))
		default:
			c.removePods(t)
			_ = c.daemon.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(20 * time.Second):
				t.Errorf("crio did not stop on SIGTERM within 20s")
				_ = c.daemon.Process.Kill()
				<-c.exited
			}
		}
	}
	if pids := reapLeftovers(5*time.Second, "conmon", c.dir); len(pids) > 0 {
		t.Errorf("cleanup: killed conmons left behind: %v", pids)
	}
	if pids := killProcessesUnder(c.dir); len(pids) > 0 {
		t.Errorf("cleanup: killed container processes left behind: %v", pids)
	}
	// CRI-O leaves its storage's overlay mount and the namespaces pinns
	// pinned (ns/) mounted when it stops: unmount, quietly.
	if m := unmountUnder(t, c.dir); len(m) > 0 {
		t.Logf("cleanup: unmounted %v", m)
	}
	// conmon's cgroups go once the last conmon, just reaped, is gone.
	var stuck []string
	if !eventually(5*time.Second, func() bool { stuck = removeCgroupTree(c.cgroupParent); return len(stuck) == 0 }) {
		t.Errorf("cleanup: cgroups still in use: %v", stuck)
	}
	if c.madeCrunRoot {
		_ = syscall.Rmdir(crunDefaultRoot)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}
