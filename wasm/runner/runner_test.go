package runner

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasm-runc/wasm-runc/wasm"
)

func TestArgs(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want []string
	}{
		{Options{ModuleFD: 3, ModuleSize: 1000, Args: []string{"app.wasm"}},
			[]string{"/proc/self/exe", Marker, "--module-fd=3", "--module-size=1000", "--", "app.wasm"}},
		{Options{ModuleFD: 7, ModuleSize: 5, MemoryLimit: 64 << 20, Args: []string{"/app", "--", "-x", ""}},
			[]string{"/proc/self/exe", Marker, "--module-fd=7", "--module-size=5", "--memory-limit=67108864", "--", "/app", "--", "-x", ""}},
		{Options{ModuleFD: 3, ModuleSize: 9, Component: true, Args: []string{"c.wasm"}},
			[]string{"/proc/self/exe", Marker, "--module-fd=3", "--module-size=9", "--component=1", "--", "c.wasm"}},
		{Options{ModuleFD: 3, Args: []string{}},
			[]string{"/proc/self/exe", Marker, "--module-fd=3", "--module-size=0", "--"}},
	} {
		if got := Args(tc.o); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Args(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestRunnerExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    *wasm.Module
		args   []string
		code   int
		stdout string
		stderr string // substring of the one stderr line; "" = stderr empty
	}{
		{"wat hello", watModule(t, "hello"), []string{"hello"}, 0, "hello from wat\n", ""},
		{"wat exit 0", watModule(t, "exit"), []string{"exit"}, 0, "", ""},
		{"wat exit 7", watModule(t, "exit"), []string{"exit", "7"}, 7, "", ""},
		{"wat exit 125", watModule(t, "exit"), []string{"exit", "125"}, 125, "", ""},
		{"wat exit 126 refused", watModule(t, "exit"), []string{"exit", "126"}, ExitInvalidStatus, "", "exit status out of range"},
		{"wat exit 255 refused", watModule(t, "exit"), []string{"exit", "255"}, ExitInvalidStatus, "", "exit status out of range"},
		{"wat trap", watModule(t, "trap"), []string{"trap"}, ExitTrap, "", "wasm-runc: wasm trap: wasm `unreachable` instruction executed"},
		{"wat trap in start function", watModule(t, "start-trap"), []string{"start-trap"}, ExitTrap, "", "wasm-runc: wasm trap: wasm `unreachable` instruction executed"},
		{"component run ok", watComponent(t, "component-ok"), []string{"c"}, 0, "", ""},
		{"component wasi:cli/exit err", watComponent(t, "component-exit"), []string{"c"}, 1, "", ""},
		{"component trap", watComponent(t, "component-trap"), []string{"c"}, ExitTrap, "", "wasm-runc: wasm trap: wasm `unreachable` instruction executed (in boom)"},
		{"go exit 7", goModule(t), []string{"hello", "exit", "7"}, 7, "", ""},
		{"go return", goModule(t), []string{"hello", "cwd"}, 0, "cwd=/\n", ""},
		{"go panic", goModule(t), []string{"hello", "panic"}, 2, "", "panic: hello: asked to panic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runModule(t, tc.mod, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout, tc.stdout)
			}
			switch {
			case tc.stderr == "" && stderr != "":
				t.Errorf("stderr %q, want none", stderr)
			case tc.stderr != "" && !strings.Contains(stderr, tc.stderr):
				t.Errorf("stderr %q, want it to contain %q", stderr, tc.stderr)
			}
			if strings.HasPrefix(tc.stderr, "wasm-runc:") || strings.Contains(tc.stderr, "out of range") {
				if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, "wasm-runc: ") {
					t.Errorf("want exactly one wasm-runc line on stderr, got %q", stderr)
				}
			}
		})
	}
}

func TestRunnerBadArgs(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{Marker, "--module-fd=3", "--module-size=9"},            // no "--"
		{Marker, "--module-fd=9", "--module-size=9", "--", "x"}, // fd 9 is not open
		{Marker, "--module-size=9", "--", "x"},                  // no fd
		{Marker, "--module-fd=3", "--", "x"},                    // no size
		{Marker, "--module-fd=x", "--module-size=9", "--", "x"}, // not a number
		{Marker, "--module-fd=-3", "--module-size=9", "--", "x"},
		{Marker, "--module-fd=3", "--module-size=9", "--what=1", "--", "x"},
		{Marker, "-v", "--module-fd=3", "--module-size=9", "--", "x"},
	} {
		cmd := exec.Command(exe, args...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitRunnerFailed ||
			!strings.HasPrefix(string(out), "wasm-runc: ") || strings.Count(string(out), "\n") != 1 {
			t.Errorf("%q: err %v, output %q", args, err, out)
		}
	}
}

func TestArgsEnvCwd(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("relative read ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRunner(t, goModule(t), 0, dir, []string{"FOO=bar baz", "EMPTY="},
		"hello", "args", "env", "cwd", "cat", "data.txt", "-read", "write", "out.txt", "written")
	if code := r.wait(t); code != 1 {
		// "-read" after the commands is an unknown command: exit 1 proves
		// args reach the guest verbatim, flags included.
		t.Fatalf("exit %d; stderr %s", code, r.stderr)
	}
	out := r.stdout.String()
	for _, want := range []string{
		"arg[0]=hello\n", "arg[1]=args\n", "arg[6]=-read\n",
		"FOO=bar baz\n", "EMPTY=\n", "PWD=" + dir + "\n",
		"cwd=" + dir + "\n", "relative read ok\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(r.stderr.String(), `unknown command "-read"`) {
		t.Errorf("stderr: %s", r.stderr)
	}

	r = startRunner(t, goModule(t), 0, dir, []string{"PWD=/"}, "hello", "write", "out.txt", "written", "cwd")
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr %s", code, r.stderr)
	}
	// PWD from process.env wins (it is the user's): relative paths follow it.
	if b, err := os.ReadFile("/out.txt"); err == nil {
		os.Remove("/out.txt")
		if string(b) != "written" {
			t.Errorf("/out.txt = %q", b)
		}
	} else {
		t.Errorf("write with PWD=/ did not land in /: %v (stdout %s)", err, r.stdout)
	}
}

func TestRunnerStdin(t *testing.T) {
	e := openEntry(t, goModule(t))
	defer e.File.Close()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, Args(Options{ModuleFD: 3, ModuleSize: e.Size, Args: []string{"hello", "stdin"}})[1:]...)
	cmd.ExtraFiles = []*os.File{e.File}
	cmd.Stdin = strings.NewReader("line one\nline two\n")
	out, err := cmd.Output()
	if err != nil || string(out) != "line one\nline two\n" {
		t.Errorf("stdin copy: %v, %q", err, out)
	}
}

func TestRunnerProcessTitle(t *testing.T) {
	r := startRunner(t, goModule(t), 0, "/", nil, "hello", "cat", "/proc/self/cmdline", "cat", "/proc/self/comm")
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr %s", code, r.stderr)
	}
	out := r.stdout.String()
	want := "hello\x00cat\x00/proc/self/cmdline\x00cat\x00/proc/self/comm\x00"
	if !strings.HasPrefix(out, want) {
		t.Fatalf("cmdline = %q, want prefix %q", out, want)
	}
	rest := strings.TrimLeft(out[len(want):], "\x00")
	if rest != "hello\n" {
		t.Errorf("after cmdline padding: %q, want comm \"hello\\n\"", rest)
	}
}

// TestRunnerSignals: SIGTERM must end a busy guest (epoch interruption) and
// a guest blocked in a host call (grace period) within 250 ms.
func TestRunnerSignals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mod   *wasm.Module
		args  []string
		ready string // stdout line showing the guest is running; "" = wait 300 ms
		sig   syscall.Signal
	}{
		{"wat loop SIGTERM", watModule(t, "loop"), []string{"loop"}, "", syscall.SIGTERM},
		{"component loop SIGTERM", watComponent(t, "component-loop"), []string{"loop"}, "", syscall.SIGTERM},
		{"go spin SIGINT", goModule(t), []string{"hello", "spin"}, "spinning", syscall.SIGINT},
		{"go sleep SIGTERM", goModule(t), []string{"hello", "cwd", "sleep", "10"}, "cwd=/", syscall.SIGTERM},
		{"go sleep SIGUSR1", goModule(t), []string{"hello", "cwd", "sleep", "10"}, "cwd=/", syscall.SIGUSR1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRunner(t, tc.mod, 0, "/", nil, tc.args...)
			waitReady(t, r, tc.ready)
			sent := time.Now()
			if err := r.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code := r.wait(t)
			took := time.Since(sent)
			if code != 128+int(tc.sig) {
				t.Errorf("exit %d, want %d; stderr %q", code, 128+int(tc.sig), r.stderr)
			}
			if took > 250*time.Millisecond {
				t.Errorf("exit took %v after the signal, want <= 250ms", took)
			}
			t.Logf("exited %v after %v", code, took)
		})
	}
}

// waitReady waits until the runner's stdout shows line (it reads the
// buffer the runner writes to), or 300 ms when line is empty.
func waitReady(t *testing.T, r *run, line string) {
	t.Helper()
	if line == "" {
		time.Sleep(300 * time.Millisecond)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(r.stdout.String(), line+"\n") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("guest never printed %q", line)
}

// entryMapped reports whether the process pid maps a cache entry: true when
// the runner loaded it with NewModuleDeserializeFile, false after the copy.
func entryMapped(t *testing.T, pid int, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	_ = dir // a detached mount: the path is the entry's, from the mount's root
	return strings.Contains(string(b), ".cwasm")
}

// TestRunnerLoadsMapped: the runner maps its entry (shared page cache) when
// the fd is a regular file, and copies it when the fd is not one (a pipe
// here), and both run the module. Nothing in the container's environment
// chooses between the two.
func TestRunnerLoadsMapped(t *testing.T) {
	e := openEntry(t, goModule(t))
	defer e.File.Close()
	for _, tc := range []struct {
		name   string
		pipe   bool
		mapped bool
	}{
		{"file", false, true},
		{"pipe", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := e.File
			if tc.pipe {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer pr.Close()
				go func() {
					io.Copy(pw, io.NewSectionReader(e.File, 0, e.Size))
					pw.Close()
				}()
				fd = pr
			}
			r := startRunnerFD(t, fd, e.Size, "/", nil, "hello", "cwd", "sleep", "10")
			waitReady(t, r, "cwd=/")
			mapped := entryMapped(t, r.cmd.Process.Pid, runnerCache(t).Dir)
			r.cmd.Process.Signal(syscall.SIGTERM)
			if code := r.wait(t); code != 128+int(syscall.SIGTERM) {
				t.Errorf("exit %d; stderr %q", code, r.stderr)
			}
			if mapped != tc.mapped {
				t.Errorf("entry mapped: %v, want %v", mapped, tc.mapped)
			}
		})
	}
}
