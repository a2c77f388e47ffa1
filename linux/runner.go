package linux

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Action is what a Runner does with its container.
type Action int

const (
	// ActCreate starts the init process and leaves it waiting for `start`.
	ActCreate Action = iota + 1
	// ActRun starts the init process and lets it run.
	ActRun
	// ActRestore restores the container from a checkpoint.
	ActRestore
	// ActExec runs an extra process in a running container.
	ActExec
)

// Runner starts one process of a container and, when it does not detach,
// stays with it: forwards signals, relays the tty and returns its exit code.
type Runner struct {
	Container *libcontainer.Container
	Action    Action
	Executor  Executor
	// Detach returns as soon as the process has started.
	Detach bool
	// Destroy removes the container on failure and, when the runner
	// waited for the process, after it exits.
	Destroy         bool
	EnableSubreaper bool
	PidFile         string
	ConsoleSocket   string
	PidfdSocket     string
	PreserveFDs     int
	ListenFDs       []*os.File
	CriuOpts        *libcontainer.CriuOpts
	SubCgroupPaths  map[string]string
	Notify          *NotifySocket
	// Signals, when set, is a registration started with ListenSignals;
	// a Runner that stays with its process uses it instead of its own.
	Signals *Signals
}

// Signals is a registration for every signal that completes in the
// background. os/signal enables each signal with one handshake with the Go
// runtime's signal-mask thread, about 65 handshakes and half a millisecond
// in all; started before the bundle is loaded, that overlaps the loading.
type Signals struct {
	c     chan os.Signal
	ready chan struct{}
}

// ListenSignals starts registering for every signal. Call Stop when the
// Runner is not used and the process goes on; a process about to exit need
// not (Stop costs as many handshakes as the registration).
func ListenSignals() *Signals {
	s := &Signals{c: make(chan os.Signal, 128), ready: make(chan struct{})}
	go func() {
		signal.Notify(s.c)
		close(s.ready)
	}()
	return s
}

// wait returns the channel once every signal is registered.
func (s *Signals) wait() chan os.Signal {
	<-s.ready
	return s.c
}

// Stop ends the registration.
func (s *Signals) Stop() {
	if s != nil {
		<-s.ready
		signal.Stop(s.c)
	}
}

func (r *Runner) detached() bool { return r.Detach || r.Action == ActCreate }

// Run starts process p and returns its exit code (0 when detached).
func (r *Runner) Run(p *specs.Process) (status int, err error) {
	defer func() {
		if err != nil {
			r.destroy()
		}
	}()
	detach := r.detached()
	if detach && p.Terminal && r.ConsoleSocket == "" {
		return -1, errors.New("cannot allocate tty if runc will detach without setting console socket")
	}
	if (!detach || !p.Terminal) && r.ConsoleSocket != "" {
		return -1, errors.New("cannot use console socket if runc will not detach or allocate tty")
	}
	lp, err := NewProcess(p)
	if err != nil {
		return -1, err
	}
	lp.LogLevel = strconv.Itoa(int(logrus.GetLevel()))
	lp.Init = r.Action != ActExec
	lp.SubCgroupPaths = r.SubCgroupPaths
	if len(r.ListenFDs) > 0 {
		lp.Env = append(lp.Env, "LISTEN_FDS="+strconv.Itoa(len(r.ListenFDs)), "LISTEN_PID=1")
		lp.ExtraFiles = append(lp.ExtraFiles, r.ListenFDs...)
	}
	base := 3 + len(lp.ExtraFiles)
	for fd := base; fd < base+r.PreserveFDs; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return -1, fmt.Errorf("unable to stat preserved-fd %d (of %d): %w", fd-base, r.PreserveFDs, err)
		}
		lp.ExtraFiles = append(lp.ExtraFiles, os.NewFile(uintptr(fd), "PreserveFD:"+strconv.Itoa(fd)))
	}
	if err := r.Executor.Prepare(lp); err != nil {
		return -1, err
	}
	defer r.Executor.Close()

	// Listen for signals before the process exists so none is lost.
	var signals chan os.Signal
	if !detach {
		if r.EnableSubreaper {
			if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
				return -1, fmt.Errorf("set subreaper: %w", err)
			}
		}
		if r.Signals == nil {
			r.Signals = ListenSignals()
			defer r.Signals.Stop()
		}
		signals = r.Signals.wait()
	}
	t, err := setupIO(lp, p.Terminal, detach, r.ConsoleSocket)
	if err != nil {
		return -1, err
	}
	defer t.Close()
	if r.PidfdSocket != "" {
		closeSocket, err := dialPidfdSocket(lp, r.PidfdSocket)
		if err != nil {
			return -1, err
		}
		defer closeSocket()
	}

	switch r.Action {
	case ActCreate:
		err = r.Container.Start(lp)
	case ActRun, ActExec:
		err = r.Container.Run(lp)
	case ActRestore:
		err = r.Container.Restore(lp, r.CriuOpts)
	}
	if err != nil {
		return -1, err
	}
	if err = t.waitConsole(); err != nil {
		terminate(lp)
		return -1, err
	}
	t.closePostStart()
	if r.PidFile != "" {
		if err = WritePidFile(r.PidFile, lp); err != nil {
			terminate(lp)
			return -1, err
		}
	}
	if detach {
		if r.Notify != nil && r.Action != ActCreate {
			if err = r.Notify.WaitReady(r.Container); err != nil {
				return -1, err
			}
		}
		return 0, nil
	}
	if r.Notify != nil {
		go r.Notify.Forward()
	}
	status, err = forwardSignals(lp, t, signals)
	if err != nil {
		terminate(lp)
		return -1, err
	}
	r.destroy()
	return status, nil
}

func (r *Runner) destroy() {
	if r.Destroy {
		if err := r.Container.Destroy(); err != nil {
			logrus.Warn(err)
		}
	}
}

func terminate(p *libcontainer.Process) {
	_ = p.Signal(unix.SIGKILL)
	_, _ = p.Wait()
}

// WritePidFile writes the process's pid to path atomically: callers poll
// for the file and must never see it half written.
func WritePidFile(path string, p *libcontainer.Process) error {
	pid, err := p.Pid()
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_SYNC, 0o666)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.Itoa(pid))
	f.Close()
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

func dialPidfdSocket(p *libcontainer.Process, path string) (func(), error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("failed to dial %s: %w", path, err)
	}
	f, err := conn.(*net.UnixConn).File()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("failed to dup socket: %w", err)
	}
	p.PidfdSocket = f
	return func() { f.Close(); conn.Close() }, nil
}

// forwardSignals relays signals to the process, reaps children (we are
// their subreaper) and returns the process's exit code once it exits.
func forwardSignals(p *libcontainer.Process, t *tty, signals chan os.Signal) (int, error) {
	pid, err := p.Pid()
	if err != nil {
		return -1, err
	}
	// The process may have exited before we got here; reap once up front.
	if status, done := reap(pid); done {
		_, _ = p.Wait()
		t.drain()
		return status, nil
	}
	for s := range signals {
		switch s {
		case unix.SIGURG:
			// The Go runtime's own preemption signal.
		case unix.SIGWINCH:
			_ = t.resize()
		case unix.SIGCHLD:
			if status, done := reap(pid); done {
				_, _ = p.Wait()
				t.drain()
				return status, nil
			}
		default:
			if err := unix.Kill(pid, s.(unix.Signal)); err != nil && !errors.Is(err, unix.ESRCH) {
				logrus.Warnf("forward signal %v: %v", s, err)
			}
		}
	}
	return -1, errors.New("signal channel closed")
}

// reap collects every exited child; it reports the exit code of pid once
// pid is among them.
func reap(pid int) (int, bool) {
	for {
		var ws unix.WaitStatus
		var ru unix.Rusage
		child, err := unix.Wait4(-1, &ws, unix.WNOHANG, &ru)
		if err != nil || child <= 0 {
			return 0, false
		}
		if child == pid {
			return exitCode(ws), true
		}
	}
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
