package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// testWasmWASI checks what the guest sees through WASI: its args and
// environment, the working directory, the container's whole filesystem at
// "/" with the mounts' own permissions, and its stdio.
func testWasmWASI(t *testing.T, fx *wasmFixture) {
	// goContainer is a compat container running the Go example as /hello.wasm
	// with the given commands.
	goContainer := func(t *testing.T, rt *runtime, opts ...specOpt) *container {
		t.Helper()
		c := newContainer(t, rt, append([]specOpt{withVariant("compat")}, opts...)...)
		installFile(t, c, "/hello.wasm", fx.hello, 0o755)
		return c
	}
	mustRunOK := func(t *testing.T, c *container) result {
		t.Helper()
		res := wasmRun(t, c, fx.opts())
		if res.code != 0 {
			t.Fatalf("want exit 0; got %s", res)
		}
		return res
	}

	t.Run("args_verbatim", func(t *testing.T) {
		// "exit 0" ends the commands; what follows is only data.
		args := []string{"/hello.wasm", "args", "exit", "0", "with space", "", "tab\there", "ünïcödé", "--flag=x", "-read", "$HOME"}
		c := goContainer(t, newRuntime(t), withArgs(args...))
		res := mustRunOK(t, c)
		var want strings.Builder
		for i, a := range args {
			want.WriteString("arg[" + strconv.Itoa(i) + "]=" + a + "\n")
		}
		if res.stdout != want.String() {
			t.Errorf("args:\n got %q\nwant %q", res.stdout, want.String())
		}
	})

	t.Run("env", func(t *testing.T) {
		env := []string{"PATH=/usr/bin:/bin", "GREETING=hello world", "EMPTY=", "MULTI=a=b=c", "RUST_BACKTRACE=1"}
		c := goContainer(t, newRuntime(t), withArgs("/hello.wasm", "env"), withProcessEnv(env...))
		res := mustRunOK(t, c)
		got := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		// PWD is added for Go's wasip1 runtime, which takes its cwd from it;
		// HOME is libcontainer's, from /etc/passwd, as for a native process.
		want := append(slices.Clone(env), "PWD=/", "HOME=/root")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("environment:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("env_own_PWD_kept", func(t *testing.T) {
		c := goContainer(t, newRuntime(t), withArgs("/hello.wasm", "env"), withProcessEnv("PWD=/elsewhere"), withProcessCwd("/tmp"))
		res := mustRunOK(t, c)
		if res.stdout != "PWD=/elsewhere\nHOME=/root\n" {
			t.Errorf("environment %q; want the spec's PWD=/elsewhere (and libcontainer's HOME)", res.stdout)
		}
	})

	t.Run("cwd_relative_paths", func(t *testing.T) {
		c := goContainer(t, newRuntime(t), withProcessCwd("/data"),
			withArgs("/hello.wasm", "cwd", "cat", "relative/file", "ls", "."))
		writeRootfsFile(t, c, "/data/relative/file", "relative-content\n", 0o644)
		res := mustRunOK(t, c)
		want := "cwd=/data\nrelative-content\nrelative\n"
		if res.stdout != want {
			t.Errorf("stdout %q; want %q", res.stdout, want)
		}
	})

	t.Run("bind_mount_visible_and_writable", func(t *testing.T) {
		host := t.TempDir()
		mustWrite(t, filepath.Join(host, "from-host"), "host-content\n")
		c := goContainer(t, newRuntime(t), withBind(host, "/mnt/host"),
			withArgs("/hello.wasm", "ls", "/mnt/host", "cat", "/mnt/host/from-host", "write", "/mnt/host/from-guest", "guest-content"))
		res := mustRunOK(t, c)
		if res.stdout != "from-host\nhost-content\n" {
			t.Errorf("stdout %q", res.stdout)
		}
		if b, err := os.ReadFile(filepath.Join(host, "from-guest")); err != nil || string(b) != "guest-content" {
			t.Errorf("file written by the guest: %q, %v", b, err)
		}
	})

	t.Run("read_only_bind_mount", func(t *testing.T) {
		host := t.TempDir()
		mustWrite(t, filepath.Join(host, "file"), "ro-content\n")
		c := goContainer(t, newRuntime(t),
			withExtraMount(specs.Mount{Destination: "/mnt/ro", Type: "bind", Source: host, Options: []string{"rbind", "ro"}}),
			withArgs("/hello.wasm", "cat", "/mnt/ro/file", "write", "/mnt/ro/new", "x"))
		res := wasmRun(t, c, fx.opts())
		if res.code != 1 || res.stdout != "ro-content\n" || !writeRefused(res.stderr) {
			t.Errorf("want the read to work and the write to fail (exit 1); got %s", res)
		}
		if _, err := os.Stat(filepath.Join(host, "new")); err == nil {
			t.Errorf("the guest wrote through a read-only mount")
		}
	})

	t.Run("read_only_root", func(t *testing.T) {
		rt := newRuntime(t)
		// The default spec has root.readonly: true and a tmpfs on /tmp.
		write := goContainer(t, rt, withArgs("/hello.wasm", "write", "/new-file", "x"))
		res := wasmRun(t, write, fx.opts())
		if res.code != 1 || !writeRefused(res.stderr) {
			t.Errorf("write to /: want exit 1 and a refused write; got %s", res)
		}
		if _, err := os.Stat(filepath.Join(write.bundle, "rootfs", "new-file")); err == nil {
			t.Errorf("the guest wrote into the read-only rootfs")
		}
		tmp := goContainer(t, rt, withArgs("/hello.wasm", "write", "/tmp/ok", "tmpfs-content", "cat", "/tmp/ok"))
		if res := mustRunOK(t, tmp); res.stdout != "tmpfs-content" {
			t.Errorf("write to the tmpfs: stdout %q", res.stdout)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		input := filepath.Join(t.TempDir(), "input")
		mustWrite(t, input, "line one\nline two\n")
		c := goContainer(t, newRuntime(t), withArgs("/hello.wasm", "stdin"))
		f, err := os.Open(input)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd, outs := c.rt.command(t, fx.opts(), "run", "--bundle", c.bundle, c.id)
		cmd.Stdin = f
		res := outs.result(cmd, runTracked(cmd))
		if res.code != 0 || res.stdout != "line one\nline two\n" {
			t.Errorf("want stdin copied to stdout; got %s", res)
		}
	})

	t.Run("terminal", func(t *testing.T) {
		rt := newRuntime(t)
		c := goContainer(t, rt, withTerminal(), withArgs("/hello.wasm", "args", "cat", "/etc/hostname"))
		cs := newConsoleSocket(t)
		wasmCreate(t, c, fx.opts(), "--console-socket", cs.path)
		master := cs.receive(t)
		out := readPty(master)
		c.start(t)
		rt.waitStatus(t, c.id, "stopped", 10*time.Second)
		if err := out.wait(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.Contains(got, "arg[0]=/hello.wasm\r\narg[1]=args\r\n") || !strings.Contains(got, "itest\r\n") {
			t.Errorf("pty output %q; want the args and the hostname, with CRLF", got)
		}
	})
}

// writeRefused reports whether the Go example's stderr says a write was
// refused by a read-only mount. The kernel says EROFS; wasmtime v39's WASI
// has no mapping for it and hands the guest EIO ("I/O error").
func writeRefused(stderr string) bool {
	stderr = strings.ToLower(stderr)
	return strings.Contains(stderr, "hello: write: open ") &&
		(strings.Contains(stderr, "read-only file system") || strings.Contains(stderr, "i/o error"))
}
