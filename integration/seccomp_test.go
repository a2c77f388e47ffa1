package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestSeccompStatxDenied checks that a seccomp profile that denies statx
// keeps denying it. spec.Relax adds statx to old profiles that never name
// it (libcontainer's own init needs it), but only where the profile allows
// newfstatat, which tells a process everything statx does. Where the profile
// denies statx, libcontainer's init cannot finish under it: the create fails,
// and statx never runs in the container.
func TestSeccompStatxDenied(t *testing.T) {
	probe := buildTestProgram(t, "statprobe")
	for _, tc := range []struct {
		name string
		// removed from Docker's default allowlist (default action ERRNO)
		removed []string
		// what the probe prints under the runtime under test; empty when
		// the container must not run at all
		want string
		// what it prints under the reference runc, which (1.1.5 in Debian
		// 12) loads the filter after its last own stat call
		reference string
	}{
		{
			// The profile: statx falls to the default action, and
			// so does newfstatat, the call it would replace. libcontainer's
			// init checks /proc with statx after loading the filter, so the
			// create fails (as with upstream runc 1.5) rather than let the
			// container call statx.
			name:      "stat_family_denied",
			removed:   []string{"statx", "newfstatat"},
			reference: "statx EPERM\nnewfstatat EPERM\n",
		},
		{
			// fstat denied too: the init fails on fstat first.
			name:      "fstat_denied_too",
			removed:   []string{"statx", "fstat", "newfstatat"},
			reference: "statx EPERM\nnewfstatat EPERM\n",
		},
		{
			// An allowlist written before statx existed: statx is added
			// (libcontainer's init needs it), and the container can do
			// nothing it could not with newfstatat. runc 1.1.5 never calls
			// statx itself and runs the container with statx denied.
			name:      "stat_family_allowed",
			removed:   []string{"statx"},
			want:      "statx ok\nnewfstatat ok\n",
			reference: "statx EPERM\nnewfstatat ok\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			profile := allowlistProfile(strings.Fields(seccompAllowed), tc.removed...)
			opts := []specOpt{withArgs("/bin/statprobe"), withSeccompProfile(profile)}

			rt := newRuntime(t)
			id := newID(t)
			bundle := newBundle(t, id, opts...)
			if err := copyFile(probe, filepath.Join(bundle, "rootfs", "bin", "statprobe"), 0o755); err != nil {
				t.Fatal(err)
			}
			mountsBefore := mountsUnder(t, bundle)
			logFile := filepath.Join(t.TempDir(), "log.json")
			res := rt.runWith(t, cmdOpts{logFile: logFile}, "run", "--bundle", bundle, id)
			t.Logf("under test: %s", res)
			if strings.Contains(res.stdout, "statx ok") && tc.want == "" {
				t.Fatalf("statx ran in a container whose profile denies it: %s", res)
			}
			if tc.want != "" {
				if res.code != 0 || res.stdout != tc.want {
					t.Errorf("want exit 0 and %q; got %s", tc.want, res)
				}
			} else {
				// libcontainer's init fails once the filter is loaded: the
				// create fails and leaves nothing. The init reports its own
				// error on the container's stderr (the caller's) before it
				// dies, as under runc 1.5; the runtime's own error is the
				// last line, and the --log file's one error line.
				if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "operation not permitted") {
					t.Errorf("want exit 1, no output and the denied call; got %s", res)
				}
				lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
				assertOneErrorLine(t, logFile, lines[len(lines)-1])
			}
			assertNothingLeft(t, rt, id, bundle, mountsBefore)

			if referenceRunc == "" {
				return
			}
			ref := newReference(t)
			refID := newID(t)
			refBundle := newBundle(t, refID, opts...)
			if err := copyFile(probe, filepath.Join(refBundle, "rootfs", "bin", "statprobe"), 0o755); err != nil {
				t.Fatal(err)
			}
			refRes := ref.run(t, "run", "--bundle", refBundle, refID)
			t.Logf("reference: %s", refRes)
			if refRes.code != 0 || refRes.stdout != tc.reference {
				t.Errorf("reference runc: want exit 0 and %q; got %s", tc.reference, refRes)
			}
			ref.run(t, "delete", "--force", refID)
		})
	}
}

// allowlistProfile allows names except removed; everything else fails with
// EPERM. Only the native architecture is listed, so that the 32-bit stat
// family does not come into it.
func allowlistProfile(names []string, removed ...string) *specs.LinuxSeccomp {
	eperm := uint(unix.EPERM)
	arch := specs.ArchX86_64
	if goruntime.GOARCH == "arm64" {
		arch = specs.ArchAARCH64
	}
	allowed := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(removed, n) })
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   []specs.Arch{arch},
		Syscalls:        []specs.LinuxSyscall{{Names: allowed, Action: specs.ActAllow}},
	}
}

var (
	testPrograms   = map[string]string{}
	testProgramsMu sync.Mutex
)

// buildTestProgram builds testdata/NAME statically, once per test binary,
// and returns its path; it skips the test without a Go toolchain.
func buildTestProgram(t *testing.T, name string) string {
	t.Helper()
	testProgramsMu.Lock()
	defer testProgramsMu.Unlock()
	if bin, ok := testPrograms[name]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := outputTracked(cmd, true); err != nil {
		os.RemoveAll(dir)
		t.Skipf("precondition: a Go toolchain to build testdata/%s statically: %v: %s", name, err, out)
	}
	testPrograms[name] = bin
	return bin
}
