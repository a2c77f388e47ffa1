package wasm

// cache_lock.go: who compiles when. One compile per key host-wide (the
// others wait and reuse its entry), at most Jobs compiles at once, and no
// wait longer than the compile deadline.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

var errLockTimeout = errors.New("lock wait timed out")

// lockPoll is how often a waiter tries a busy lock again.
const lockPoll = 20 * time.Millisecond

// tryLock takes an exclusive flock on path (created if missing) without
// blocking. busy reports another holder. The file is the one at path when
// the lock is taken: a holder removes its lock file before releasing it,
// so a lock on an unlinked file is retried.
func tryLock(path string) (f *os.File, busy bool, err error) {
	f, err = os.OpenFile(path, os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK || err == unix.EINTR {
			return nil, true, nil
		}
		return nil, false, err
	}
	var held, named unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Lstat(path, &named) != nil ||
		held.Dev != named.Dev || held.Ino != named.Ino {
		f.Close()
		return nil, true, nil // removed under us: try again
	}
	return f, false, nil
}

// waitLock retries tryLock until it succeeds, ctx ends or deadline passes.
func waitLock(ctx context.Context, path string, deadline time.Time) (*os.File, error) {
	for {
		f, busy, err := tryLock(path)
		if err != nil {
			return nil, fmt.Errorf("cache lock: %w", err)
		}
		if !busy {
			return f, nil
		}
		if time.Now().After(deadline) {
			return nil, errLockTimeout
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// lockKey takes the compile lock of key; unlock removes the lock file.
func (c *CompileCache) lockKey(ctx context.Context, key string, deadline time.Time) (unlock func(), err error) {
	path := filepath.Join(c.dir(), "locks", key)
	f, err := waitLock(ctx, path, deadline)
	if err != nil {
		return nil, err
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

// compileSlot takes one of the Jobs compile slots.
func (c *CompileCache) compileSlot(ctx context.Context, deadline time.Time) (release func(), err error) {
	jobs := c.Jobs
	if jobs <= 0 {
		jobs = DefaultCompileJobs
	}
	for {
		for i := 0; i < jobs; i++ {
			f, busy, err := tryLock(filepath.Join(c.dir(), "locks", "slot-"+strconv.Itoa(i)))
			if err != nil {
				return nil, fmt.Errorf("cache lock: %w", err)
			}
			if !busy {
				return func() { f.Close() }, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, errLockTimeout
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
