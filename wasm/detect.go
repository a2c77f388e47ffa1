package wasm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/cyphar/filepath-securejoin/pathrs-lite/procfs"
	"golang.org/x/sys/unix"
)

// DefaultPath is the PATH execve's callers use when the process has none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// wasmMagic opens every binary WebAssembly module.
var wasmMagic = []byte("\x00asm")

// Module is a Wasm entrypoint found in a container's view.
type Module struct {
	GuestPath string // absolute path inside the container, symlinks resolved
	Text      bool   // WAT text format (.wat): compiled with wasmtime.Wat2Wasm first
	// Component: a WebAssembly component (WASI preview 2), not a core
	// module. Binary: the header's layer field is 1; text: the first form
	// is (component ...).
	Component bool
	// Rootfs is the directory the module was found in (the rootfs, or the
	// source of the bind mount that holds it) and RootPath its path there
	// ("" means GuestPath). CompileCache.Open resolves RootPath inside
	// Rootfs again, so a symlink swapped in cannot lead outside.
	Rootfs   string
	RootPath string
	// Dev and Ino identify the file found (0: not recorded). The cache
	// compiles only that file, and the runner checks that the container
	// sees that file at GuestPath.
	Dev, Ino uint64
	// Cwd is the working directory of the process that runs the module
	// (process.cwd; "" is "/"): the compile builds it into a wasi-libc
	// module (CompileCache.Open, cache_cwd.go). linux.Decide sets it.
	Cwd string
}

// Mount is what DetectModuleIn knows of a spec mount: where it lands in the
// container and, for a bind mount, the host directory or file it shows.
type Mount struct {
	Destination string
	Source      string // host path; "" for a mount that is not a bind (tmpfs, proc, ...)
}

// View is a container's file system as its process will see it: the rootfs
// with the spec's mounts over it.
type View struct {
	Rootfs string
	Mounts []Mount
}

func (m *Module) rootPath() string {
	if m.RootPath != "" {
		return m.RootPath
	}
	return m.GuestPath
}

// ErrNotWasm is the cause of NotWasmError.
var ErrNotWasm = errors.New("not a WebAssembly module")

// ErrNotFound means a name without '/' was not found in any PATH directory.
// It wraps fs.ErrNotExist.
var ErrNotFound = fmt.Errorf("executable file not found in $PATH: %w", fs.ErrNotExist)

// NotWasmError is what a caller that insists on Wasm reports when
// DetectModule finds args0 but it is not a module:
// "<args0>: not a WebAssembly module". errors.Is(err, ErrNotWasm) holds.
func NotWasmError(args0 string) error {
	return fmt.Errorf("%s: %w", args0, ErrNotWasm)
}

// DetectModule looks args0 up as execve would inside the container and says
// whether it is a WebAssembly module.
//
// A name without '/' is searched in pathEnv (DefaultPath when empty); empty
// and relative PATH entries, and relative names, resolve against cwd. Every
// lookup happens inside rootfs: symlinks, "..", absolute link targets never
// leave it. Like exec.LookPath, the first regular file with an execute bit
// wins; since a runtime, not the kernel, runs a module, a Wasm file without
// one is still taken when no executable of that name exists in PATH.
//
// It returns (module, nil) when the file starts with "\0asm" or is named
// *.wasm or *.wat, and (nil, nil) for anything else (ELF, "#!" script, ...).
// A file that cannot be found gives an error for which
// errors.Is(err, fs.ErrNotExist) holds (ErrNotFound for a PATH search): in
// smart mode the caller lets the native path report it in runc's words.
func DetectModule(rootfs, args0, pathEnv, cwd string) (*Module, error) {
	return DetectModuleIn(View{Rootfs: rootfs}, args0, pathEnv, cwd)
}

// DetectModuleIn is DetectModule in a view with mounts: a path under a
// mount's destination is looked up in its source (a bind mount) or not
// found (any other mount hides what the image has there), as the process
// will see it after libcontainer has mounted everything. The lookup is by
// longest destination (the later of equal ones); a symlink inside a bind
// source resolves inside that source. The runner checks in the finished
// container that it sees the same file (Module.Dev, Module.Ino).
func DetectModuleIn(v View, args0, pathEnv, cwd string) (*Module, error) {
	rootfs := v.Rootfs
	if args0 == "" {
		return nil, fmt.Errorf("empty process.args[0]: %w", fs.ErrNotExist)
	}
	if cwd == "" {
		cwd = "/"
	}
	// Module.Rootfs must stay valid whatever the caller's cwd is later.
	rootfs, err := filepath.Abs(rootfs)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	vr := &viewRoots{view: v, rootfs: rootfs, open: map[string]*rootRef{}}
	defer vr.close()

	if strings.Contains(args0, "/") {
		asked := guestAbs(cwd, args0)
		f, r, err := vr.openCandidate(asked)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", args0, bareErrno(err))
		}
		defer f.Close()
		return inspect(f, asked, r)
	}

	if pathEnv == "" {
		pathEnv = DefaultPath
	}
	var fallback *os.File
	var fallbackName string
	var fallbackRoot *rootRef
	defer func() {
		if fallback != nil {
			fallback.Close()
		}
	}()
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		asked := guestAbs(cwd, path.Join(dir, args0))
		f, r, err := vr.openCandidate(asked)
		if err != nil {
			continue // as exec.LookPath: an unusable entry is skipped
		}
		var st unix.Stat_t
		if unix.Fstat(int(f.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			f.Close()
			continue
		}
		if st.Mode&0o111 != 0 {
			defer f.Close()
			return inspect(f, asked, r)
		}
		if fallback == nil && looksLikeWasm(f, asked) {
			fallback, fallbackName, fallbackRoot = f, asked, r
			continue
		}
		f.Close()
	}
	if fallback != nil {
		return inspect(fallback, fallbackName, fallbackRoot)
	}
	return nil, fmt.Errorf("%s: %w", args0, ErrNotFound)
}

// bareErrno is the errno inside a lookup error, when there is one: that is
// all a user needs ("/app.wasm: no such file or directory"); the lookup's
// own words ("securejoin.OpenInRoot ...: openat2 ...") name our internals.
func bareErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// guestAbs makes p absolute inside the container, relative to cwd.
func guestAbs(cwd, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join("/", cwd, p)
}

// rootRef is a directory a lookup happens in: the rootfs (at guest "/") or
// a bind mount's source (at its destination).
type rootRef struct {
	dir      *os.File // O_PATH
	real     string   // its host path, symlinks resolved
	hostPath string   // as given (Module.Rootfs)
	guest    string   // where it appears in the container
	file     string   // for a file bind mount: its destination, the only name it has
}

type viewRoots struct {
	view   View
	rootfs string
	open   map[string]*rootRef
}

func (v *viewRoots) close() {
	for _, r := range v.open {
		r.dir.Close()
	}
}

func (v *viewRoots) root(hostPath, guest string) (*rootRef, error) {
	if r := v.open[hostPath]; r != nil {
		return r, nil
	}
	d, err := os.OpenFile(hostPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", hostPath, err)
	}
	real, err := procfs.ProcSelfFdReadlink(d)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("resolve %s: %w", hostPath, err)
	}
	r := &rootRef{dir: d, real: real, hostPath: hostPath, guest: guest}
	v.open[hostPath] = r
	return r, nil
}

// under reports whether p is dest or below it.
func under(p, dest string) bool {
	return dest == "/" || p == dest || strings.HasPrefix(p, dest+"/")
}

// openCandidate opens guestPath as the container will see it: in the
// mount that covers it, else in the rootfs.
func (v *viewRoots) openCandidate(guestPath string) (*os.File, *rootRef, error) {
	best := -1
	for i, m := range v.view.Mounts {
		d := path.Clean("/" + m.Destination)
		if under(guestPath, d) && (best < 0 || len(d) >= len(path.Clean("/"+v.view.Mounts[best].Destination))) {
			best = i
		}
	}
	if best < 0 {
		r, err := v.root(v.rootfs, "/")
		if err != nil {
			return nil, nil, err
		}
		f, err := openCandidate(r.dir, guestPath)
		return f, r, err
	}
	m := v.view.Mounts[best]
	dest := path.Clean("/" + m.Destination)
	if m.Source == "" {
		return nil, nil, unix.ENOENT // what the image had there is hidden
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(guestPath, dest), "/")
	var st unix.Stat_t
	if err := unix.Stat(m.Source, &st); err != nil {
		return nil, nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		// A file bind mount: the destination is the file.
		if rest != "" {
			return nil, nil, unix.ENOTDIR
		}
		dr, err := v.root(filepath.Dir(m.Source), path.Dir(dest))
		if err != nil {
			return nil, nil, err
		}
		r := *dr
		r.file = dest
		f, err := openCandidate(r.dir, "/"+filepath.Base(m.Source))
		return f, &r, err
	}
	r, err := v.root(m.Source, dest)
	if err != nil {
		return nil, nil, err
	}
	f, err := openCandidate(r.dir, "/"+rest)
	return f, r, err
}

// openCandidate opens guestPath inside root for reading. The O_PATH lookup
// happens first so that a FIFO or device is never opened for real.
func openCandidate(root *os.File, guestPath string) (*os.File, error) {
	h, err := pathrs.OpenatInRoot(root, guestPath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			return nil, unix.EISDIR
		}
		return nil, unix.EACCES // what execve says of a non-regular file
	}
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
}

// inspect decides from the names and the first bytes whether f is a module.
// asked is the guest path before symlinks were resolved: an "app.wasm" link
// to a content-addressed blob still counts by its name.
func inspect(f *os.File, asked string, r *rootRef) (*Module, error) {
	hostPath, err := procfs.ProcSelfFdReadlink(f)
	if err != nil {
		return nil, fmt.Errorf("resolve module path: %w", err)
	}
	inRoot := "/"
	if hostPath != r.real {
		rel, ok := strings.CutPrefix(hostPath, strings.TrimSuffix(r.real, "/")+"/")
		if !ok {
			// The kernel resolved inside root, so this cannot happen short of
			// a rename racing us; refuse rather than guess.
			return nil, fmt.Errorf("module path %q is outside %q", hostPath, r.real)
		}
		inRoot = "/" + rel
	}
	guest := path.Join(r.guest, inRoot)
	if r.file != "" {
		guest = r.file
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", guest, err)
	}
	var head [64]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", guest, err)
	}
	m := &Module{GuestPath: guest, Rootfs: r.hostPath, RootPath: inRoot, Dev: st.Dev, Ino: st.Ino}
	if bytes.HasPrefix(head[:n], wasmMagic) {
		m.Component = IsComponentHeader(head[:n])
		return m, nil
	}
	switch suffix := moduleSuffix(asked, guest); suffix {
	case ".wat":
		m.Text = true
	case ".wasm":
		// Text in a .wasm file is accepted (the wasmtime CLI does too);
		// anything else stays binary so that compiling it fails with
		// wasmtime's own "magic header" message.
		t := bytes.TrimLeft(head[:n], " \t\r\n")
		m.Text = len(t) > 0 && (t[0] == '(' || t[0] == ';')
	default:
		return nil, nil
	}
	if m.Text {
		var text [textSniff]byte
		n, err := f.ReadAt(text[:], 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", guest, err)
		}
		m.Component = IsComponentText(text[:n])
	}
	return m, nil
}

// IsComponentHeader tells a component from a core module by the binary
// header's layer field (bytes 6 and 7, little-endian: 0 a core module, 1 a
// component), not by the version before it, which differs between the two
// and may change. The compile worker refuses layers it does not know.
func IsComponentHeader(head []byte) bool {
	return len(head) >= 8 && bytes.HasPrefix(head, wasmMagic) && (head[6] != 0 || head[7] != 0)
}

// textSniff bounds how much WAT text IsComponentText reads: comments
// longer than that before the first form make the text a core module,
// which the compile worker then refuses with a line saying so.
const textSniff = 64 << 10

// IsComponentText says whether WAT text's first form, after white space and
// comments, is (component ...).
func IsComponentText(t []byte) bool {
	for len(t) > 0 {
		switch {
		case t[0] == ' ' || t[0] == '\t' || t[0] == '\r' || t[0] == '\n':
			t = t[1:]
		case bytes.HasPrefix(t, []byte(";;")):
			i := bytes.IndexByte(t, '\n')
			if i < 0 {
				return false
			}
			t = t[i+1:]
		case bytes.HasPrefix(t, []byte("(;")):
			// Block comments nest.
			depth := 0
			for len(t) > 0 {
				if bytes.HasPrefix(t, []byte("(;")) {
					depth++
					t = t[2:]
				} else if bytes.HasPrefix(t, []byte(";)")) {
					depth--
					t = t[2:]
					if depth == 0 {
						break
					}
				} else {
					t = t[1:]
				}
			}
			if depth != 0 {
				return false
			}
		default:
			rest, ok := bytes.CutPrefix(t, []byte("(component"))
			return ok && (len(rest) == 0 || !isIDChar(rest[0]))
		}
	}
	return false
}

// isIDChar: may this byte continue a WAT keyword?
func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// moduleSuffix returns ".wasm" or ".wat" when either name carries it.
func moduleSuffix(names ...string) string {
	for _, n := range names {
		for _, s := range []string{".wasm", ".wat"} {
			if strings.HasSuffix(n, s) {
				return s
			}
		}
	}
	return ""
}

// looksLikeWasm is inspect's test without the bookkeeping, for PATH entries
// that lack an execute bit.
func looksLikeWasm(f *os.File, asked string) bool {
	name, _ := procfs.ProcSelfFdReadlink(f)
	if moduleSuffix(asked, name) != "" {
		return true
	}
	var head [4]byte
	n, _ := f.ReadAt(head[:], 0)
	return bytes.Equal(head[:n], wasmMagic)
}
