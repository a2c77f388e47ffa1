package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestWasmGuests runs the guest matrix of examples/guests (one program per
// toolchain, the same behaviour in each, built by scripts/build-guests.sh)
// with `run`, `create` + `start` and `exec` into a running container, and
// checks what each prints, the file it writes, the write a read-only mount
// refuses, and the exit code every way of ending reaches the caller as
// (docs/wasm.md, "Guests").
//
// A guest whose toolchain is missing is skipped with the precondition it
// lacks, unless WASM_RUNC_GUESTS_REQUIRED=1 (make test sets it), which
// makes it a failure.
func TestWasmGuests(t *testing.T) {
	g := buildGuests(t)
	cache := filepath.Join(t.TempDir(), "cache")
	for _, part := range []struct {
		name string
		test func(*testing.T, *guestSet, cmdOpts)
	}{
		{"Matrix", testGuestMatrix},
		{"ExitCodes", testGuestExitCodes},
		{"Reactor", testGuestReactor},
		{"Terminal", testGuestTerminal},
	} {
		t.Run(part.name, func(t *testing.T) {
			began := time.Now()
			part.test(t, g, cmdOpts{env: []string{"WASM_RUNC_CACHE_DIR=" + cache}, timeout: guestTimeout})
			t.Logf("%s took %v", part.name, time.Since(began).Round(time.Millisecond))
		})
	}
}

// guestTimeout bounds one invocation: the first start of the JavaScript
// component compiles a 12 MB module (a JS engine).
const guestTimeout = 3 * time.Minute

// guestSet is the output directory of scripts/build-guests.sh.
type guestSet struct {
	dir string
}

// buildGuests runs scripts/build-guests.sh into a temporary directory (it
// copies from its cache when the sources and tools have not changed).
func buildGuests(t *testing.T) *guestSet {
	t.Helper()
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Now()
	cmd := exec.Command(filepath.Join(repo, "scripts", "build-guests.sh"), dir)
	if b, err := outputTracked(cmd, true); err != nil {
		t.Fatalf("scripts/build-guests.sh: %v\n%s", err, b)
	} else {
		t.Logf("guests ready in %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(b)))
	}
	return &guestSet{dir: dir}
}

// path returns the built guest, or skips (fails when guests are required)
// naming the missing precondition.
func (g *guestSet) path(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(g.dir, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	why, err := os.ReadFile(p + ".missing")
	if err != nil {
		t.Fatalf("scripts/build-guests.sh made neither %s nor %s.missing", name, name)
	}
	msg := "missing precondition for " + name + ": " + strings.TrimSpace(string(why))
	if os.Getenv("WASM_RUNC_GUESTS_REQUIRED") == "1" {
		t.Fatal(msg + " (WASM_RUNC_GUESTS_REQUIRED=1)")
	}
	t.Skip(msg)
	return ""
}

// guestKind is one row family of the matrix.
type guestKind struct {
	name string // subtest name
	file string // in the build-guests.sh output
	// family is what the guest writes into its file ("<family> was here");
	// "" for the guests that only print args, a file and exit (WAT, JS).
	family string
	// env says the guest prints GUEST_GREETING (all but WAT).
	env bool
	// reads says which files it reads: the absolute one, and unless it is
	// WAT or JS, the relative one.
	readsAbs, readsRel bool
	// exit7 is the exit code that GUEST_EXIT=7 with the default way of
	// ending (libc exit, os.Exit, process::exit, proc_exit, run's err)
	// reaches the caller as.
	exit7 int
}

var guestKinds = []guestKind{
	{name: "c", file: "c.wasm", family: "c", env: true, readsAbs: true, readsRel: true, exit7: 7},
	{name: "rust", file: "rust.wasm", family: "rust", env: true, readsAbs: true, readsRel: true, exit7: 7},
	{name: "go", file: "go.wasm", family: "go", env: true, readsAbs: true, readsRel: true, exit7: 7},
	{name: "wat", file: "wat.wasm", readsAbs: true, exit7: 7},
	// The preview 1 adapter turns proc_exit(n) into wasi:cli/exit's
	// exit(err) for any n != 0: the caller sees 1.
	{name: "c-component", file: "c-component.wasm", family: "c", env: true, readsAbs: true, readsRel: true, exit7: 1},
	{name: "rust-component", file: "rust-component.wasm", family: "rust", env: true, readsAbs: true, readsRel: true, exit7: 1},
	// wasi:cli/run returns err: 1.
	{name: "js-component", file: "js-component.wasm", env: true, exit7: 1},
}

// Fixed inputs of every matrix row.
const (
	guestImagePath = "/guest.wasm"
	guestGreeting  = "hello guests"
	guestAbsFile   = "/etc/guest.txt"
	guestAbsText   = "absolute-content"
	guestRelFile   = "local.txt"
	guestRelText   = "relative-content"
	guestWriteFile = "written.txt"   // relative: /data/written.txt, in the writable rootfs
	guestROFile    = "ro/denied.txt" // relative: /data/ro is a read-only bind mount
	guestCwd       = "/data"         // the image's WORKDIR
	guestExitCode  = "7"
)

var guestArgs = []string{guestImagePath, "one", "two words"}

// guestEnv is what the matrix rows set in the guest's environment.
func guestEnv() []string {
	return []string{
		"GUEST_GREETING=" + guestGreeting,
		"GUEST_WRITE_FILE=" + guestWriteFile,
		"GUEST_RO_FILE=" + guestROFile,
		"GUEST_EXIT=" + guestExitCode,
	}
}

// want is the guest's stdout, line by line, for the matrix inputs.
func (k guestKind) want() []string {
	var lines []string
	for i, a := range guestArgs {
		lines = append(lines, "arg["+strconv.Itoa(i)+"]="+a)
	}
	if k.env {
		lines = append(lines, "env GUEST_GREETING="+guestGreeting)
	}
	if k.family != "" {
		lines = append(lines, "env PWD="+guestCwd)
	}
	if k.readsAbs {
		lines = append(lines, "read "+guestAbsFile+": "+guestAbsText)
	}
	if k.readsRel {
		lines = append(lines, "read "+guestRelFile+": "+guestRelText)
	}
	if k.family != "" {
		lines = append(lines,
			"write "+guestWriteFile+": ok",
			"read "+guestWriteFile+": "+k.family+" was here",
			"write "+guestROFile+": refused")
	}
	return lines
}

// guestContainer prepares a container whose image holds the guest at
// /guest.wasm, /etc/guest.txt, and a WORKDIR /data with local.txt and a
// read-only bind mount at /data/ro; the root is writable, as podman and
// containerd give it. It returns the host directory behind /data/ro.
func guestContainer(t *testing.T, rt *runtime, module string, opts ...specOpt) (*container, string) {
	t.Helper()
	ro := t.TempDir()
	base := []specOpt{
		withVariant("compat-smart"),
		withProcessCwd(guestCwd),
		func(s *specs.Spec) { s.Root.Readonly = false },
		withExtraMount(specs.Mount{Destination: guestCwd + "/ro", Type: "bind", Source: ro, Options: []string{"rbind", "ro"}}),
	}
	c := newContainer(t, rt, append(base, opts...)...)
	installFile(t, c, guestImagePath, module, 0o755)
	writeRootfsFile(t, c, guestAbsFile, guestAbsText+"\n", 0o644)
	writeRootfsFile(t, c, guestCwd+"/"+guestRelFile, guestRelText+"\n", 0o644)
	if err := os.MkdirAll(filepath.Join(c.bundle, "rootfs", guestCwd, "ro"), 0o755); err != nil {
		t.Fatal(err)
	}
	return c, ro
}

// defaultEnv is the spec's process.env, to which the rows add theirs.
var defaultEnv = defaultSpec("").Process.Env

// testGuestMatrix: every guest × run, create + start, exec.
func testGuestMatrix(t *testing.T, g *guestSet, o cmdOpts) {
	for _, k := range guestKinds {
		t.Run(k.name, func(t *testing.T) {
			module := g.path(t, k.file)
			t.Run("run", func(t *testing.T) {
				rt := newRuntime(t)
				c, ro := guestContainer(t, rt, module, withArgs(guestArgs...), withProcessEnv(slices.Concat(defaultEnv, guestEnv())...))
				res := wasmRun(t, c, o)
				checkGuest(t, k, c, ro, res.stdout, res.stderr)
				if res.code != k.exit7 {
					t.Errorf("exit code %d, want %d\nstderr: %s", res.code, k.exit7, res.stderr)
				}
			})
			t.Run("create_start", func(t *testing.T) {
				rt := newRuntime(t)
				c, ro := guestContainer(t, rt, module, withArgs(guestArgs...), withProcessEnv(slices.Concat(defaultEnv, guestEnv())...))
				res := c.createWith(t, o)
				if res.code != 0 {
					t.Fatalf("%s", res)
				}
				if st := c.state(t); st.Status != "created" {
					t.Errorf("after create: status %q, want created", st.Status)
				}
				c.start(t)
				// runc reports no exit code for a started container: only
				// its output and status.
				rt.waitStatus(t, c.id, "stopped", guestTimeout)
				checkGuest(t, k, c, ro, c.output(), readFile(c.stderr))
				if res := rt.run(t, "delete", c.id); res.code != 0 || res.stderr != "" {
					t.Errorf("delete of the stopped container: %s", res)
				}
				if _, res := rt.state(t, c.id); res.code == 0 || !strings.Contains(res.stderr, "does not exist") {
					t.Errorf("state after delete: want \"does not exist\"; got %s", res)
				}
			})
			t.Run("exec", func(t *testing.T) {
				rt := newRuntime(t)
				// A native init (compat-smart), the guest exec'd beside it.
				c, ro := guestContainer(t, rt, module, withShell(sleeper))
				res := c.createWith(t, o)
				if res.code != 0 {
					t.Fatalf("%s", res)
				}
				c.state(t)
				c.start(t)
				c.waitOutput(t, "ready", 10*time.Second)
				args := []string{"exec"}
				for _, kv := range guestEnv() {
					args = append(args, "--env", kv)
				}
				args = append(append(args, c.id), guestArgs...)
				res = rt.runWith(t, o, args...)
				checkGuest(t, k, c, ro, res.stdout, res.stderr)
				if res.code != k.exit7 {
					t.Errorf("exit code %d, want %d\nstderr: %s", res.code, k.exit7, res.stderr)
				}
			})
		})
	}
}

// checkGuest compares the guest's stdout with what its kind prints, line
// by line, and checks its writes on the host side.
func checkGuest(t *testing.T, k guestKind, c *container, ro, stdout, stderr string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	want := k.want()
	var wrong []string
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			wrong = append(wrong, "line "+strconv.Itoa(i+1)+": got "+quote(g, i < len(got))+", want "+quote(w, i < len(want)))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("stdout differs:\n  %s\nstderr: %s", strings.Join(wrong, "\n  "), stderr)
	}
	if k.family != "" {
		written := filepath.Join(c.bundle, "rootfs", guestCwd, guestWriteFile)
		if b, err := os.ReadFile(written); err != nil || string(b) != k.family+" was here\n" {
			t.Errorf("%s on the host: %q, %v; want %q", written, b, err, k.family+" was here\n")
		}
	}
	if ents, _ := os.ReadDir(ro); len(ents) > 0 {
		t.Errorf("the guest wrote into the read-only mount: %v", ents)
	}
}

func quote(s string, present bool) string {
	if !present {
		return "(none)"
	}
	return "\"" + s + "\""
}

// testGuestExitCodes: every way each toolchain ends a program, and the
// exit code `run` reports for it.
func testGuestExitCodes(t *testing.T, g *guestSet, o cmdOpts) {
	for _, tc := range []struct {
		file string
		how  string // GUEST_EXIT_HOW
		code string // GUEST_EXIT
		want int
	}{
		// wasi-libc: exit(n) and a return of n from main both call
		// proc_exit(n); a return of 0 returns from _start.
		{"c.wasm", "exit", "7", 7},
		{"c.wasm", "return", "7", 7},
		{"c.wasm", "return", "0", 0},
		{"c.wasm", "trap", "0", 134}, // __builtin_trap: unreachable
		// Rust: process::exit(n) is proc_exit(n). Rust 1.63's std on
		// wasm32-wasi keeps only success or failure in an ExitCode, so main
		// returning ExitCode::from(7) is 1. A panic aborts (wasm32-wasi has
		// no unwinding): unreachable.
		{"rust.wasm", "exit", "7", 7},
		{"rust.wasm", "return", "7", 1},
		{"rust.wasm", "return", "0", 0},
		{"rust.wasm", "trap", "0", 134},
		// Go: os.Exit(n); main returning is 0; a panic is the runtime's own
		// exit 2.
		{"go.wasm", "exit", "7", 7},
		{"go.wasm", "return", "7", 0},
		{"go.wasm", "trap", "0", 2},
		// WAT: proc_exit(n).
		{"wat.wasm", "", "7", 7},
		{"wat.wasm", "", "0", 0},
		// Components: the adapter maps proc_exit(0) to wasi:cli/exit's
		// exit(ok) and any other code to exit(err): 0 and 1. Returning 0
		// from main returns from run with ok.
		{"c-component.wasm", "exit", "7", 1},
		{"c-component.wasm", "return", "7", 1},
		{"c-component.wasm", "exit", "0", 0},
		{"c-component.wasm", "return", "0", 0},
		{"c-component.wasm", "trap", "0", 134},
		{"rust-component.wasm", "exit", "7", 1},
		{"rust-component.wasm", "return", "7", 1},
		{"rust-component.wasm", "return", "0", 0},
		{"rust-component.wasm", "trap", "0", 134},
		// wasi:cli/run returning ok and err.
		{"js-component.wasm", "", "0", 0},
		{"js-component.wasm", "", "7", 1},
	} {
		name := strings.TrimSuffix(tc.file, ".wasm") + "_" + tc.how + "_" + tc.code
		if tc.how == "" {
			name = strings.TrimSuffix(tc.file, ".wasm") + "_" + tc.code
		}
		t.Run(name, func(t *testing.T) {
			module := g.path(t, tc.file)
			rt := newRuntime(t)
			env := slices.Concat(defaultEnv, []string{"GUEST_EXIT=" + tc.code})
			if tc.how != "" {
				env = append(env, "GUEST_EXIT_HOW="+tc.how)
			}
			c, _ := guestContainer(t, rt, module, withArgs(guestImagePath), withProcessEnv(env...))
			res := wasmRun(t, c, o)
			if res.code != tc.want {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", res.code, tc.want, res.stdout, res.stderr)
			}
			if !strings.HasPrefix(res.stdout, "arg[0]="+guestImagePath+"\n") {
				t.Errorf("the guest did not run: %s", res)
			}
		})
	}
}

// testGuestReactor: a reactor component (no wasi:cli/run export) is not a
// program: create fails with exit 1 and one error line, and leaves no
// container; in compat-smart mode too, since it is a Wasm file.
func testGuestReactor(t *testing.T, g *guestSet, o cmdOpts) {
	module := g.path(t, "reactor-component.wasm")
	rt := newRuntime(t)
	c, _ := guestContainer(t, rt, module, withArgs(guestImagePath))
	res := c.createWith(t, o)
	if res.code != 1 || len(nonEmptyLines(res.stderr)) != 1 {
		t.Errorf("create of a reactor: want exit 1 and one error line; got %s", res)
	}
	if _, st := rt.state(t, c.id); st.code == 0 {
		t.Errorf("a container exists after the failed create: %s", st)
	}
}

// testGuestTerminal: with terminal: true the guest's stdio is the pty, for
// a core module and for components (the adapter's and the JS engine's
// stdio go through WASI preview 2's streams): the output arrives on the
// console socket's master with the pty's CRLF.
func testGuestTerminal(t *testing.T, g *guestSet, o cmdOpts) {
	for _, name := range []string{"c.wasm", "c-component.wasm", "js-component.wasm"} {
		t.Run(strings.TrimSuffix(name, ".wasm"), func(t *testing.T) {
			rt := newRuntime(t)
			c, _ := guestContainer(t, rt, g.path(t, name), withTerminal(),
				withArgs(guestArgs...), withProcessEnv(guestEnv()...))
			cs := newConsoleSocket(t)
			wasmCreate(t, c, o, "--console-socket", cs.path)
			out := readPty(cs.receive(t))
			c.start(t)
			rt.waitStatus(t, c.id, "stopped", guestTimeout)
			if err := out.wait(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); !strings.Contains(got, "\r\n") || !strings.Contains(got, guestArgs[1]) {
				t.Errorf("pty output %q; want the guest's output with CRLF", got)
			}
		})
	}
}
