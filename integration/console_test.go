package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// consoleSocket is the test side of --console-socket: it accepts one
// connection and receives the pty master over SCM_RIGHTS.
type consoleSocket struct {
	path   string
	ln     *net.UnixListener
	master chan *os.File
	errc   chan error
}

// newConsoleSocket listens on a fresh socket. The path lives in a short
// temporary directory: sun_path holds only 108 bytes.
func newConsoleSocket(t *testing.T) *consoleSocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cs := &consoleSocket{path: path, ln: ln, master: make(chan *os.File, 1), errc: make(chan error, 1)}
	go cs.accept()
	return cs
}

func (cs *consoleSocket) accept() {
	conn, err := cs.ln.AcceptUnix()
	if err != nil {
		cs.errc <- err
		return
	}
	defer conn.Close()
	buf := make([]byte, 4096) // the runtime sends the pty's name
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		cs.errc <- err
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		cs.errc <- err
		return
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil || len(fds) == 0 {
			continue
		}
		for _, extra := range fds[1:] {
			unix.Close(extra)
		}
		cs.master <- os.NewFile(uintptr(fds[0]), "pty-master")
		return
	}
	cs.errc <- errors.New("console socket: message carried no file descriptor")
}

// receive waits for the pty master.
func (cs *consoleSocket) receive(t *testing.T) *os.File {
	t.Helper()
	select {
	case f := <-cs.master:
		t.Cleanup(func() { f.Close() })
		return f
	case err := <-cs.errc:
		t.Fatalf("console socket: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("console socket: no pty master received within 10s")
	}
	return nil
}

// ptyReader collects everything read from a pty master until the slave side
// is closed by every process (read fails with EIO).
type ptyReader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func readPty(master *os.File) *ptyReader {
	p := &ptyReader{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			p.mu.Lock()
			p.buf.Write(b[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

func (p *ptyReader) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// wait waits until the slave side is closed.
func (p *ptyReader) wait(within time.Duration) error {
	select {
	case <-p.done:
		return nil
	case <-time.After(within):
		return fmt.Errorf("pty still open after %v; read so far: %q", within, p.String())
	}
}
