package integration

import (
	"context"
	"encoding/json"
	"github.com/bytecodealliance/wasmtime-go/v42"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rootlessUser is the unprivileged user the rootless tests run as: nobody
// needs no /etc/subuid entry, since `spec --rootless` maps only the user's
// own uid.
const (
	rootlessUID = 65534
	rootlessGID = 65534
)

// rootlessEnv runs a runtime binary as the unprivileged user, with
// $XDG_RUNTIME_DIR (and so the default state root) in a directory of its own.
type rootlessEnv struct {
	bin    string
	xdg    string
	bundle string
}

// newRootlessEnv prepares a user-owned XDG_RUNTIME_DIR and a bundle whose
// config.json the user generated with `spec --rootless`, then edits
// process.args.
func newRootlessEnv(t *testing.T, bin string, args ...string) *rootlessEnv {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is needed to run as an unprivileged user")
	}
	// t.TempDir is private to root; the user must reach the bundle.
	base, err := os.MkdirTemp("", "rootless")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	// The binary may sit in a directory only root can enter (a checkout
	// under a 0700 temp dir): the user runs a copy of it.
	own := filepath.Join(base, filepath.Base(bin))
	if err := copyFile(bin, own, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &rootlessEnv{bin: own, xdg: filepath.Join(base, "xdg"), bundle: filepath.Join(base, "bundle")}
	for _, d := range []string{e.xdg, e.bundle} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, rootlessUID, rootlessGID); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	makeRootfs(t, filepath.Join(e.bundle, "rootfs"))
	if res := e.run(t, "spec", "--rootless", "--bundle", e.bundle); res.code != 0 {
		t.Fatalf("spec --rootless as uid %d: %s", rootlessUID, res)
	}
	path := filepath.Join(e.bundle, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	s.Process.Terminal = false
	s.Process.Args = args
	writeSpec(t, e.bundle, &s)
	return e
}

// run runs the binary as the unprivileged user, stdio going to files.
func (e *rootlessEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	full := append([]string{
		"--reuid=" + strconv.Itoa(rootlessUID), "--regid=" + strconv.Itoa(rootlessGID), "--clear-groups",
		"env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "XDG_RUNTIME_DIR=" + e.xdg, e.bin,
	}, args...)
	cmd := exec.CommandContext(ctx, "setpriv", full...)
	cmd.Dir = e.bundle
	return toFiles(t, cmd, cancel).result(cmd, runTracked(cmd))
}

// cleanupContainer force-deletes id as the user when the test ends.
func (e *rootlessEnv) cleanupContainer(t *testing.T, id string) {
	t.Cleanup(func() { e.run(t, "delete", "--force", id) })
}

// TestRootlessRun runs a `spec --rootless` bundle as an unprivileged user:
// root inside maps to the user, the state lives in $XDG_RUNTIME_DIR and the
// exit code comes through.
func TestRootlessRun(t *testing.T) {
	e := newRootlessEnv(t, runtimeBinary, "sh", "-c", "id -u; cat /proc/self/uid_map; exit 3")
	id := newID(t)
	e.cleanupContainer(t, id)
	res := e.run(t, "run", id)
	if res.code != 3 {
		t.Fatalf("want exit 3; got %s", res)
	}
	fields := strings.Fields(res.stdout)
	if len(fields) != 4 || fields[0] != "0" || fields[1] != "0" || fields[2] != strconv.Itoa(rootlessUID) || fields[3] != "1" {
		t.Fatalf("want uid 0 inside, mapped to %d; got %q", rootlessUID, res.stdout)
	}
	if _, err := os.Stat(filepath.Join(e.xdg, "wasm-runc")); err != nil {
		t.Errorf("no state root under $XDG_RUNTIME_DIR: %v", err)
	}
}

// TestRootlessLifecycle drives a detached rootless container through
// state, list, exec, kill and delete. Verbs that need the container's
// cgroups (ps, pause, update) fail for rootless containers on cgroup v1, as
// they do under runc: they must fail the same way as the reference runc.
func TestRootlessLifecycle(t *testing.T) {
	e := newRootlessEnv(t, runtimeBinary, "sh", "-c", "echo ready; exec sleep 300")
	id := newID(t)
	e.cleanupContainer(t, id)
	if res := e.run(t, "run", "--detach", id); res.code != 0 {
		t.Fatalf("%s", res)
	}
	res := e.run(t, "state", id)
	var st containerState
	if res.code != 0 || json.Unmarshal([]byte(res.stdout), &st) != nil || st.Status != "running" || st.Owner != "nobody" {
		t.Fatalf("state: want running, owned by nobody; got %s", res)
	}
	if res := e.run(t, "list"); res.code != 0 || !strings.Contains(res.stdout, id) {
		t.Errorf("list: %s", res)
	}
	if res := e.run(t, "exec", id, "sh", "-c", "echo exec-$(id -u); exit 4"); res.code != 4 || res.stdout != "exec-0\n" {
		t.Errorf("exec: want exit 4 and exec-0; got %s", res)
	}
	if res := e.run(t, "exec", "--detach", id, "sleep", "30"); res.code != 0 {
		t.Errorf("exec --detach: %s", res)
	}
	if res := e.run(t, "events", "--stats", id); res.code != 0 {
		t.Errorf("events --stats: %s", res)
	}

	// Without cgroups of its own, these fail under runc too.
	ref := referenceRootless(t, e)
	for _, verb := range [][]string{{"ps", "--format", "json"}, {"pause"}, {"update", "--memory", "64m"}} {
		got := e.run(t, append(verb, id)...)
		if ref == nil {
			t.Logf("%v: exit %d (no reference runc to compare)", verb, got.code)
			continue
		}
		if want := ref.verb(t, verb...); (got.code == 0) != (want.code == 0) {
			t.Errorf("%v: exit %d, reference runc exit %d\n%s\n%s", verb, got.code, want.code, got, want)
		}
	}

	if res := e.run(t, "kill", id, "KILL"); res.code != 0 {
		t.Fatalf("kill: %s", res)
	}
	if !eventually(10*time.Second, func() bool {
		res := e.run(t, "state", id)
		return res.code == 0 && strings.Contains(res.stdout, `"stopped"`)
	}) {
		t.Fatal("rootless container did not stop after kill")
	}
	if res := e.run(t, "delete", id); res.code != 0 {
		t.Fatalf("delete: %s", res)
	}
	if _, err := os.Stat(filepath.Join(e.xdg, "wasm-runc", id)); err == nil {
		t.Errorf("state directory left behind")
	}
}

// rootlessReference is a detached rootless container of the reference runc
// on the same bundle.
type rootlessReference struct {
	env *rootlessEnv
	id  string
}

func referenceRootless(t *testing.T, e *rootlessEnv) *rootlessReference {
	t.Helper()
	if referenceRunc == "" {
		return nil
	}
	ref := &rootlessEnv{bin: referenceRunc, xdg: e.xdg, bundle: e.bundle}
	id := newID(t) + "-ref"
	ref.cleanupContainer(t, id)
	if res := ref.run(t, "run", "--detach", id); res.code != 0 {
		t.Logf("reference runc cannot run the rootless bundle: %s", res)
		return nil
	}
	return &rootlessReference{env: ref, id: id}
}

func (r *rootlessReference) verb(t *testing.T, args ...string) result {
	t.Helper()
	return r.env.run(t, append(args, r.id)...)
}

// TestRootlessWasm: a rootless user runs a Wasm container with a cache of
// its own; without the privilege for a read-only mount, the container gets
// the compiled module as a sealed memfd, which no one can write.
func TestRootlessWasm(t *testing.T) {
	e := newRootlessEnv(t, runtimeBinary, "/exit.wasm", "5")
	text, err := os.ReadFile("../examples/wat/exit.wat")
	if err != nil {
		t.Fatal(err)
	}
	bin, err := wasmtime.Wat2Wasm(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.bundle, "rootfs", "exit.wasm"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.bundle, "config.json")
	b, _ := os.ReadFile(path)
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	s.Annotations = map[string]string{wasmVariantKey: "compat"}
	writeSpec(t, e.bundle, &s)
	// The user's own directory, as ~/.cache would be: the cache and its key
	// (beside it) are created there.
	home := filepath.Join(filepath.Dir(e.xdg), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, rootlessUID, rootlessGID); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(home, "cache")
	id := newID(t)
	e.cleanupContainer(t, id)
	if res := e.run(t, "--cache-dir", cache, "run", id); res.code != 5 {
		t.Fatalf("want the module's exit 5; got %s\nstderr: %s", res, res.stderr)
	}
	if l, _ := filepath.Glob(filepath.Join(cache, "e-*", "*.cwasm")); len(l) != 1 {
		t.Errorf("%d entries in the user's cache", len(l))
	}
}
