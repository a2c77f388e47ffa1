package wasm

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setProcessTitle makes /proc/self/cmdline and comm show the user's command
// rather than the runner's. Go's os.Args strings point into the argv area the
// kernel reports as cmdline, so the area is rewritten in place: the user's
// args NUL-separated, then NUL padding up to the old length (the area cannot
// shrink without CAP_SYS_RESOURCE, tried anyway). The kernel reports the
// whole area, so cmdline ends with as many NULs as the runner's own prefix
// took ("/proc/self/exe", the marker, the flags); ps and pgrep drop them.
// Nothing is done unless os.Args still covers exactly the area that
// /proc/self/stat names, so a caller that rebuilt os.Args is left alone.
//
// The caller must have copied every string it still needs from os.Args.
func setProcessTitle(user []string) {
	if len(user) == 0 || len(os.Args) == 0 {
		return
	}
	start := unsafe.StringData(os.Args[0])
	size := 0
	for _, a := range os.Args {
		if unsafe.StringData(a) != (*byte)(unsafe.Add(unsafe.Pointer(start), size)) && len(a) > 0 {
			return // not one contiguous area: os.Args was replaced
		}
		size += len(a) + 1
	}
	argStart, argEnd, ok := procArgArea()
	if !ok || argStart != uintptr(unsafe.Pointer(start)) || argEnd != argStart+uintptr(size) {
		return
	}
	title := strings.Join(user, "\x00") + "\x00"
	if len(title) > size {
		return // cannot happen: the user's args are a suffix of ours
	}
	// From here on the old strings change under anyone holding them.
	clone := make([]string, len(os.Args))
	for i, a := range os.Args {
		clone[i] = strings.Clone(a)
	}
	os.Args = clone
	area := unsafe.Slice(start, size)
	n := copy(area, title)
	clear(area[n:])
	_ = unix.Prctl(unix.PR_SET_MM, unix.PR_SET_MM_ARG_END, argStart+uintptr(n), 0, 0)

	setComm(filepath.Base(user[0]))
}

// procArgArea reads arg_start and arg_end (fields 48 and 49) of
// /proc/self/stat.
func procArgArea() (start, end uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 47 {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(f[45], 10, 64)
	e, err2 := strconv.ParseUint(f[46], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}

// setComm sets the process name ps shows in its COMMAND column. PR_SET_NAME
// names the calling thread only, so it is used on the main thread; otherwise
// /proc/self/comm, which names the thread group leader, is written.
func setComm(name string) {
	if len(name) > 15 {
		name = name[:15]
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if unix.Gettid() == unix.Getpid() {
		b := append([]byte(name), 0)
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
		return
	}
	_ = os.WriteFile("/proc/self/comm", []byte(name), 0)
}
