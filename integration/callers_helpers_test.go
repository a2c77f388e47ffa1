package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
	"golang.org/x/sys/unix"
)

// This file holds what the podman and containerd tests share: finding the
// callers, the runtime under test under the names callers use for it, the
// test images, the snippets of docs/callers.md that the tests run as
// written, and running external programs under the harness's reaper.

// requireCommands skips the test, naming the missing precondition, unless
// every program is installed.
func requireCommands(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("missing precondition: %s is not installed (scripts/install-deps.sh installs it)", name)
		}
	}
}

// callerTimeout bounds one podman, ctr or containerd client invocation.
const callerTimeout = 90 * time.Second

// callerOpts tweaks one invocation of an external program.
type callerOpts struct {
	env     []string  // added to the environment
	stdin   io.Reader // nil: /dev/null
	timeout time.Duration
}

// runCaller runs an external program with stdout and stderr going to files
// (a daemonised child such as conmon or a containerd shim may inherit them,
// so pipes could hang), and protected from the orphan reaper.
func runCaller(t *testing.T, o callerOpts, name string, args ...string) result {
	t.Helper()
	timeout := o.timeout
	if timeout == 0 {
		timeout = callerTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(callerEnviron(), o.env...)
	cmd.Stdin = o.stdin
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = runTracked(cmd)
	return outputs{stdout: stdout, stderr: stderr, cancel: cancel}.result(cmd, err)
}

// callerEnviron is the test's environment without what would point a
// caller at the machine's own configuration or daemons.
func callerEnviron() []string {
	var env []string
	for _, kv := range cleanEnviron() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINER_HOST",
			"CONTAINER_CONNECTION", "CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE",
			"WASM_RUNC_CACHE_DIR", "TMPDIR":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// shortTempDir makes a directory for a caller's state whose paths stay
// short: unix socket paths are limited to 108 bytes and podman refuses a
// run root longer than 50 characters, so t.TempDir (named after the test)
// will not do. The caller removes it.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	base := os.TempDir()
	if len(base) > 16 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runtimeLinks makes dir hold the runtime under test under the names that
// docs/callers.md installs: wasm-runc, wasm-runc-wasm (every container is
// compat-smart) and runc (the binary replacing runc on a node).
type runtimeLinks struct {
	dir       string
	plain     string // dir/wasm-runc
	wasmName  string // dir/wasm-runc-wasm
	asRunc    string // dir/runc
	installed string // the path docs/callers.md installs to, replaced by dir
}

func newRuntimeLinks(t *testing.T) runtimeLinks {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l := runtimeLinks{
		dir:       dir,
		plain:     filepath.Join(dir, "wasm-runc"),
		wasmName:  filepath.Join(dir, "wasm-runc-wasm"),
		asRunc:    filepath.Join(dir, "runc"),
		installed: "/usr/local/bin",
	}
	for _, p := range []string{l.plain, l.wasmName, l.asRunc} {
		if err := os.Symlink(runtimeBinary, p); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// localize rewrites a docs snippet's install paths to the links.
func (l runtimeLinks) localize(snippet string) string {
	return strings.ReplaceAll(snippet, l.installed+"/", l.dir+"/")
}

// docSnippet returns the fenced block that follows the line
// "<!-- tested: NAME -->" in docs/callers.md: the tests run these snippets
// exactly as the documentation prints them.
func docSnippet(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "docs", "callers.md")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("reading the documented configuration: %v", err)
	}
	defer f.Close()
	marker := "<!-- tested: " + name + " -->"
	var b strings.Builder
	state := 0 // 0: looking for the marker, 1: for the fence, 2: in the block
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch state {
		case 0:
			if strings.TrimSpace(line) == marker {
				state = 1
			}
		case 1:
			if strings.HasPrefix(line, "```") {
				state = 2
			} else if strings.TrimSpace(line) != "" {
				t.Fatalf("%s: %s is not followed by a fenced block", path, marker)
			}
		case 2:
			if strings.HasPrefix(line, "```") {
				return b.String()
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	t.Fatalf("%s: no snippet marked %s", path, marker)
	return ""
}

// testModules are the Wasm modules that go into the test images: the Go
// example (examples/hello) built for wasip1, and the WAT examples.
type testModules struct {
	dir   string
	hello string            // dir/hello.wasm
	wat   map[string]string // name -> dir/wat/<name>.wasm
}

// watImageModules are the examples/wat modules the images carry.
var watImageModules = []string{"hello", "exit", "trap", "loop", "grow"}

func buildTestModules(t *testing.T) testModules {
	t.Helper()
	dir := t.TempDir()
	m := testModules{dir: dir, hello: filepath.Join(dir, "hello.wasm"), wat: map[string]string{}}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	buildHelloModule(t, repo, m.hello)
	if err := os.Mkdir(filepath.Join(dir, "wat"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range watImageModules {
		src, err := os.ReadFile(filepath.Join(repo, "examples", "wat", name+".wat"))
		if err != nil {
			t.Fatal(err)
		}
		bin, err := wasmtime.Wat2Wasm(string(src))
		if err != nil {
			t.Fatalf("examples/wat/%s.wat: %v", name, err)
		}
		m.wat[name] = filepath.Join(dir, "wat", name+".wasm")
		if err := os.WriteFile(m.wat[name], bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// Test images: built locally with podman, never pulled.
const (
	// wasmImage is FROM scratch with /hello.wasm (the entrypoint) and
	// /wat/<name>.wasm.
	wasmImage = "localhost/wasm-runc-test/wasm:latest"
	// wasiImage is wasmImage's content with the image platform wasi/wasm.
	wasiImage = "localhost/wasm-runc-test/wasi:latest"
	// nativeImage is FROM scratch with a static busybox and its applets.
	nativeImage = "localhost/wasm-runc-test/native:latest"
)

// wasmContainerfile and nativeContainerfile build the test images from a
// context directory prepared by writeImageContexts.
const wasmContainerfile = `FROM scratch
COPY hello.wasm /hello.wasm
COPY wat/ /wat/
ENTRYPOINT ["/hello.wasm"]
`

const nativeContainerfile = `FROM scratch
COPY rootfs/ /
CMD ["/bin/sh"]
`

// writeImageContexts prepares the build contexts of the Wasm and the native
// image under dir.
func writeImageContexts(t *testing.T, m testModules, dir string) (wasmCtx, nativeCtx string) {
	t.Helper()
	wasmCtx = filepath.Join(dir, "wasm")
	nativeCtx = filepath.Join(dir, "native")
	if err := os.MkdirAll(filepath.Join(wasmCtx, "wat"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(m.hello, filepath.Join(wasmCtx, "hello.wasm"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, p := range m.wat {
		if err := copyFile(p, filepath.Join(wasmCtx, "wat", name+".wasm"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(wasmCtx, "Containerfile"), wasmContainerfile)
	makeRootfs(t, filepath.Join(nativeCtx, "rootfs"))
	mustWrite(t, filepath.Join(nativeCtx, "Containerfile"), nativeContainerfile)
	return wasmCtx, nativeCtx
}

// nsInode is the namespace a process is in, as /proc/PID/ns/KIND reads.
func nsInode(t *testing.T, pid int, kind string) string {
	t.Helper()
	s, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
	if err != nil {
		t.Fatalf("namespace of pid %d: %v", pid, err)
	}
	return s
}

// processesMatching lists the live processes whose command line contains
// all of words.
func processesMatching(words ...string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		// A zombie's cmdline reads empty.
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		all := true
		for _, w := range words {
			if !strings.Contains(cmdline, w) {
				all = false
				break
			}
		}
		if all {
			pids = append(pids, pid)
		}
	}
	return pids
}

// reapLeftovers waits up to within for the processes matching words (a
// caller's helpers: conmon, podman's exit command, a containerd shim) to
// finish, then sends SIGKILL to those still there and returns their pids.
func reapLeftovers(within time.Duration, words ...string) []int {
	if eventually(within, func() bool { return len(processesMatching(words...)) == 0 }) {
		return nil
	}
	var killed []int
	for _, pid := range processesMatching(words...) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, pid)
		}
	}
	eventually(2*time.Second, func() bool { return len(processesMatching(words...)) == 0 })
	return killed
}

// memoryLimit reads the memory limit of the cgroup that pid is in, from
// the host (cgroup v1 memory controller, or cgroup v2).
func memoryLimit(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var file string
		switch {
		case strings.Contains(","+parts[1]+",", ",memory,"):
			file = filepath.Join(cgroupMount, "memory", parts[2], "memory.limit_in_bytes")
		case parts[0] == "0" && parts[1] == "":
			file = filepath.Join(cgroupMount, parts[2], "memory.max")
			if _, err := os.Stat(file); err != nil {
				continue // the hybrid layout's unified hierarchy has no memory
			}
		default:
			continue
		}
		v, err := os.ReadFile(file)
		return strings.TrimSpace(string(v)), err
	}
	return "", fmt.Errorf("pid %d: no memory cgroup", pid)
}

// killProcessesUnder sends SIGKILL to every process whose root directory
// is under dir (a container's, when its caller died before it) and returns
// their pids.
func killProcessesUnder(dir string) []int {
	var killed []int
	for _, p := range processesUnder(dir) {
		pid, err := strconv.Atoi(p)
		if err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, pid)
		}
	}
	if len(killed) > 0 {
		eventually(2*time.Second, func() bool { return len(processesUnder(dir)) == 0 })
	}
	return killed
}

// unmountUnder lazily unmounts every mount point under dir, deepest first,
// and returns what it unmounted.
func unmountUnder(t *testing.T, dir string) []string {
	t.Helper()
	var points []string
	for _, line := range mountsUnder(t, dir) {
		if fields := strings.Fields(line); len(fields) > 4 {
			points = append(points, fields[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	var done []string
	for _, p := range points {
		if unix.Unmount(p, unix.MNT_DETACH) == nil {
			done = append(done, p)
		}
	}
	return done
}

// lastLines is the end of a long output, for failure messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The CRI test talks to containerd's CRI plugin as the kubelet does, without
// a CRI client package: gRPC is HTTP/2 without TLS carrying length-prefixed
// protobuf messages, and the few CRI messages it needs are encoded by hand
// with their field numbers from the CRI's api.proto (package runtime.v1).

// pbMsg is a protobuf message being encoded.
type pbMsg []byte

func (m pbMsg) tag(field, wire int) pbMsg {
	return binary.AppendUvarint(m, uint64(field)<<3|uint64(wire))
}

// bytes adds a length-delimited field (string, bytes or message).
func (m pbMsg) bytes(field int, b []byte) pbMsg {
	m = m.tag(field, 2)
	m = binary.AppendUvarint(m, uint64(len(b)))
	return append(m, b...)
}

func (m pbMsg) str(field int, s string) pbMsg { return m.bytes(field, []byte(s)) }

func (m pbMsg) msg(field int, sub pbMsg) pbMsg { return m.bytes(field, sub) }

func (m pbMsg) strs(field int, ss ...string) pbMsg {
	for _, s := range ss {
		m = m.str(field, s)
	}
	return m
}

func (m pbMsg) uint(field int, v uint64) pbMsg {
	return binary.AppendUvarint(m.tag(field, 0), v)
}

// strMap adds a map<string, string>: one {1: key, 2: value} entry each.
func (m pbMsg) strMap(field int, kv map[string]string) pbMsg {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m = m.msg(field, pbMsg(nil).str(1, k).str(2, kv[k]))
	}
	return m
}

// pbFields is a decoded protobuf message: each field's values, varints as
// numbers and length-delimited fields as bytes.
type pbFields map[int][]pbValue

type pbValue struct {
	n uint64
	b []byte
}

func decodePB(b []byte) (pbFields, error) {
	f := pbFields{}
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("protobuf: bad tag")
		}
		b = b[n:]
		field, wire := int(key>>3), int(key&7)
		var v pbValue
		switch wire {
		case 0:
			v.n, n = binary.Uvarint(b)
			if n <= 0 {
				return nil, errors.New("protobuf: bad varint")
			}
			b = b[n:]
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(b) < size {
				return nil, errors.New("protobuf: short fixed field")
			}
			b = b[size:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, errors.New("protobuf: bad length")
			}
			v.b = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			return nil, fmt.Errorf("protobuf: wire type %d", wire)
		}
		f[field] = append(f[field], v)
	}
	return f, nil
}

func (f pbFields) str(field int) string {
	if v := f[field]; len(v) > 0 {
		return string(v[len(v)-1].b)
	}
	return ""
}

func (f pbFields) uint(field int) uint64 {
	if v := f[field]; len(v) > 0 {
		return v[len(v)-1].n
	}
	return 0
}

func (f pbFields) msg(field int) pbFields {
	sub, _ := decodePB([]byte(f.str(field)))
	if sub == nil {
		sub = pbFields{}
	}
	return sub
}

func (f pbFields) strMap(field int) map[string]string {
	kv := map[string]string{}
	for _, v := range f[field] {
		if e, err := decodePB(v.b); err == nil {
			kv[e.str(1)] = e.str(2)
		}
	}
	return kv
}

// criClient calls containerd's CRI runtime service (runtime.v1).
type criClient struct {
	http *http.Client
}

func newCRIClient(sock string) *criClient {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	tr := &http.Transport{
		Protocols: &protocols,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}
	return &criClient{http: &http.Client{Transport: tr, Timeout: callerTimeout}}
}

// call makes one unary call of runtime.v1.RuntimeService.
func (c *criClient) call(method string, req pbMsg) (pbFields, error) {
	frame := make([]byte, 5, 5+len(req))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(req)))
	frame = append(frame, req...)
	r, err := http.NewRequest(http.MethodPost, "http://containerd/runtime.v1.RuntimeService/"+method, bytes.NewReader(frame))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/grpc")
	r.Header.Set("TE", "trailers")
	resp, err := c.http.Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	// A call that fails at once answers with headers only.
	status, message := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" {
		status, message = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if status != "0" {
		if m, err := url.PathUnescape(message); err == nil {
			message = m
		}
		return nil, fmt.Errorf("%s: gRPC status %s (HTTP %d): %s", method, status, resp.StatusCode, message)
	}
	if len(body) < 5 {
		return nil, fmt.Errorf("%s: short gRPC response", method)
	}
	n := binary.BigEndian.Uint32(body[1:5])
	if int(n) > len(body)-5 {
		return nil, fmt.Errorf("%s: truncated gRPC response", method)
	}
	return decodePB(body[5 : 5+n])
}

// removeCgroupTree removes the cgroup directory rel (relative to every
// hierarchy) and everything below it, deepest first, and returns the
// directories that would not go (a process still in them).
func removeCgroupTree(rel string) []string {
	roots, _ := filepath.Glob(filepath.Join(cgroupMount, "*", rel))
	roots = append(roots, filepath.Join(cgroupMount, rel))
	var stuck []string
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := unix.Rmdir(dirs[i]); err != nil && !errors.Is(err, unix.ENOENT) {
				stuck = append(stuck, dirs[i])
			}
		}
	}
	return stuck
}
