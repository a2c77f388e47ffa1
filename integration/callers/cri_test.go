package callers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CRI tests run one pod the way a kubelet does on a node whose
// RuntimeClass names the wasm-runc handler, against CRI-O and against
// containerd's CRI plugin, both driven by crictl: the same pod, the same
// checks (testCRIPod), the engine's configuration from docs/callers.md.

// criNode is one private CRI implementation and the crictl that talks to it.
type criNode struct {
	engine string // "CRI-O", "containerd"
	dir    string
	// crictlConf is the crictl.yaml naming the private endpoint; crictl
	// finds it through CRI_CONFIG_FILE, so documented crictl command lines
	// run as printed.
	crictlConf string
	daemonLog  string
	// cgroupParent is the pods' cgroup_parent: everything of the pod is
	// below it, and it must be empty after rmp.
	cgroupParent string
	// stateDir returns the runtime's state directory of a container (its
	// --root joined with the id), which must be gone after rmp.
	stateDir func(id string) string
	// sandboxProcess is whether a pod has a sandbox (pause) process:
	// containerd always runs one, CRI-O with drop_infra_ctr does not.
	sandboxProcess bool
	// cache is the runtime's private compiled-module cache.
	cache string
	// snippet is the engine's configuration from docs/callers.md.
	snippet string
}

// crictlConfig is the private crictl.yaml.
const crictlConfig = `runtime-endpoint: unix://{{sock}}
image-endpoint: unix://{{sock}}
timeout: 60
debug: false
pull-image-on-create: false
disable-pull-on-run: true
`

func writeCrictlConfig(t *testing.T, dir, sock string) string {
	t.Helper()
	p := filepath.Join(dir, "crictl.yaml")
	mustWrite(t, p, strings.ReplaceAll(crictlConfig, "{{sock}}", sock))
	return p
}

// crictl runs crictl against the node.
func (n *criNode) crictl(t *testing.T, o callerOpts, args ...string) result {
	t.Helper()
	o.env = append(o.env, "CRI_CONFIG_FILE="+n.crictlConf)
	return runCaller(t, o, "crictl", args...)
}

// mustCrictl is crictl that fails the test unless it exits 0.
func (n *criNode) mustCrictl(t *testing.T, args ...string) result {
	t.Helper()
	res := n.crictl(t, callerOpts{}, args...)
	if res.code != 0 {
		t.Fatalf("%s\n%s log:\n%s", res, n.engine, lastLines(readFile(n.daemonLog), 20))
	}
	return res
}

// lastWord is the id that crictl runp and create print.
func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// writeJSON writes v as JSON into dir/name and returns the path.
func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	mustWrite(t, p, string(b)+"\n")
	return p
}

// CRI NamespaceMode values (runtime.v1): POD is 0, CONTAINER 1, NODE 2.
const (
	nsContainer = 1
	nsNode      = 2
)

// criPodConfig is a kubelet's PodSandboxConfig for a pod annotated
// compat-smart, on the node's network (no CNI network needed) with a PID
// namespace per container, the Kubernetes default.
func criPodConfig(n *criNode, name, logDir string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{
			"name": name, "uid": randomHex(8), "namespace": "default", "attempt": 0,
		},
		"log_directory": logDir,
		"annotations":   map[string]string{"module.wasm.image/variant": "compat-smart"},
		"linux": map[string]any{
			"cgroup_parent": n.cgroupParent,
			"security_context": map[string]any{
				"namespace_options": map[string]any{"network": nsNode, "pid": nsContainer},
			},
		},
	}
}

// criContainerConfig is a ContainerConfig for the pod.
func criContainerConfig(name, image string, command, args []string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"name": name},
		"image":    map[string]any{"image": image},
		"command":  command,
		"args":     args,
		"log_path": name + ".log",
		"linux": map[string]any{
			"security_context": map[string]any{
				"namespace_options": map[string]any{"network": nsNode, "pid": nsContainer},
			},
		},
	}
}

// criInspect is what the tests read from `crictl inspect -o json`.
type criInspect struct {
	Status struct {
		ID       string `json:"id"`
		State    string `json:"state"`
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
	} `json:"status"`
	Info struct {
		Pid         int `json:"pid"`
		RuntimeSpec struct {
			Annotations map[string]string `json:"annotations"`
			Process     struct {
				Cwd string `json:"cwd"`
			} `json:"process"`
		} `json:"runtimeSpec"`
	} `json:"info"`
}

func (n *criNode) inspect(t *testing.T, id string) criInspect {
	t.Helper()
	res := n.mustCrictl(t, "inspect", "-o", "json", id)
	var c criInspect
	if err := json.Unmarshal([]byte(res.stdout), &c); err != nil {
		t.Fatalf("crictl inspect %s: %v\n%s", id, err, res.stdout)
	}
	return c
}

// waitExited polls crictl inspect until the container has exited.
func (n *criNode) waitExited(t *testing.T, id string, within time.Duration) criInspect {
	t.Helper()
	var c criInspect
	if !eventually(within, func() bool { c = n.inspect(t, id); return c.Status.State == "CONTAINER_EXITED" }) {
		t.Fatalf("container %s: state %s, not exited within %v", id, c.Status.State, within)
	}
	return c
}

// runContainer creates and starts a container in the pod and returns its id.
func (n *criNode) runContainer(t *testing.T, pod, podConfig, dir string, config map[string]any) string {
	t.Helper()
	name := config["metadata"].(map[string]any)["name"].(string)
	file := writeJSON(t, dir, "container-"+name+".json", config)
	id := lastWord(n.mustCrictl(t, "create", pod, file, podConfig).stdout)
	n.mustCrictl(t, "start", id)
	return id
}

// removePods stops and removes every pod left (a failed test's), before
// the daemon goes; a pod left at that point is an error.
func (n *criNode) removePods(t *testing.T) {
	quick := callerOpts{timeout: 60 * time.Second}
	for _, id := range strings.Fields(n.crictl(t, quick, "pods", "-q").stdout) {
		t.Errorf("cleanup: pod %s left behind", id)
		n.crictl(t, quick, "stopp", id)
		n.crictl(t, quick, "rmp", "--force", id)
	}
}

// testCRIPod runs a pod annotated compat-smart with the wasm-runc handler,
// as a RuntimeClass would select it, with a Wasm container and a native
// busybox sidecar, and drives it with crictl through the kubelet's verbs.
func testCRIPod(t *testing.T, n *criNode) {
	dir := t.TempDir()
	handler := runtimeClassHandler(t)
	if !strings.Contains(n.snippet, "runtimes."+handler+"]") {
		t.Fatalf("the documented %s configuration defines no runtime named %q, the RuntimeClass's handler:\n%s", n.engine, handler, n.snippet)
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	podConfig := writeJSON(t, dir, "pod.json", criPodConfig(n, "wasm-pod", logDir))
	began := time.Now()
	res := n.mustCrictl(t, "runp", "--runtime", handler, podConfig)
	pod := lastWord(res.stdout)
	t.Logf("runp --runtime %s: pod %s in %v", handler, pod, time.Since(began).Round(time.Millisecond))

	// The app: a Go wasip1 module that prints its args and sleeps in a WASI
	// call, with cwd / (the image's default).
	wasm := n.runContainer(t, pod, podConfig, dir, criContainerConfig("wasm", wasmImage, []string{"/hello.wasm"}, []string{"args", "sleep", "300"}))
	// The sidecar: busybox, natively, ending on SIGTERM with 0.
	native := n.runContainer(t, pod, podConfig, dir, criContainerConfig("native", nativeImage,
		[]string{"sh", "-c"}, []string{`trap "exit 0" TERM; echo native-up; while :; do sleep 0.2; done`}))

	t.Run("Logs", func(t *testing.T) {
		for _, want := range []struct{ id, line string }{{wasm, "arg[2]=sleep"}, {native, "native-up"}} {
			var out string
			if !eventually(10*time.Second, func() bool {
				out = n.crictl(t, callerOpts{}, "logs", want.id).stdout
				return hasLine(out, want.line)
			}) {
				t.Errorf("crictl logs %s: no line %q in %q", want.id[:12], want.line, out)
			}
		}
	})

	t.Run("Annotations", func(t *testing.T) {
		// The pod's annotation reached each container's OCI config, and
		// compat-smart ran each by what its entrypoint is.
		for _, id := range []string{wasm, native} {
			c := n.inspect(t, id)
			if got := c.Info.RuntimeSpec.Annotations["module.wasm.image/variant"]; got != "compat-smart" {
				t.Errorf("container %s: module.wasm.image/variant is %q in its OCI config", id[:12], got)
			}
		}
		pid := n.inspect(t, native).Info.Pid
		if exe := readLink(fmt.Sprintf("/proc/%d/exe", pid)); !strings.Contains(exe, "busybox") {
			t.Errorf("the native sidecar runs %q, want busybox run natively", exe)
		}
		if n.sandboxProcess {
			var info struct {
				Info struct {
					Pid int `json:"pid"`
				} `json:"info"`
			}
			if err := json.Unmarshal([]byte(n.mustCrictl(t, "inspectp", "-o", "json", pod).stdout), &info); err != nil {
				t.Fatal(err)
			}
			if exe := readLink(fmt.Sprintf("/proc/%d/exe", info.Info.Pid)); !strings.HasSuffix(exe, "/catatonit") {
				t.Errorf("the pod's sandbox process is %q, want catatonit run natively", exe)
			}
		}
	})

	t.Run("Exec", func(t *testing.T) {
		// exec streams through the engine's streaming server; exec -s is
		// ExecSync. crictl prints a command's output and exits 0 when the
		// command does; otherwise it exits 1 and names the exit code.
		for _, x := range []struct {
			name   string
			id     string
			cmd    []string
			out    string
			failed []string // a command exiting 5
		}{
			{"wasm", wasm, []string{"/hello.wasm", "args"}, "arg[0]=/hello.wasm", []string{"/hello.wasm", "exit", "5"}},
			{"native", native, []string{"sh", "-c", "echo native exec"}, "native exec", []string{"sh", "-c", "exit 5"}},
		} {
			for _, mode := range [][]string{{"exec"}, {"exec", "-s"}} {
				res := n.crictl(t, callerOpts{}, append(append(mode, x.id), x.cmd...)...)
				if res.code != 0 || !hasLine(res.stdout, x.out) {
					t.Errorf("crictl %s into the %s container: want exit 0 and %q; got %s", strings.Join(mode, " "), x.name, x.out, res)
				}
				res = n.crictl(t, callerOpts{}, append(append(mode, x.id), x.failed...)...)
				if res.code != 1 || !(strings.Contains(res.stderr, "exit code 5") || strings.Contains(res.stderr, "exited with 5")) {
					t.Errorf("crictl %s into the %s container, command exiting 5: want crictl to exit 1 naming exit code 5; got %s", strings.Join(mode, " "), x.name, res)
				}
			}
		}
	})

	t.Run("Attach", func(t *testing.T) {
		// A Wasm container copying stdin to stdout; crictl attach -i feeds
		// it, and stdin_once closes its stdin when attach ends.
		config := criContainerConfig("reader", wasmImage, []string{"/hello.wasm"}, []string{"stdin"})
		config["stdin"], config["stdin_once"] = true, true
		id := n.runContainer(t, pod, podConfig, dir, config)
		res := n.crictl(t, callerOpts{stdin: strings.NewReader("hello through attach\n")}, "attach", "-i", id)
		if res.code != 0 || !hasLine(res.stdout, "hello through attach") {
			t.Errorf("crictl attach -i: want the line echoed back; got %s", res)
		}
		c := n.waitExited(t, id, 10*time.Second)
		if c.Status.ExitCode != 0 {
			t.Errorf("the reader exited %d after its stdin closed, want 0", c.Status.ExitCode)
		}
		n.mustCrictl(t, "rm", id)
	})

	t.Run("Stats", func(t *testing.T) {
		var st struct {
			Stats []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
				Memory struct {
					WorkingSetBytes struct {
						Value json.Number `json:"value"`
					} `json:"workingSetBytes"`
				} `json:"memory"`
			} `json:"stats"`
		}
		res := n.mustCrictl(t, "stats", "-o", "json", "--id", wasm)
		if err := json.Unmarshal([]byte(res.stdout), &st); err != nil || len(st.Stats) != 1 {
			t.Fatalf("crictl stats: %v\n%s", err, res.stdout)
		}
		if v, _ := st.Stats[0].Memory.WorkingSetBytes.Value.Int64(); v <= 0 {
			t.Errorf("crictl stats of the Wasm container: memory working set %q, want > 0", st.Stats[0].Memory.WorkingSetBytes.Value)
		}
	})

	t.Run("ExitCodes", func(t *testing.T) {
		for _, x := range []struct {
			name string
			args []string
			code int
		}{
			{"zero", []string{"/wat/hello.wasm"}, 0},
			{"seven", []string{"/hello.wasm", "exit", "7"}, 7},
			{"trap", []string{"/wat/trap.wasm"}, 134}, // 128+SIGABRT, docs/wasm.md
		} {
			id := n.runContainer(t, pod, podConfig, dir, criContainerConfig("exit-"+x.name, wasmImage, x.args[:1], x.args[1:]))
			c := n.waitExited(t, id, 20*time.Second)
			if c.Status.ExitCode != x.code {
				t.Errorf("%s: crictl inspect reports exit code %d, want %d (reason %q)", x.name, c.Status.ExitCode, x.code, c.Status.Reason)
			}
			n.mustCrictl(t, "rm", id)
		}
	})

	t.Run("Stop", func(t *testing.T) {
		// crictl stop -t 10: SIGTERM, SIGKILL after 10 s. The module
		// sleeping in a WASI call ends on SIGTERM (exit 143), the sidecar
		// by its trap (0).
		for _, x := range []struct {
			name, id string
			code     int
		}{{"Wasm", wasm, 143}, {"native", native, 0}} {
			pid := n.inspect(t, x.id).Info.Pid
			began := time.Now()
			n.mustCrictl(t, "stop", "-t", "10", x.id)
			took := time.Since(began)
			c := n.inspect(t, x.id)
			t.Logf("%s: crictl stop -t 10 of the %s container returned after %v, exit code %d", n.engine, x.name, took.Round(time.Millisecond), c.Status.ExitCode)
			if c.Status.State != "CONTAINER_EXITED" || c.Status.ExitCode != x.code {
				t.Errorf("after crictl stop: state %s, exit code %d; want CONTAINER_EXITED and %d", c.Status.State, c.Status.ExitCode, x.code)
			}
			if !eventually(2*time.Second, func() bool { return processGone(pid) }) {
				t.Errorf("the %s container's process %d still runs after stop", x.name, pid)
			}
		}
		// SIGKILL (stop with no grace) is 137, as for any process.
		id := n.runContainer(t, pod, podConfig, dir, criContainerConfig("killed", wasmImage, []string{"/hello.wasm"}, []string{"sleep", "300"}))
		n.mustCrictl(t, "stop", "-t", "0", id)
		if c := n.waitExited(t, id, 10*time.Second); c.Status.ExitCode != 137 {
			t.Errorf("crictl stop -t 0: exit code %d, want 137 (SIGKILL)", c.Status.ExitCode)
		}
	})

	// stopp and rmp take the pod and every container in it.
	n.mustCrictl(t, "stopp", pod)
	n.mustCrictl(t, "rmp", pod)
	if out := n.mustCrictl(t, "pods", "-q").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("pods left after rmp: %q", out)
	}
	if out := n.mustCrictl(t, "ps", "-a", "-q").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("containers left after rmp: %q", out)
	}
	for _, id := range []string{wasm, native} {
		if _, err := os.Lstat(n.stateDir(id)); err == nil {
			t.Errorf("the runtime's state %s is left after rmp", n.stateDir(id))
		}
	}
	if busy := busyCgroups(n.cgroupParent); len(busy) > 0 {
		t.Errorf("processes left in the pod's cgroups after rmp: %v", busy)
	}
	if entries, _ := os.ReadDir(n.cache); len(entries) == 0 {
		t.Errorf("nothing in the private compiled-module cache %s: the engine's environment did not reach the runtime", n.cache)
	}
}

// runtimeClassHandler is the handler of the documented RuntimeClass: what
// the kubelet passes to RunPodSandbox as runtime_handler, and crictl runp
// as --runtime.
func runtimeClassHandler(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(docSnippet(t, "kubernetes-runtimeclass.yaml"), "\n") {
		if h, ok := strings.CutPrefix(line, "handler:"); ok {
			return strings.TrimSpace(h)
		}
	}
	t.Fatal("the documented RuntimeClass has no handler")
	return ""
}

// busyCgroups lists the cgroups under rel (in every hierarchy) that still
// hold a process.
func busyCgroups(rel string) []string {
	roots, _ := filepath.Glob(filepath.Join(cgroupMount, "*", rel))
	roots = append(roots, filepath.Join(cgroupMount, rel))
	var busy []string
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() && strings.TrimSpace(readFile(filepath.Join(p, "cgroup.procs"))) != "" {
				busy = append(busy, p)
			}
			return nil
		})
	}
	return busy
}

func readLink(path string) string {
	s, _ := os.Readlink(path)
	return s
}

// TestContainerdCRI drives containerd's CRI plugin with crictl, with the
// containerd configuration and the RuntimeClass of docs/callers.md: see
// testCRIPod. The sandbox (pause) container is catatonit, built locally.
func TestContainerdCRI(t *testing.T) {
	requireCommands(t, "containerd", "containerd-shim-runc-v2", "ctr", "crictl", "podman", "conmon", "catatonit")
	start := time.Now()
	snippet := docSnippet(t, "containerd-config.toml")
	cri := `[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "` + pauseImage + `"
  # Test machine: no CAP_SYS_RESOURCE, so no lowering of oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{{dir}}/cni/bin"
    conf_dir = "{{dir}}/cni/conf"

# docs/callers.md, as written:
` + snippet
	d := startContainerd(t, cri, "k8s.io")
	d.importImages(t, pauseImage, wasmImage, nativeImage)
	n := &criNode{
		engine:         "containerd",
		dir:            d.dir,
		crictlConf:     writeCrictlConfig(t, d.dir, d.sock),
		daemonLog:      d.log,
		cgroupParent:   "/" + cgroupParent + "/cri-" + randomHex(4),
		stateDir:       func(id string) string { return filepath.Join(shimDefaultRuncRoot, "k8s.io", id) },
		sandboxProcess: true,
		cache:          d.cache,
		snippet:        snippet,
	}
	t.Cleanup(func() { n.removePods(t) })
	t.Cleanup(func() {
		if stuck := removeCgroupTree(n.cgroupParent); len(stuck) > 0 {
			t.Errorf("cleanup: cgroups still in use: %v", stuck)
		}
	})
	t.Logf("containerd CRI: %s, up with the test images in %v",
		strings.Join(strings.Fields(n.mustCrictl(t, "version").stdout), " "), time.Since(start).Round(time.Millisecond))
	testCRIPod(t, n)
}
