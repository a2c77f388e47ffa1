package linux

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestOwnCgroupDirs(t *testing.T) {
	self := `12:hugetlb:/
11:pids:/user.slice/x
6:cpu,cpuacct:/a
1:name=systemd:/user.slice/x/session-1.scope
0::/user.slice/x/session-1.scope
bad line
3:freezer:relative
4::/no-controllers
`
	got := ownCgroupDirs(self, "/sys/fs/cgroup")
	want := []string{
		"/sys/fs/cgroup/pids/user.slice/x",
		"/sys/fs/cgroup/cpu,cpuacct/a",
		"/sys/fs/cgroup/cpu/a",
		"/sys/fs/cgroup/cpuacct/a",
		"/sys/fs/cgroup/systemd/user.slice/x/session-1.scope",
		"/sys/fs/cgroup/user.slice/x/session-1.scope",
		"/sys/fs/cgroup/unified/user.slice/x/session-1.scope",
		"/sys/fs/cgroup/hugetlb", // a root cgroup: last
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ownCgroupDirs:\n got %q\nwant %q", got, want)
	}
}

// The warm-up moves this process where it already is: its cgroups are the
// same afterwards.
func TestWarmCgroupMove(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skipf("needs root to write cgroup.procs (euid %d)", os.Geteuid())
	}
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	procs, err := warmCgroupMove("/proc/self/cgroup", "/sys/fs/cgroup", os.Getpid())
	if err != nil {
		t.Fatalf("warmCgroupMove: %v", err)
	}
	t.Logf("wrote %s", procs)
	after, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("cgroups changed:\n%s\nto\n%s", before, after)
	}
}

// Nothing is written where the process is not already listed, or outside a
// cgroup file system.
func TestWarmCgroupMoveWritesOnlyOwnCgroup(t *testing.T) {
	// A pid that is in none of our cgroup.procs files.
	if _, err := warmCgroupMove("/proc/self/cgroup", "/sys/fs/cgroup", 1<<30); err == nil {
		t.Fatal("a pid listed nowhere was written")
	}
	// A look-alike tree on an ordinary file system, listing this process.
	root := t.TempDir()
	self := filepath.Join(root, "self-cgroup")
	if err := os.WriteFile(self, []byte("3:pids:/x\n0::/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := []byte("1\n" + strconv.Itoa(os.Getpid()) + "\n")
	var files []string
	for _, d := range ownCgroupDirs("3:pids:/x\n0::/x\n", root) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(d, "cgroup.procs")
		if err := os.WriteFile(f, pid, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if _, err := warmCgroupMove(self, root, os.Getpid()); err == nil {
		t.Fatal("wrote outside a cgroup file system")
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); string(b) != string(pid) {
			t.Fatalf("%s changed to %q", f, b)
		}
	}
}

// The constructor reads the command line as main.go's flags do, and starts
// the warm-up only for the verbs that move a process into a cgroup.
func TestCgroupWarmVerb(t *testing.T) {
	for _, c := range []struct {
		args string
		want int
	}{
		{"wasm-runc run id", cgroupWarmInit},
		{"wasm-runc create --bundle b id", cgroupWarmInit},
		{"wasm-runc restore id", cgroupWarmInit},
		{"wasm-runc exec -t id sh", cgroupWarmExec},
		{"wasm-runc --root /r --log /l --log-format json run id", cgroupWarmInit},
		{"wasm-runc -root=/r --debug --systemd-cgroup=true --cache-dir c create id", cgroupWarmInit},
		{"wasm-runc --rootless true --criu /c -- run id", cgroupWarmInit},
		{"wasm-runc --root run state id", cgroupWarmNone}, // "run" is --root's value
		{"wasm-runc state id", cgroupWarmNone},
		{"wasm-runc delete run", cgroupWarmNone},
		{"wasm-runc init", cgroupWarmNone},
		{"wasm-runc wasm-runc:run-module --module-fd=3 -- run", cgroupWarmNone},
		{"wasm-runc run --help", cgroupWarmNone},
		{"wasm-runc exec -h", cgroupWarmNone},
		{"wasm-runc run -- id --help", cgroupWarmInit},
		{"wasm-runc --version", cgroupWarmNone},
		{"wasm-runc --unknown run id", cgroupWarmNone},
		{"wasm-runc --root", cgroupWarmNone},
		{"wasm-runc", cgroupWarmNone},
	} {
		if got := cgroupWarmVerb(strings.Fields(c.args)); got != c.want {
			t.Errorf("%q: got %d, want %d", c.args, got, c.want)
		}
	}
}
