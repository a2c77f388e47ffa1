package compiler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testLimits = Limits{Timeout: 60 * time.Second, Memory: 1 << 30, MaxInput: 64 << 20, MaxOutput: 256 << 20}

const helloWat = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))`

func compileText(t *testing.T, src string, text bool, lim Limits) ([]byte, error) {
	t.Helper()
	kind := Source{Text: text}
	if text {
		kind.Component = strings.Contains(src, "(component")
	} else {
		kind.Component = len(src) >= 8 && src[6] == 1
	}
	return compileKind(t, src, kind, lim)
}

func compileKind(t *testing.T, src string, kind Source, lim Limits) ([]byte, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "m")
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	err = Compile(context.Background(), f, out, kind, lim)
	b, _ := os.ReadFile(out.Name())
	return b, err
}

func TestCompile(t *testing.T) {
	b, err := compileText(t, helloWat, true, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\x7fELF") {
		t.Fatalf("output does not start with an ELF header: %q", b[:min(len(b), 16)])
	}
}

// TestCompileRejects: every refusal is one line naming the cause, and
// image text in it is capped and escaped.
func TestCompileRejects(t *testing.T) {
	long := `(module (import "env" "` + strings.Repeat("x", 3000) + `\1b[31m" (func)) (func (export "_start")))`
	for _, tc := range []struct {
		name, src string
		text      bool
		lim       Limits
		want      string
	}{
		{"bad wat", "(module (fnuc))", true, testLimits, "parse WAT: expected valid module field"},
		{"not wasm", "#!/bin/sh\n", false, testLimits, "not a WebAssembly module"},
		{"bad component", "\x00asm\x0d\x00\x01\x00\xff", false, testLimits, "compile: "},
		{"unknown layer", "\x00asm\x0d\x00\x02\x00", false, testLimits, "unknown WebAssembly layer 2"},
		{"reactor component", readExample(t, "component-reactor"), true, testLimits, "is a WebAssembly component that exports example:demo/greeter; wasm-runc runs components that export wasi:cli/run"},
		{"wasi:http proxy component", `(component
  (core module $m (func (export "handle")))
  (core instance $i (instantiate $m))
  (func $handle (canon lift (core func $i "handle")))
  (instance $h (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $h)))`, true, testLimits,
			"is a WebAssembly component that exports wasi:http/incoming-handler@0.2.0; wasm-runc runs components that export wasi:cli/run"},
		{"component missing import", readExample(t, "component-import"), true, testLimits, "link: component imports instance `example:missing/thing`"},
		{"missing import", `(module (import "env" "nope" (func)) (func (export "_start")))`, true, testLimits, "link: unknown import: `env::nope` has not been defined"},
		{"no _start", `(module (func (export "main")))`, true, testLimits, "module has no _start function"},
		{"too large", helloWat, true, Limits{Timeout: time.Minute, Memory: 1 << 30, MaxInput: 10, MaxOutput: 1 << 20}, "bytes is more than the 10 this runtime accepts"},
		{"output too large", helloWat, true, Limits{Timeout: time.Minute, Memory: 1 << 30, MaxInput: 1 << 20, MaxOutput: 1000}, "compiled module too large"},
		{"long escaped", long, true, testLimits, "more bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileText(t, tc.src, tc.text, tc.lim)
			var re *RejectedError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v (%T), want a RejectedError", err, err)
			}
			if !strings.Contains(re.Reason, tc.want) {
				t.Errorf("reason %q does not contain %q", re.Reason, tc.want)
			}
			if len(re.Reason) > 700 || strings.ContainsAny(re.Reason, "\n\x1b") {
				t.Errorf("reason not capped or not escaped (%d bytes): %q", len(re.Reason), re.Reason)
			}
		})
	}
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../examples/wat", name+".wat"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCompileComponent: a component compiles to wasmtime's serialized form;
// the worker refuses bytes of the other kind than the host said, so the
// cache cannot store an entry the runner would load as the wrong kind.
func TestCompileComponent(t *testing.T) {
	comp := readExample(t, "component-exit")
	b, err := compileKind(t, comp, Source{Text: true, Component: true}, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\x7fELF") {
		t.Errorf("compiled component does not start with an ELF header: %q", b[:min(len(b), 8)])
	}
	for _, tc := range []struct {
		name string
		src  string
		kind Source
		want string
	}{
		{"component said module", comp, Source{Text: true}, "is a component, but its WAT text does not start with (component"},
		{"module said component", helloWat, Source{Text: true, Component: true}, "is a core module, but its WAT text does not start with (module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileKind(t, tc.src, tc.kind, testLimits)
			var re *RejectedError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tc.want) {
				t.Fatalf("err = %v, want a RejectedError containing %q", err, tc.want)
			}
		})
	}
}

// bombWat is one function with n live locals and a long chain of adds: a
// Cranelift compile that takes minutes and gigabytes.
func bombWat(locals, adds int) string {
	var b strings.Builder
	b.WriteString("(module (func $f (param $p i64) (result i64)")
	for i := 0; i < locals; i++ {
		fmt.Fprintf(&b, " (local $l%d i64)", i)
	}
	for i := 0; i < locals; i++ {
		fmt.Fprintf(&b, " (local.set $l%d (i64.mul (local.get $p) (i64.const %d)))", i, i+3)
	}
	for i := 0; i < adds; i++ {
		fmt.Fprintf(&b, " (local.set $l%d (i64.add (local.get $l%d) (local.get $l%d)))", i%locals, (i*7+1)%locals, (i*13+5)%locals)
	}
	b.WriteString(" (local.get $l0)")
	for i := 1; i < locals; i++ {
		fmt.Fprintf(&b, " (i64.add (local.get $l%d))", i)
	}
	b.WriteString(`) (func (export "_start") (drop (call $f (i64.const 3)))))`)
	return b.String()
}

func TestCompileDeadline(t *testing.T) {
	lim := testLimits
	lim.Timeout = 2 * time.Second
	start := time.Now()
	_, err := compileText(t, bombWat(2000, 40000), true, lim)
	var re *RejectedError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "compile deadline") {
		t.Fatalf("err = %v, want the deadline", err)
	}
	t.Logf("refused after %v: %s", time.Since(start).Round(time.Millisecond), re.Reason)
}

func TestCompileMemory(t *testing.T) {
	lim := testLimits
	lim.Memory = 64 << 20
	_, err := compileText(t, bombWat(2000, 40000), true, lim)
	var re *RejectedError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "out of memory") {
		t.Fatalf("err = %v, want out of memory", err)
	}
}

func TestCompileCancel(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "m.wat")
	os.WriteFile(in, []byte(bombWat(2000, 40000)), 0o644)
	f, _ := os.Open(in)
	defer f.Close()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := Compile(ctx, f, out, Source{Text: true}, testLimits); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
}

// TestCompileCgroup: the worker runs in the transient cgroup, whose memory
// limit ends a compile bomb, and the cgroup is gone afterwards.
func TestCompileCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skipf("needs root for cgroups (euid %d)", os.Geteuid())
	}
	lim := testLimits
	lim.Cgroup = fmt.Sprintf("/wasm-runc-compile-test-%d", os.Getpid())
	lim.Memory = 48 << 20
	_, err := compileText(t, bombWat(2000, 40000), true, lim)
	var re *RejectedError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "out of memory") {
		t.Fatalf("err = %v, want out of memory", err)
	}
	for _, d := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(d + lim.Cgroup); !os.IsNotExist(err) {
			t.Errorf("%s%s left behind (%v)", d, lim.Cgroup, err)
		}
	}
	if _, err := compileText(t, helloWat, true, lim); err != nil {
		t.Fatalf("a small module in the same limits: %v", err)
	}
}

// TestCompileDropsRoot: a worker started by root compiles as nobody, so a
// bug in wasmtime's handling of hostile bytes does not run as root.
func TestCompileDropsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skipf("needs root to see the drop (euid %d)", os.Geteuid())
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "m.wat")
	os.WriteFile(in, []byte(bombWat(2000, 40000)), 0o644)
	f, _ := os.Open(in)
	defer f.Close()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Compile(ctx, f, out, Source{Text: true}, testLimits) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if !strings.Contains(string(cmd), "\x00"+Marker+"\x00") {
				continue
			}
			status, _ := os.ReadFile("/proc/" + e.Name() + "/status")
			if !strings.Contains(string(status), fmt.Sprintf("\nPPid:\t%d\n", os.Getpid())) {
				continue
			}
			for _, l := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(l, "Uid:") && strings.Fields(l)[1] != "0" {
					if got := strings.Fields(l)[1]; got != "65534" {
						t.Fatalf("worker runs as uid %s", got)
					}
					return // dropped
				}
			}
		}
	}
	t.Fatal("never saw the worker run as nobody")
}

// TestCompileCwd: with Limits.Cwd the worker compiles a wasi-libc module
// rewritten for that directory (the marker export is in the compiled
// code); without it, or for a module the rewrite leaves alone, the module
// as it is. A rewrite that wasmtime refuses (here: no memory for the
// wrapper to use) falls back to the original module, not to a failure.
func TestCompileCwd(t *testing.T) {
	noMemory := `(module
  (func $malloc (param i32) (result i32) (local.get 0))
  (func $__wasilibc_find_abspath (param i32 i32 i32) (result i32) (local.get 0))
  (global (mut i32) (i32.const 0))
  (func (export "_start")))`
	if _, rc := rewriteCwd(wat(t, noMemory), "/data"); rc != cwdJoin {
		t.Fatalf("the no-memory module was not rewritten (%d): the test tests nothing", rc)
	}
	for _, tc := range []struct {
		name, src, cwd string
		marked         bool
	}{
		{"join", cwdJoinWat, "/data", true},
		{"chdir", cwdChdirWat, "/data", true},
		{"no cwd", cwdJoinWat, "", false},
		{"no names", helloWat, "/data", false},
		{"rewrite refused", noMemory, "/data", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := testLimits
			lim.Cwd = tc.cwd
			b, err := compileText(t, tc.src, true, lim)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(b), "wasm-runc:cwd"); got != tc.marked {
				t.Errorf("compiled code has the marker export: %v, want %v", got, tc.marked)
			}
		})
	}
}
