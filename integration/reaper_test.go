package integration

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Orphans reparented to this subreaper must be reaped, but never a child that
// an exec.Cmd is waiting for: that would make its Wait fail with ECHILD. So
// every exec.Cmd is started through startTracked, and the reaper only waits
// for zombie children it does not track. The RWMutex makes "start and
// register" atomic with respect to a reaper scan.
var (
	trackMu sync.RWMutex
	tracked sync.Map // pid -> struct{}
)

// startTracked starts cmd and protects it from the orphan reaper until
// waitTracked returns.
func startTracked(cmd *exec.Cmd) error {
	trackMu.RLock()
	defer trackMu.RUnlock()
	if err := cmd.Start(); err != nil {
		return err
	}
	tracked.Store(cmd.Process.Pid, struct{}{})
	return nil
}

// waitTracked waits for a command started by startTracked.
func waitTracked(cmd *exec.Cmd) error {
	err := cmd.Wait()
	tracked.Delete(cmd.Process.Pid)
	return err
}

// runTracked is cmd.Run for tracked commands.
func runTracked(cmd *exec.Cmd) error {
	if err := startTracked(cmd); err != nil {
		return err
	}
	return waitTracked(cmd)
}

func startOrphanReaper() (stop func()) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-sigs:
			case <-tick.C:
			}
			reapOrphans()
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		<-finished
		reapOrphans()
	}
}

// reapOrphans waits for every zombie child of ours that no exec.Cmd owns.
func reapOrphans() {
	trackMu.Lock()
	defer trackMu.Unlock()
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, ok := procStat(pid)
		if !ok || ppid != self || state != 'Z' {
			continue
		}
		if _, mine := tracked.Load(pid); mine {
			continue
		}
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

// zombieChildren counts our children that nobody has waited for.
func zombieChildren() int {
	self := os.Getpid()
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := procStat(pid); ok && ppid == self && state == 'Z' {
			n++
		}
	}
	return n
}

// procStat returns the parent pid and the state letter of pid.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, false
	}
	fields := bytes.Fields(b[i+2:])
	if len(fields) < 2 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, 0, false
	}
	return ppid, fields[0][0], true
}

// processGone reports whether pid no longer runs (absent or a zombie).
func processGone(pid int) bool {
	_, state, ok := procStat(pid)
	return !ok || state == 'Z' || state == 'X'
}

// outputTracked is cmd.CombinedOutput (combined) or cmd.Output for tracked
// commands: an untracked child could be reaped by the orphan reaper before
// exec.Cmd waits for it ("waitid: no child processes").
func outputTracked(cmd *exec.Cmd, combined bool) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	if combined {
		cmd.Stderr = &out
	}
	err := runTracked(cmd)
	return out.Bytes(), err
}
