package wasm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the two child processes the tests need:
//
//	WASM_RUNNER_TEST=1: the in-container runner: runner.c's constructor
//	                    takes over before TestMain, as in wasm-runc
//	                    (WASM_RUNNER_TEST_PROCFD replaces /proc/self/fd/);
//	WASM_CACHE_TEST=1:  a process opening the cache (WASM_CACHE_DIR,
//	                    WASM_CACHE_MODULE) and printing the entry size.
func TestMain(m *testing.M) {
	if os.Getenv("WASM_RUNNER_TEST") == "1" && len(os.Args) > 1 && os.Args[1] == RunnerMarker {
		os.Exit(RunnerMain(os.Args[2:])) // not reached: see runner.c
	}
	if os.Getenv("WASM_CACHE_TEST") == "1" {
		os.Exit(cacheChild())
	}
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

func cacheChild() int {
	settleTime = 0
	c := &CompileCache{Dir: os.Getenv("WASM_CACHE_DIR")}
	name := os.Getenv("WASM_CACHE_MODULE")
	f, err := c.Open(&Module{HostPath: name, GuestPath: name, Text: strings.HasSuffix(name, ".wat")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	st, _ := f.Stat()
	fmt.Println(st.Size())
	return 0
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
		cmd := exec.Command("go", "build", "-o", helloPath, "../examples/hello")
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
func watModule(t testing.TB, name string) *Module {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../examples/wat", name+".wat"))
	if err != nil {
		t.Fatal(err)
	}
	return &Module{HostPath: p, GuestPath: p, Text: true}
}

func goModule(t testing.TB) *Module {
	p := goHello(t)
	return &Module{HostPath: p, GuestPath: p}
}

// sharedCache compiles each module once for all runner tests.
var sharedCache struct {
	once sync.Once
	c    *CompileCache
}

func runnerCache(t testing.TB) *CompileCache {
	sharedCache.once.Do(func() {
		sharedCache.c = &CompileCache{Dir: filepath.Join(testTmp(t), "cache")}
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
// as fd 3, the args from RunnerArgs.
func startRunner(t *testing.T, m *Module, memLimit int64, dir string, env []string, args ...string) *run {
	t.Helper()
	f, err := runnerCache(t).Open(m)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ra := RunnerArgs(RunnerOptions{ModuleFD: 3, MemoryLimit: memLimit, Args: args})
	if ra[0] != "/proc/self/exe" || ra[1] != RunnerMarker {
		t.Fatalf("RunnerArgs = %q", ra)
	}
	cmd := exec.Command(exe, ra[1:]...)
	cmd.Env = append([]string{"WASM_RUNNER_TEST=1"}, env...)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{f}
	r := &run{cmd: cmd, stdout: new(syncBuffer), stderr: new(syncBuffer)}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
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

func runModule(t *testing.T, m *Module, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	// RUST_BACKTRACE must not turn one-line messages into backtraces.
	r := startRunner(t, m, 0, "/", []string{"RUST_BACKTRACE=1"}, args...)
	code = r.wait(t)
	return code, r.stdout.String(), r.stderr.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
