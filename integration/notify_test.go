package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	sdnotifyOnce sync.Once
	sdnotifyBin  string
	sdnotifyErr  error
)

// buildSdnotify builds testdata/sdnotify statically, once per test binary.
func buildSdnotify(t *testing.T) string {
	t.Helper()
	sdnotifyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sdnotify")
		if err != nil {
			sdnotifyErr = err
			return
		}
		bin := filepath.Join(dir, "sdnotify")
		cmd := exec.Command("go", "build", "-o", bin, "./testdata/sdnotify")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := outputTracked(cmd, true); err != nil {
			sdnotifyErr = &buildError{err: err, out: string(out)}
			return
		}
		sdnotifyBin = bin
	})
	if sdnotifyErr != nil {
		t.Skipf("precondition: a Go toolchain to build testdata/sdnotify statically: %v", sdnotifyErr)
	}
	return sdnotifyBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// TestNotifySocket checks NOTIFY_SOCKET passthrough: the container gets a
// socket, `start` waits for its READY=1 and forwards it to the caller's
// socket.
func TestNotifySocket(t *testing.T) {
	helper := buildSdnotify(t)
	dir, err := os.MkdirTemp("", "ns") // sun_path is short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sockPath := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	const delay = 500 * time.Millisecond
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell(`sleep 0.5; sdnotify READY=1 && echo notified; exec sleep 30`))
	if err := copyFile(helper, filepath.Join(c.bundle, "rootfs", "bin", "sdnotify"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"NOTIFY_SOCKET=" + sockPath}
	if res := c.createWith(t, cmdOpts{env: env}); res.code != 0 {
		t.Fatalf("%s", res)
	}
	c.pids = append(c.pids, c.state(t).Pid)

	begin := time.Now()
	res := rt.runWith(t, cmdOpts{env: env}, "start", c.id)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	if took := time.Since(begin); took < delay-50*time.Millisecond {
		t.Errorf("start returned after %v, before the container sent READY=1 (after %v)", took, delay)
	}

	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := conn.ReadFromUnix(buf)
	if err != nil {
		t.Fatalf("no notification forwarded to NOTIFY_SOCKET: %v; container stdout %q stderr %q",
			err, c.output(), readFile(c.stderr))
	}
	if msg := string(buf[:n]); !strings.Contains(msg, "READY=1") {
		t.Errorf("forwarded notification %q lacks READY=1", msg)
	}
	c.waitOutput(t, "notified", 5*time.Second)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
