package linux

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NotifySocket passes sd_notify messages from the container to the
// NOTIFY_SOCKET of whoever started us (systemd, conmon): the container gets
// a socket of its own, bind-mounted where the host's socket path points, and
// we relay READY=1 with the container's host pid as MAINPID.
type NotifySocket struct {
	host     string // the caller's NOTIFY_SOCKET
	socket   string // our socket, in the container's state dir
	listener *net.UnixConn
}

// NewNotifySocket returns nil when the caller set no NOTIFY_SOCKET.
func NewNotifySocket(root, id string) *NotifySocket {
	host := os.Getenv("NOTIFY_SOCKET")
	if host == "" {
		return nil
	}
	return &NotifySocket{host: host, socket: filepath.Join(root, id, "notify", "notify.sock")}
}

// SetupSpec makes the socket visible inside the container.
func (n *NotifySocket) SetupSpec(s *specs.Spec) {
	inContainer := n.host
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: filepath.Dir(inContainer),
		Source:      filepath.Dir(n.socket),
		Type:        "bind",
		Options:     []string{"bind", "nosuid", "noexec", "nodev", "ro"},
	})
	if s.Process != nil {
		s.Process.Env = append(s.Process.Env, "NOTIFY_SOCKET="+inContainer)
	}
}

// Setup creates the socket directory (before the container's mounts are
// made) and, when bind is true, the socket itself.
func (n *NotifySocket) Setup(bind bool) error {
	if err := os.MkdirAll(filepath.Dir(n.socket), 0o755); err != nil {
		return err
	}
	if !bind {
		return nil
	}
	return n.bind()
}

func (n *NotifySocket) bind() error {
	_ = os.Remove(n.socket)
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	if err := os.Chmod(n.socket, 0o777); err != nil {
		l.Close()
		return err
	}
	n.listener = l
	return nil
}

// Forward relays messages until the socket is closed.
func (n *NotifySocket) Forward() {
	if n.listener == nil {
		return
	}
	_ = n.relay(-1, 0)
}

// WaitReady waits for the container's READY=1 and passes it on.
func (n *NotifySocket) WaitReady(c *libcontainer.Container) error {
	if n.listener == nil {
		if err := n.bind(); err != nil {
			return err
		}
	}
	st, err := c.State()
	if err != nil {
		return err
	}
	return n.relay(st.InitProcessPid, 0)
}

// relay forwards datagrams to the host socket; with mainPID > 0 it stops
// after READY=1, adding MAINPID.
func (n *NotifySocket) relay(mainPID int, timeout time.Duration) error {
	buf := make([]byte, 4096)
	for {
		if timeout > 0 {
			_ = n.listener.SetReadDeadline(time.Now().Add(timeout))
		}
		k, err := n.listener.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		msg := buf[:k]
		ready := bytes.Contains(msg, []byte("READY=1"))
		if ready && mainPID > 0 {
			msg = append(append([]byte{}, msg...), []byte("\nMAINPID="+strconv.Itoa(mainPID))...)
		}
		if err := n.send(msg); err != nil {
			return fmt.Errorf("notify socket: %w", err)
		}
		if ready && mainPID > 0 {
			return nil
		}
	}
}

func (n *NotifySocket) send(msg []byte) error {
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.host, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write(msg)
	return err
}

// Close closes our socket.
func (n *NotifySocket) Close() {
	if n.listener != nil {
		n.listener.Close()
	}
}
