package linux

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/containerd/console"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
)

// tty holds the stdio plumbing of one process: nothing when the process
// inherits our stdio, a console socket and a relayed pty otherwise.
type tty struct {
	host      console.Console // our own terminal, when stdin is one
	master    console.Console // the container's pty master (foreground tty)
	recv      chan error      // result of receiving the master
	copied    chan struct{}   // closed when the master's output is drained
	postStart []io.Closer     // closed once the process has started
	closers   []io.Closer
}

// setupIO decides where the process's stdio goes:
//   - terminal and detached: the caller's --console-socket receives the pty;
//   - terminal in the foreground: we receive the pty and relay it;
//   - otherwise the process inherits our stdio (conmon's and containerd's
//     pipes reach it untouched).
func setupIO(p *libcontainer.Process, terminal, detach bool, consoleSocket string) (*tty, error) {
	t := &tty{}
	if !terminal {
		p.Stdin, p.Stdout, p.Stderr = os.Stdin, os.Stdout, os.Stderr
		return t, nil
	}
	p.Stdin, p.Stdout, p.Stderr = nil, nil, nil
	if detach {
		conn, err := net.Dial("unix", consoleSocket)
		if err != nil {
			return nil, err
		}
		f, err := conn.(*net.UnixConn).File()
		if err != nil {
			conn.Close()
			return nil, err
		}
		p.ConsoleSocket = f
		t.postStart = append(t.postStart, f, conn)
		return t, nil
	}
	if c, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if err := c.SetRaw(); err != nil {
			return nil, fmt.Errorf("set stdin raw: %w", err)
		}
		t.host = c
	}
	parent, child, err := utils.NewSockPair("console")
	if err != nil {
		return nil, err
	}
	p.ConsoleSocket = child
	t.postStart = append(t.postStart, child)
	t.closers = append(t.closers, parent)
	t.recv = make(chan error, 1)
	go func() { t.recv <- t.receive(parent) }()
	return t, nil
}

func (t *tty) receive(socket *os.File) error {
	f, err := utils.RecvFile(socket)
	if err != nil {
		return err
	}
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return err
	}
	if err := console.ClearONLCR(c.Fd()); err != nil {
		c.Close()
		return err
	}
	t.master = c
	t.closers = append(t.closers, c)
	t.copied = make(chan struct{})
	go func() { _, _ = io.Copy(c, os.Stdin) }()
	go func() {
		_, _ = io.Copy(os.Stdout, c)
		close(t.copied)
	}()
	return t.resize()
}

// waitConsole waits until the foreground pty has been received.
func (t *tty) waitConsole() error {
	if t.recv == nil {
		return nil
	}
	return <-t.recv
}

func (t *tty) closePostStart() {
	for _, c := range t.postStart {
		c.Close()
	}
	t.postStart = nil
}

func (t *tty) resize() error {
	if t.master == nil || t.host == nil {
		return nil
	}
	return t.master.ResizeFrom(t.host)
}

// drain waits (briefly) for the pty's remaining output after the process
// exited.
func (t *tty) drain() {
	if t.copied == nil {
		return
	}
	select {
	case <-t.copied:
	case <-time.After(time.Second):
	}
}

func (t *tty) Close() {
	t.closePostStart()
	for _, c := range t.closers {
		c.Close()
	}
	if t.host != nil {
		_ = t.host.Reset()
	}
}
