package wasm

// cache_view.go: how a container gets an entry. Whatever the runtime hands
// a container is reachable from every process in it (/proc/<pid>/fd/N), as
// root when there is no user namespace: an fd of a plain cache file would
// let such a process chmod it and rewrite the code that other containers
// map. So entries are opened through a detached, read-only clone of the
// engine directory's mount (open_tree + mount_setattr): the kernel refuses
// every write, chmod and truncate through that fd with EROFS, while the
// pages stay those of the cache file, shared. Without the privilege for a
// mount (a rootless user), the entry is copied into a sealed memfd instead.

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// view opens key's entry for a container.
func (c *CompileCache) view(key string) (*os.File, error) {
	if !c.treeTried {
		c.treeTried = true
		c.tree = -1
		if fd, err := readOnlyTree(c.engineDir()); err == nil {
			c.tree = fd
		}
	}
	if c.tree < 0 {
		return c.sealedCopy(key)
	}
	fd, err := unix.Openat(c.tree, key+entrySuffix, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cache: open entry: %w", err)
	}
	return os.NewFile(uintptr(fd), c.entryPath(key)), nil
}

// Close releases what the cache holds open (the read-only tree).
func (c *CompileCache) Close() {
	if c.treeTried && c.tree >= 0 {
		unix.Close(c.tree)
	}
	c.treeTried = false
}

// readOnlyTree is a detached read-only mount of dir, attached nowhere.
func readOnlyTree(dir string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, err
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sealedCopy is the entry copied into a memfd that no one can write again.
func (c *CompileCache) sealedCopy(key string) (*os.File, error) {
	src, err := os.OpenFile(c.entryPath(key), os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cache: open entry: %w", err)
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("wasm-runc-module", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("cache: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:wasm-runc-module")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: copy entry: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: seal: %w", err)
	}
	// A memfd is mode 0777 and a chmod would let a container reopen it for
	// writing; the seals refuse writes whatever the mode.
	_ = f.Chmod(0o444)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
