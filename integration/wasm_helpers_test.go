package integration

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestWasmRunc runs Wasm containers: detection, WASI, security, exit codes,
// signals, resources, the compiled-module cache and what `state` and `ps`
// show. The modules are built once for all of them (the Go example with
// GOOS=wasip1, the WAT examples with wasmtime's Wat2Wasm) and, except where
// the cache itself is under test, share one compiled-module cache in a
// temporary directory: nothing touches /var/cache/wasm-runc.
//
// Select a part with -run 'TestWasmRunc$/Signals'.
func TestWasmRunc(t *testing.T) {
	fx := newWasmFixture(t)
	for _, part := range []struct {
		name string
		test func(*testing.T, *wasmFixture)
	}{
		{"Detection", testWasmDetection},
		{"PodPair", testWasmPodPair},
		{"WASI", testWasmWASI},
		{"Security", testWasmSecurity},
		{"ExitCodes", testWasmExitCodes},
		{"Signals", testWasmSignals},
		{"Resources", testWasmResources},
		{"Cache", testWasmCache},
		{"StateAndPs", testWasmStateAndPs},
		{"Trust", testWasmTrust},
		{"Components", testWasmComponents},
	} {
		t.Run(part.name, func(t *testing.T) { part.test(t, fx) })
	}
}

// wasmFixture is what every Wasm test uses.
type wasmFixture struct {
	// hello is the Go example (examples/hello) built for wasip1.
	hello string
	// wat names the WAT examples (examples/wat/<name>.wat) and the test's
	// own WAT modules, as text files.
	wat map[string]string
	// bin holds the same modules compiled to the binary format.
	bin map[string]string
	// cacheDir is the compiled-module cache the tests share.
	cacheDir string
}

// wasmTestWat are WAT modules of the tests' own, next to examples/wat.
var wasmTestWat = map[string]string{
	// ready-loop prints "ready" then spins without calling the host: once
	// "ready" is out, the runner's signal handling is in place.
	"ready-loop": `(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\06\00\00\00")
  (data (i32.const 16) "ready\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop $forever (br $forever))))`,
}

func newWasmFixture(t *testing.T) *wasmFixture {
	t.Helper()
	dir := t.TempDir()
	fx := &wasmFixture{
		hello:    filepath.Join(dir, "hello.wasm"),
		wat:      map[string]string{},
		bin:      map[string]string{},
		cacheDir: filepath.Join(dir, "cache"),
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	buildHelloModule(t, repo, fx.hello)

	sources := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(repo, "examples", "wat", "*.wat"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[strings.TrimSuffix(filepath.Base(f), ".wat")] = string(b)
	}
	for name, src := range wasmTestWat {
		sources[name] = src
	}
	for name, src := range sources {
		bin, err := wasmtime.Wat2Wasm(src)
		if err != nil {
			t.Fatalf("%s.wat: %v", name, err)
		}
		fx.wat[name] = filepath.Join(dir, name+".wat")
		fx.bin[name] = filepath.Join(dir, name+".bin")
		mustWrite(t, fx.wat[name], src)
		if err := os.WriteFile(fx.bin[name], bin, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"hello", "exit", "trap", "start-trap", "loop", "grow", "ready-loop"} {
		if fx.wat[name] == "" {
			t.Fatalf("WAT module %s missing from examples/wat", name)
		}
	}
	return fx
}

// opts makes an invocation use the shared compiled-module cache.
func (fx *wasmFixture) opts() cmdOpts {
	return cmdOpts{env: []string{"WASM_RUNC_CACHE_DIR=" + fx.cacheDir}}
}

// withCacheDir is cmdOpts using a cache directory of the test's own.
func withCacheDir(dir string) cmdOpts {
	return cmdOpts{env: []string{"WASM_RUNC_CACHE_DIR=" + dir}}
}

// Annotations as crun and the containerd/CRI-O ecosystem spell them.
const (
	wasmVariantKey = "module.wasm.image/variant"
	wasmHandlerKey = "run.oci.handler"
)

// withVariant sets module.wasm.image/variant.
func withVariant(v string) specOpt {
	return withAnnotations(map[string]string{wasmVariantKey: v})
}

// withProcessCwd sets process.cwd.
func withProcessCwd(dir string) specOpt {
	return func(s *specs.Spec) { s.Process.Cwd = dir }
}

// withProcessEnv replaces process.env.
func withProcessEnv(env ...string) specOpt {
	return func(s *specs.Spec) { s.Process.Env = env }
}

// withProcessUser sets process.user.
func withProcessUser(uid, gid uint32) specOpt {
	return func(s *specs.Spec) { s.Process.User = specs.User{UID: uid, GID: gid} }
}

// withExtraMount adds a mount.
func withExtraMount(m specs.Mount) specOpt {
	return func(s *specs.Spec) { s.Mounts = append(s.Mounts, m) }
}

// withResourcesEdit edits linux.resources.
func withResourcesEdit(edit func(*specs.LinuxResources)) specOpt {
	return func(s *specs.Spec) { edit(s.Linux.Resources) }
}

// withOnlyCapabilities gives the process exactly caps (bounding, effective,
// permitted).
func withOnlyCapabilities(caps ...string) specOpt {
	return func(s *specs.Spec) {
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}
}

// installFile copies the host file src into the container's rootfs at the
// absolute guest path, creating parent directories.
func installFile(t *testing.T, c *container, guest, src string, mode os.FileMode) {
	t.Helper()
	dst := filepath.Join(c.bundle, "rootfs", guest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(src, dst, mode); err != nil {
		t.Fatal(err)
	}
}

// writeRootfsFile writes content at the guest path of c's rootfs.
func writeRootfsFile(t *testing.T, c *container, guest, content string, mode os.FileMode) {
	t.Helper()
	dst := filepath.Join(c.bundle, "rootfs", guest)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

// wasmCreate is container.create with cmdOpts (the cache directory).
func wasmCreate(t *testing.T, c *container, o cmdOpts, extra ...string) result {
	t.Helper()
	res := c.createWith(t, o, extra...)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	c.state(t) // records the init pid for the leftover check
	return res
}

// wasmRun runs the container in the foreground and returns the result: its
// stdout and stderr are the container's.
func wasmRun(t *testing.T, c *container, o cmdOpts, extra ...string) result {
	t.Helper()
	return c.invoke(t, o, "run", extra...)
}

// foregroundRun is a foreground `run` started without waiting for it.
type foregroundRun struct {
	done chan result
}

// startForegroundRun starts `run` of c without waiting; the container's stdout is
// c.output().
func startForegroundRun(t *testing.T, c *container, o cmdOpts) *foregroundRun {
	t.Helper()
	cmd, outs := c.rt.command(t, o, "run", "--bundle", c.bundle, c.id)
	c.stdout, c.stderr = outs.stdout.Name(), outs.stderr.Name()
	if err := startTracked(cmd); err != nil {
		t.Fatal(err)
	}
	b := &foregroundRun{done: make(chan result, 1)}
	go func() { b.done <- outs.result(cmd, waitTracked(cmd)) }()
	t.Cleanup(func() {
		// The container's cleanup (registered earlier, run later) deletes it;
		// make sure run has returned by then, whatever the test did.
		c.rt.run(t, "kill", c.id, "KILL")
		select {
		case <-b.done:
		case <-time.After(commandTimeout):
		}
	})
	return b
}

// wait waits for run to return.
func (b *foregroundRun) wait(t *testing.T, within time.Duration) result {
	t.Helper()
	select {
	case res := <-b.done:
		b.done <- res // for the cleanup
		return res
	case <-time.After(within):
		t.Fatalf("run did not return within %v", within)
	}
	return result{}
}

// nonEmptyLines returns the non-empty lines of s.
func nonEmptyLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// procStatusField returns the value of a field of /proc/<pid>/status.
func procStatusField(t *testing.T, pid int, field string) string {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return ""
}

// procCmdline returns /proc/<pid>/cmdline split on NUL, without the NUL
// padding the runner leaves at the end.
func procCmdline(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimRight(b, "\x00")
	return strings.Split(string(b), "\x00")
}

// cacheEntries lists the compiled modules in a cache directory.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := filepath.Glob(filepath.Join(dir, "e-*", "*.cwasm"))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// cgroupFile reads a file of the container's cgroup in a v1 hierarchy.
func cgroupFile(id, controller, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(cgroupMount, controller, cgroupParent, id, name))
	return strings.TrimSpace(string(b)), err
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
