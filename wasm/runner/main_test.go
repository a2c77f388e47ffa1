package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasm-runc/wasm-runc/wasm"
)

// The test binary is also the runner: runner.c's constructor takes over a
// process whose argv[1] is Marker before TestMain runs, as in wasm-runc.
func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

var (
	tmpOnce sync.Once
	tmpRoot string // per test run, holds built modules
)

func testTmp(t testing.TB) string {
	tmpOnce.Do(func() {
		d, err := os.MkdirTemp("", "wasm-test-")
		if err != nil {
			panic(err)
		}
		tmpRoot = d
	})
	return tmpRoot
}

var (
	helloOnce sync.Once
	helloPath string
	helloErr  error
)

// goHello builds examples/hello for wasip1 once per test run.
func goHello(t testing.TB) string {
	t.Helper()
	helloOnce.Do(func() {
		helloPath = filepath.Join(testTmp(t), "hello.wasm")
		cmd := exec.Command("go", "build", "-o", helloPath, "../../examples/hello")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			helloErr = fmt.Errorf("build examples/hello: %v\n%s", err, out)
		}
	})
	if helloErr != nil {
		t.Fatal(helloErr)
	}
	return helloPath
}

// watModule is examples/wat/<name>.wat as a Module.
func watModule(t testing.TB, name string) *wasm.Module {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../examples/wat", name+".wat"))
	if err != nil {
		t.Fatal(err)
	}
	return &wasm.Module{GuestPath: p, Rootfs: "/", Text: true}
}

// watComponent is examples/wat/<name>.wat, a component, as a Module.
func watComponent(t testing.TB, name string) *wasm.Module {
	m := watModule(t, name)
	m.Component = true
	return m
}

func goModule(t testing.TB) *wasm.Module {
	p := goHello(t)
	return &wasm.Module{GuestPath: p, Rootfs: "/"}
}

// sharedCache compiles each module once for all runner tests.
var sharedCache struct {
	once sync.Once
	c    *wasm.CompileCache
}

func runnerCache(t testing.TB) *wasm.CompileCache {
	sharedCache.once.Do(func() {
		sharedCache.c = &wasm.CompileCache{Dir: filepath.Join(testTmp(t), "cache")}
	})
	return sharedCache.c
}

type run struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
}

// syncBuffer lets a test poll output while exec's goroutine writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRunner starts the runner on m the way libcontainer would: the entry
// as fd 3, the args from Args.
func startRunner(t *testing.T, m *wasm.Module, memLimit int64, dir string, env []string, args ...string) *run {
	t.Helper()
	e := openEntry(t, m)
	defer e.File.Close()
	return startRunnerKind(t, e.File, e.Size, memLimit, m.Component, dir, env, args...)
}

// startRunnerFD starts the runner on an entry open as f.
func startRunnerFD(t *testing.T, f *os.File, size int64, dir string, env []string, args ...string) *run {
	return startRunnerMem(t, f, size, 0, dir, env, args...)
}

func startRunnerMem(t *testing.T, f *os.File, size, memLimit int64, dir string, env []string, args ...string) *run {
	t.Helper()
	return startRunnerKind(t, f, size, memLimit, false, dir, env, args...)
}

func startRunnerKind(t *testing.T, f *os.File, size, memLimit int64, component bool, dir string, env []string, args ...string) *run {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ra := Args(Options{ModuleFD: 3, ModuleSize: size, MemoryLimit: memLimit, Component: component, Args: args})
	if ra[0] != "/proc/self/exe" || ra[1] != Marker {
		t.Fatalf("Args = %q", ra)
	}
	cmd := exec.Command(exe, ra[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{f}
	r := &run{cmd: cmd, stdout: new(syncBuffer), stderr: new(syncBuffer)}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// openEntry compiles m into the shared test cache (once) and opens it as
// a container would get it.
func openEntry(t testing.TB, m *wasm.Module) *wasm.Entry {
	t.Helper()
	e, err := runnerCache(t).Open(context.Background(), m, wasm.CompileLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (r *run) wait(t *testing.T) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			r.cmd.Process.Kill()
		}
	}()
	err := r.cmd.Wait()
	close(done)
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	ws := r.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("runner killed by %v; stderr:\n%s", ws.Signal(), r.stderr)
	}
	return ws.ExitStatus()
}

// maxRSS is the child's peak resident set in bytes.
func (r *run) maxRSS() int64 {
	return r.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
}

func runModule(t *testing.T, m *wasm.Module, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// RUST_BACKTRACE must not turn one-line messages into backtraces.
	r := startRunner(t, m, 0, "/", []string{"RUST_BACKTRACE=1"}, args...)
	code = r.wait(t)
	return code, r.stdout.String(), r.stderr.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
