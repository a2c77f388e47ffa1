package callers

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCRIONodeWalkthrough runs docs/node.md: the node's CRI-O drop-in and
// CNI network as printed, next to the wasm-runc drop-in of docs/callers.md,
// then the walkthrough's shell block as printed (images built with podman
// into CRI-O's storage, a pod with a Wasm app and a native sidecar driven by
// crictl), and checks what the document says it prints. Its install block
// is what scripts/install-deps.sh does, which `make test` runs first: the
// test checks that the two agree.
func TestCRIONodeWalkthrough(t *testing.T) {
	requireCommands(t, "crio", "pinns", "crictl", "conmon", "podman", "catatonit", "bash")
	checkInstallBlock(t)

	c := startCRIO(t, []dropIn{
		{"10-node.conf", docSnippetIn(t, "node.md", "node-crio.conf")},
		{"50-wasm-runc.conf", docSnippet(t, "crio-wasm-runc.conf")},
	})
	// The walkthrough's podman works on CRI-O's storage, as podman's
	// defaults do on a node; here through a private storage.conf, and a
	// containers.conf keeping podman's own state private too.
	storageConf := filepath.Join(c.dir, "storage.conf")
	mustWrite(t, storageConf, "[storage]\ndriver = \"overlay\"\ngraphroot = \""+filepath.Join(c.dir, "root")+
		"\"\nrunroot = \""+filepath.Join(c.dir, "runroot")+"\"\n")
	containersConf := filepath.Join(c.dir, "containers.conf")
	mustWrite(t, containersConf, "[engine]\nlock_type = \"file\"\ntmp_dir = \""+filepath.Join(c.dir, "libpod")+
		"\"\nevents_logger = \"file\"\ncgroup_manager = \"cgroupfs\"\n")
	tmp := filepath.Join(c.dir, "tmp")
	work := filepath.Join(c.dir, "walk")
	for _, d := range []string{tmp, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}

	// The pods' cgroup parent moves below the harness's.
	parent := "/" + cgroupParent + "/walk-" + randomHex(4)
	c.cgroupParent = parent
	script := strings.ReplaceAll(docSnippetIn(t, "node.md", "node-walkthrough.sh"), `"/kubepods/`, `"`+parent+`/`)
	scriptFile := filepath.Join(c.dir, "walkthrough.sh")
	mustWrite(t, scriptFile, script)

	began := time.Now()
	res := runCaller(t, callerOpts{
		timeout: 5 * time.Minute,
		env: []string{
			"CRI_CONFIG_FILE=" + c.crictlConf,
			"CONTAINERS_STORAGE_CONF=" + storageConf,
			"CONTAINERS_CONF=" + containersConf,
			"TMPDIR=" + tmp,
			"SRC=" + repo,
			// The walkthrough builds with go, which may not be on PATH
			// when the tests run with go by its path.
			"PATH=" + os.Getenv("PATH") + ":" + filepath.Join(runtime.GOROOT(), "bin"),
		},
	}, "bash", "-c", `cd "$1" && exec bash -e -u -o pipefail -x "$2"`, "walkthrough", work, scriptFile)
	t.Logf("the walkthrough ran in %v", time.Since(began).Round(time.Millisecond))
	if res.code != 0 {
		t.Fatalf("docs/node.md's walkthrough failed: %s\nCRI-O log:\n%s", res, lastLines(readFile(c.daemonLog), 20))
	}
	for _, want := range []string{"arg[0]=/hello.wasm", "arg[2]=sleep", "arg[3]=300", "cwd=/", "from the sidecar", "143"} {
		if !hasLine(res.stdout, want) {
			t.Errorf("the walkthrough's output lacks the line %q (docs/node.md says it prints it):\n%s", want, res.stdout)
		}
	}
	if out := c.mustCrictl(t, "pods", "-q").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("pods left after the walkthrough's rmp: %q", out)
	}
	if busy := busyCgroups(parent); len(busy) > 0 {
		t.Errorf("processes left in the pod's cgroups: %v", busy)
	}
	if entries, _ := os.ReadDir(c.stateRoot); len(entries) > 0 {
		t.Errorf("wasm-runc state left in %s: %d entries", c.stateRoot, len(entries))
	}
}

// checkInstallBlock checks that scripts/install-deps.sh does what the
// install block of docs/node.md says: every package it names, and
// scripts/build-cri-tools.sh.
func checkInstallBlock(t *testing.T) {
	t.Helper()
	block := docSnippetIn(t, "node.md", "node-install.sh")
	deps := readFile(filepath.Join("..", "..", "scripts", "install-deps.sh"))
	installed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^pkgs\+?=\(([^)]*)\)`).FindAllStringSubmatch(deps, -1) {
		for _, p := range strings.Fields(m[1]) {
			installed[p] = true
		}
	}
	lines := strings.Split(strings.TrimSpace(block), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "apt-get install -y --no-install-recommends ") ||
		lines[1] != "scripts/build-cri-tools.sh" || lines[2] != "make install" {
		t.Fatalf("docs/node.md's install block is not apt-get install, scripts/build-cri-tools.sh, make install:\n%s", block)
	}
	for _, p := range strings.Fields(strings.TrimPrefix(lines[0], "apt-get install -y --no-install-recommends ")) {
		if !installed[p] {
			t.Errorf("docs/node.md installs %s, which scripts/install-deps.sh does not", p)
		}
	}
	if !strings.Contains(deps, "/build-cri-tools.sh") {
		t.Errorf("scripts/install-deps.sh does not run scripts/build-cri-tools.sh")
	}
}
