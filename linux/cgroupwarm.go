package linux

// Moving a process into a cgroup (a write to cgroup.procs, which is how
// libcontainer puts every container's init, and on cgroup v1 every exec,
// into its cgroups) takes the kernel's global cgroup_threadgroup_rwsem for
// writing. When no move happened in the last grace period or so, that first
// waits for an RCU grace period: 3 to 30 ms on this project's test machine,
// where every move right after one costs a few microseconds. The container's
// init sits blocked in that wait, since libcontainer moves it before it
// sends the init its bootstrap data, and runc and crun pay it the same way.
//
// cgroupwarm.c starts that wait as early as the process can: a constructor,
// before the Go runtime starts, sees that the verb is create, run, restore
// or exec (on cgroup v1), and starts a thread that moves this process into
// the cgroup it already is in. That moves nothing but takes the lock, so the
// grace period runs while the Go runtime starts, the bundle loads and the
// init starts, and libcontainer's move waits only for what is left of it.
// It is only ever a no-op: the cgroup.procs written must be on a cgroup file
// system and already list this process, and every failure is silent (a
// rootless runtime, for one, cannot write there). docs/performance.md has
// the figures.

// #include <stdlib.h>
// #include "cgroupwarm.h"
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// cgroupWarmVerb is wr_cg_verb on args (os.Args' shape), for the tests.
func cgroupWarmVerb(args []string) int {
	argv := make([]*C.char, len(args)+1)
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	return int(C.wr_cg_verb(C.int(len(args)), &argv[0]))
}

// CgroupWarmFlags lists the global flags the constructor skips to find the
// verb: those that take a value and the booleans. main's tests check them
// against its flags; a flag missing here only turns the warm-up off.
func CgroupWarmFlags() (value, boolean []string) {
	list := func(v C.int) []string {
		var n C.size_t
		p := C.wr_cg_flags(v, &n)
		var out []string
		for _, s := range unsafe.Slice(p, int(n)) {
			out = append(out, C.GoString(s))
		}
		return out
	}
	return list(1), list(0)
}

// Its results.
const (
	cgroupWarmNone = C.WR_CG_NONE
	cgroupWarmInit = C.WR_CG_INIT
	cgroupWarmExec = C.WR_CG_EXEC
)

// ownCgroupDirs is wr_cg_dirs, for the tests.
func ownCgroupDirs(selfCgroup, mountRoot string) []string {
	self, root := C.CString(selfCgroup), C.CString(mountRoot)
	defer C.free(unsafe.Pointer(self))
	defer C.free(unsafe.Pointer(root))
	n := C.wr_cg_dirs(self, root, nil, 0)
	buf := make([]byte, n+1)
	C.wr_cg_dirs(self, root, (*C.char)(unsafe.Pointer(&buf[0])), n+1)
	return strings.Split(strings.TrimSuffix(string(buf[:n]), "\n"), "\n")
}

// warmCgroupMove is wr_cg_warm_move, for the tests: it returns the
// cgroup.procs written.
func warmCgroupMove(selfCgroup, mountRoot string, pid int) (string, error) {
	self, root := C.CString(selfCgroup), C.CString(mountRoot)
	defer C.free(unsafe.Pointer(self))
	defer C.free(unsafe.Pointer(root))
	out := make([]byte, 4096)
	if r, err := C.wr_cg_warm_move(self, root, C.int(pid), (*C.char)(unsafe.Pointer(&out[0])), C.size_t(len(out))); r != 0 {
		if err == nil {
			err = errors.New("no cgroup.procs written")
		}
		return "", err
	}
	return C.GoString((*C.char)(unsafe.Pointer(&out[0]))), nil
}
