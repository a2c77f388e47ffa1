package wasm

// cache_dir.go: the cache directory and its key, checked before anything is
// created in them: both must belong to the user running wasm-runc alone,
// or someone else could plant compiled code or read the key.

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

const macKeySize = 32

// checkOwnDir checks that the directory open as fd is a directory (not a
// symlink: fd was opened with O_NOFOLLOW) owned by us and reachable by no
// one else, fixing the mode when it is merely too open.
func checkOwnDir(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("cache directory %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("cache directory %s: not a directory", path)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("cache directory %s: owned by uid %d, not %d", path, st.Uid, os.Geteuid())
	}
	if st.Mode&0o077 != 0 {
		if err := unix.Fchmod(fd, 0o700); err != nil {
			return fmt.Errorf("cache directory %s: %w", path, err)
		}
	}
	return nil
}

// openOwnDir opens dir (creating it 0700 when missing) and checks it with
// checkOwnDir; a symlink is refused, never followed.
func openOwnDir(dirfd int, name, path string) (int, error) {
	if err := unix.Mkdirat(dirfd, name, 0o700); err != nil && err != unix.EEXIST {
		return -1, fmt.Errorf("create cache directory %s: %w", path, err)
	}
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP || err == unix.ENOTDIR {
			return -1, fmt.Errorf("cache directory %s: not a directory", path)
		}
		return -1, fmt.Errorf("cache directory %s: %w", path, err)
	}
	// O_PATH fds take no fchmod; the check reopens when it must fix a mode.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Mode&0o077 != 0 && int(st.Uid) == os.Geteuid() && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		rfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			defer unix.Close(rfd)
			if err := checkOwnDir(rfd, path); err != nil {
				unix.Close(fd)
				return -1, err
			}
			return fd, nil
		}
	}
	if err := checkOwnDir(fd, path); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// ensureDir creates the cache directory and its subdirectories, or checks
// existing ones, before it creates anything inside.
func (c *CompileCache) ensureDir() error {
	dir := c.dir()
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create cache directory: %w", err)
	}
	pfd, err := unix.Open(parent, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cache directory %s: %w", dir, err)
	}
	defer unix.Close(pfd)
	fd, err := openOwnDir(pfd, filepath.Base(dir), dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, sub := range []string{"index", "locks", filepath.Base(c.engineDir())} {
		sfd, err := openOwnDir(fd, sub, filepath.Join(dir, sub))
		if err != nil {
			return err
		}
		unix.Close(sfd)
	}
	return nil
}

// keyPath is where the cache's MAC key lives: beside the cache directory,
// not in it, so that nothing that can only reach the cache can read it.
func (c *CompileCache) keyPath() string { return c.dir() + ".key" }

// macKey reads the cache's MAC key, making it on first use.
func (c *CompileCache) macKey() ([]byte, error) {
	if c.key != nil {
		return c.key, nil
	}
	path := c.keyPath()
	for i := 0; i < 2; i++ {
		b, err := readKey(path)
		if err == nil {
			c.key = b
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if err := createKey(path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("cache key %s: could not be created", path)
}

func readKey(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cache key %s: %w", path, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("cache key %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o077 != 0 || st.Size != macKeySize {
		return nil, fmt.Errorf("cache key %s: must be a %d-byte file of uid %d with mode 0600", path, macKeySize, os.Geteuid())
	}
	b := make([]byte, macKeySize)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("cache key %s: %w", path, err)
	}
	return b, nil
}

// createKey writes a new random key under a temporary name and links it in
// place, so that no reader ever sees a partial key.
func createKey(path string) error {
	b := make([]byte, macKeySize)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cache key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cache key: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return fmt.Errorf("cache key: %w", err)
	}
	return nil
}
