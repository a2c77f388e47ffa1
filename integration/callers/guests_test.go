package callers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The guest matrix (examples/guests, built by scripts/build-guests.sh)
// under the callers: a few of its guests run by podman and by containerd,
// from an image with WORKDIR /data, as TestWasmGuests runs all of them
// under the runtime directly.

// guestImage is FROM scratch with the built guests in /guests/, a file at
// /etc/guest.txt and WORKDIR /data holding local.txt.
const guestImage = "localhost/wasm-runc-test/guests:latest"

const guestContainerfile = `FROM scratch
COPY guests/ /guests/
COPY guest.txt /etc/guest.txt
COPY data/ /data/
WORKDIR /data
ENTRYPOINT ["/guests/c.wasm"]
`

// callerGuest is one guest the callers run, with what it prints and how
// it ends for the inputs of guestRun.
type callerGuest struct {
	name   string // subtest name
	file   string // under /guests
	family string // what it writes into its file
	code   int    // what GUEST_EXIT=7 reaches the caller as
	// argsOnly: the JS guest prints its arguments and GUEST_GREETING only.
	argsOnly bool
}

// The WAT guest prints only its arguments and a file and has no variables:
// TestWasmGuests covers it.
var callerGuests = []callerGuest{
	// Go's wasip1 port resolves paths itself: the control row.
	{name: "go", file: "go.wasm", family: "go", code: 7},
	// wasi-libc, rewritten for WORKDIR /data.
	{name: "c", file: "c.wasm", family: "c", code: 7},
	{name: "rust", file: "rust.wasm", family: "rust", code: 7},
	// The preview 1 adapter turns exit(7) into wasi:cli/exit's exit(err).
	{name: "c-component", file: "c-component.wasm", family: "c", code: 1},
	{name: "rust-component", file: "rust-component.wasm", family: "rust", code: 1},
	// A 12.5 MB component with a JS engine; wasi:cli/run returns err.
	{name: "js-component", file: "js-component.wasm", code: 1, argsOnly: true},
}

// Inputs of every guest row: the image's WORKDIR is /data.
var (
	guestArgs = []string{"one", "two words"}
	guestEnv  = []string{
		"GUEST_GREETING=hello callers",
		"GUEST_WRITE_FILE=written.txt",
		"GUEST_RO_FILE=ro/denied.txt",
		"GUEST_EXIT=7",
	}
)

// wantLines is the guest's stdout for those inputs.
func (g callerGuest) wantLines() []string {
	lines := []string{"arg[0]=/guests/" + g.file}
	for i, a := range guestArgs {
		lines = append(lines, "arg["+strconv.Itoa(i+1)+"]="+a)
	}
	lines = append(lines, "env GUEST_GREETING=hello callers")
	if g.argsOnly {
		return lines
	}
	return append(lines,
		"env PWD=/data",
		"read /etc/guest.txt: absolute-content",
		"read local.txt: relative-content",
		"write written.txt: ok",
		"read written.txt: "+g.family+" was here",
		"write ro/denied.txt: refused")
}

// check compares a row's output and exit code, and that nothing went
// through the read-only mount whose host side is ro.
func (g callerGuest) check(t *testing.T, res result, ro string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(strings.ReplaceAll(res.stdout, "\r\n", "\n"), "\n"), "\n")
	want := g.wantLines()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout:\n%s\nwant:\n%s\nstderr: %s", strings.Join(got, "\n"), strings.Join(want, "\n"), res.stderr)
	}
	if res.code != g.code {
		t.Errorf("exit status %d, want %d: %s", res.code, g.code, res)
	}
	if ents, _ := os.ReadDir(ro); len(ents) > 0 {
		t.Errorf("the guest wrote into the read-only mount: %v", ents)
	}
}

// writeGuestContext builds the guests (scripts/build-guests.sh, cached)
// and prepares guestImage's build context. The guests that cannot be built
// here are named in <name>.missing files beside the others.
func writeGuestContext(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.TempDir()
	start := time.Now()
	cmd := exec.Command(filepath.Join(repo, "scripts", "build-guests.sh"), filepath.Join(ctx, "guests"))
	b, err := outputTracked(cmd, true)
	if err != nil {
		t.Fatalf("scripts/build-guests.sh: %v\n%s", err, b)
	}
	t.Logf("guests ready in %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(b)))
	mustWrite(t, filepath.Join(ctx, "guest.txt"), "absolute-content\n")
	if err := os.Mkdir(filepath.Join(ctx, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(ctx, "data", "local.txt"), "relative-content\n")
	if err := os.Mkdir(filepath.Join(ctx, "data", "ro"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(ctx, "Containerfile"), guestContainerfile)
	return ctx
}

// requireGuest skips a row whose guest could not be built here, naming the
// missing precondition (a failure with WASM_RUNC_GUESTS_REQUIRED=1).
func requireGuest(t *testing.T, ctx string, g callerGuest) {
	t.Helper()
	p := filepath.Join(ctx, "guests", g.file)
	if _, err := os.Stat(p); err == nil {
		return
	}
	why, _ := os.ReadFile(p + ".missing")
	msg := "missing precondition for " + g.file + ": " + strings.TrimSpace(string(why))
	if os.Getenv("WASM_RUNC_GUESTS_REQUIRED") == "1" {
		t.Fatal(msg + " (WASM_RUNC_GUESTS_REQUIRED=1)")
	}
	t.Skip(msg)
}

// testPodmanGuests: `podman --runtime <wasm-runc> run --rm` of guests of
// the matrix, with their output and exit status.
func testPodmanGuests(t *testing.T, pm *podmanEnv) {
	for _, g := range callerGuests {
		t.Run(g.name, func(t *testing.T) {
			requireGuest(t, pm.guestCtx, g)
			ro := t.TempDir()
			flags := []string{"--annotation", smartAnnotation, "--entrypoint", "/guests/" + g.file, "-v", ro + ":/data/ro:ro"}
			for _, kv := range guestEnv {
				flags = append(flags, "--env", kv)
			}
			args := append(append([]string{"--runtime", pm.links.plain}, pm.runArgs("run", append([]string{"--rm"}, flags...)...)...), guestImage)
			g.check(t, pm.podman(t, callerOpts{}, append(args, guestArgs...)...), ro)
		})
	}
}

// testContainerdGuests: the same with `ctr run --rm --runc-binary
// <wasm-runc>` (the documented command line plus the row's flags).
func testContainerdGuests(t *testing.T, d *containerdEnv) {
	for _, g := range callerGuests {
		t.Run(g.name, func(t *testing.T) {
			requireGuest(t, d.guestCtx, g)
			ro := t.TempDir()
			id := ctrID("guest-" + g.name)
			flags := []string{"--mount", "type=bind,src=" + ro + ",dst=/data/ro,options=rbind:ro"}
			for _, kv := range guestEnv {
				flags = append(flags, "--env", kv)
			}
			doc := ctrRunDoc(t, d, guestImage, id, append([]string{"/guests/" + g.file}, guestArgs...)...)
			// ctr's flags go before the image: after "run".
			args := append(append([]string{doc[0]}, flags...), doc[1:]...)
			g.check(t, d.ctr(t, callerOpts{}, args...), ro)
			if out := d.mustCtr(t, "container", "ls", "--quiet").stdout; strings.Contains(out, id) {
				t.Errorf("container %s left after run --rm", id)
			}
		})
	}
}
