package wasm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestDetectModule(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "rootfs")
	files := []struct {
		path, data string
		mode       os.FileMode
	}{
		{"bin/elf", "\x7fELF\x02\x01\x01\x00", 0o755},
		{"bin/script", "#!/bin/sh\necho hi\n", 0o755},
		{"bin/blob", "\x00asm\x01\x00\x00\x00", 0o755},
		{"bin/empty", "", 0o755},
		{"app/app.wasm", "\x00asm\x01\x00\x00\x00", 0o644},
		{"app/app.wat", "(module)\n", 0o644},
		{"app/text.wasm", "  (module)\n", 0o644},
		{"app/garbage.wasm", "MZ\x90\x00", 0o644},
		{"app/sub/rel.wasm", "\x00asm\x01\x00\x00\x00", 0o644},
		{"opt/bin/noexec.wasm", "\x00asm\x01\x00\x00\x00", 0o644},
		{"p1/tool", "\x00asm\x01\x00\x00\x00", 0o644}, // Wasm, not executable
		{"p2/tool", "\x7fELF\x02\x01\x01\x00", 0o755}, // what execve would run
		{"store/sha256-abc", "(module)", 0o644},
		{"etc/inside.wasm", "\x00asm\x01\x00\x00\x00", 0o644},
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	// A module outside the rootfs that escaping links would reach on the host.
	if err := os.MkdirAll(filepath.Join(top, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "etc", "outside.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"bin/abs":          "/app/app.wasm",             // absolute: inside the rootfs
		"bin/escape":       "../../../etc/outside.wasm", // climbs out: clamped to /etc/outside.wasm
		"bin/escape-abs":   filepath.Join(top, "etc", "outside.wasm"),
		"bin/escape-ok":    "../../../../etc/inside.wasm",
		"bin/app.wat":      "/store/sha256-abc", // suffix on the link name only
		"usr/local/bin/hi": "../../../app/app.wasm",
	}
	for l, target := range links {
		p := filepath.Join(root, l)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}

	const none = ""
	for _, tc := range []struct {
		name, args0, path, cwd string
		guest                  string // "" = not a module
		text                   bool
		err                    error // errors.Is target
	}{
		{"ELF", "/bin/elf", "", "/", none, false, nil},
		{"shell script", "/bin/script", "", "/", none, false, nil},
		{"empty file", "/bin/empty", "", "/", none, false, nil},
		{"magic without suffix", "/bin/blob", "", "/", "/bin/blob", false, nil},
		{".wasm suffix", "/app/app.wasm", "", "/", "/app/app.wasm", false, nil},
		{".wat suffix", "/app/app.wat", "", "/", "/app/app.wat", true, nil},
		{"text in .wasm", "/app/text.wasm", "", "/", "/app/text.wasm", true, nil},
		{"garbage .wasm stays binary", "/app/garbage.wasm", "", "/", "/app/garbage.wasm", false, nil},
		{"absolute symlink", "/bin/abs", "", "/", "/app/app.wasm", false, nil},
		{"symlink escaping rootfs", "/bin/escape", "", "/", none, false, fs.ErrNotExist},
		{"absolute symlink to host path", "/bin/escape-abs", "", "/", none, false, fs.ErrNotExist},
		{"escaping symlink clamped inside", "/bin/escape-ok", "", "/", "/etc/inside.wasm", false, nil},
		{"suffix on link name", "/bin/app.wat", "", "/", "/store/sha256-abc", true, nil},
		{"PATH lookup", "blob", "/nonexistent:/bin", "/", "/bin/blob", false, nil},
		{"default PATH through symlink", "hi", "", "/", "/app/app.wasm", false, nil},
		{"PATH lookup of ELF", "elf", "/bin", "/", none, false, nil},
		{"PATH: Wasm without x bit", "noexec.wasm", "/bin:/opt/bin", "/", "/opt/bin/noexec.wasm", false, nil},
		{"PATH: executable wins", "tool", "/p1:/p2", "/", none, false, nil},
		{"PATH: relative entry", "rel.wasm", "sub", "/app", "/app/sub/rel.wasm", false, nil},
		{"relative to cwd", "./app.wasm", "", "/app", "/app/app.wasm", false, nil},
		{"relative subdir", "sub/rel.wasm", "", "/app", "/app/sub/rel.wasm", false, nil},
		{"dotdot cannot leave", "../../../../app/app.wasm", "", "/app", "/app/app.wasm", false, nil},
		{"missing file", "/nope.wasm", "", "/", none, false, fs.ErrNotExist},
		{"missing in PATH", "nope", "/bin", "/", none, false, ErrNotFound},
		{"missing in PATH is ErrNotExist", "nope", "/bin", "/", none, false, fs.ErrNotExist},
		{"directory", "/app", "", "/", none, false, errAny},
		{"empty args0", "", "", "/", none, false, fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DetectModule(root, tc.args0, tc.path, tc.cwd)
			if tc.err != nil {
				if err == nil || (tc.err != errAny && !errors.Is(err, tc.err)) {
					t.Fatalf("got (%+v, %v), want error %v", m, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.guest == none {
				if m != nil {
					t.Fatalf("got module %+v, want none", m)
				}
				return
			}
			if m == nil {
				t.Fatal("got no module")
			}
			if m.GuestPath != tc.guest || m.RootPath != tc.guest || m.Text != tc.text || m.Rootfs != root || m.Ino == 0 {
				t.Errorf("got %+v, want guest %s text %v in %s", m, tc.guest, tc.text, root)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestNotWasmError(t *testing.T) {
	err := NotWasmError("/bin/sh")
	if err.Error() != "/bin/sh: not a WebAssembly module" || !errors.Is(err, ErrNotWasm) {
		t.Errorf("got %q", err)
	}
}

// TestDetectModuleInView: a module on a bind-mounted volume is found in the
// mount's source; a file the image has under a mount destination is hidden
// by the mount, as the container will see it.
func TestDetectModuleInView(t *testing.T) {
	root := t.TempDir()
	vol := t.TempDir()
	os.MkdirAll(filepath.Join(root, "data"), 0o755)
	os.MkdirAll(filepath.Join(root, "tmp"), 0o755)
	os.WriteFile(filepath.Join(root, "data", "shadowed.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o755)
	os.WriteFile(filepath.Join(root, "tmp", "gone.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o755)
	os.WriteFile(filepath.Join(vol, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o755)
	one := filepath.Join(t.TempDir(), "single.wasm")
	os.WriteFile(one, []byte("\x00asm\x01\x00\x00\x00"), 0o755)
	v := View{Rootfs: root, Mounts: []Mount{
		{Destination: "/data", Source: vol},
		{Destination: "/tmp"}, // tmpfs
		{Destination: "/opt/one.wasm", Source: one},
	}}
	m, err := DetectModuleIn(v, "/data/app.wasm", "", "/")
	if err != nil || m == nil || m.GuestPath != "/data/app.wasm" || m.Rootfs != vol || m.RootPath != "/app.wasm" {
		t.Errorf("volume module: %+v, %v", m, err)
	}
	if m, err := DetectModuleIn(v, "./app.wasm", "", "/data"); err != nil || m == nil || m.Rootfs != vol {
		t.Errorf("relative to a cwd on the volume: %+v, %v", m, err)
	}
	if m, err := DetectModuleIn(v, "/data/shadowed.wasm", "", "/"); err == nil {
		t.Errorf("a file under a bind mount's destination was found: %+v", m)
	}
	if m, err := DetectModuleIn(v, "/tmp/gone.wasm", "", "/"); err == nil {
		t.Errorf("a file under a tmpfs destination was found: %+v", m)
	}
	if m, err := DetectModuleIn(v, "/opt/one.wasm", "", "/"); err != nil || m == nil || m.GuestPath != "/opt/one.wasm" {
		t.Errorf("file bind mount: %+v, %v", m, err)
	}
}

// TestComponentKind: a component is told from a core module by the header's
// layer field whatever the version before it, and WAT text by its first
// form after comments.
func TestComponentKind(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"\x00asm\x01\x00\x00\x00", false},
		{"\x00asm\x0d\x00\x01\x00", true},
		{"\x00asm\x0e\x00\x01\x00", true}, // a later component version
		{"\x00asm\x0d\x00\x02\x00", true}, // an unknown layer: the worker refuses it
		{"\x00asm\x0d\x00", false},
		{"\x7fELF\x0d\x00\x01\x00", false},
	} {
		if got := IsComponentHeader([]byte(tc.head)); got != tc.want {
			t.Errorf("IsComponentHeader(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"(component)", true},
		{"  \n(component $c (core module))", true},
		{";; a comment\n(component)", true},
		{"(; block (; nested ;) ;)\t(component)", true},
		{"(module)", false},
		{"(componentx)", false},
		{";; (component)\n(module)", false},
		{"(; (component) ;) (module)", false},
		{";; unterminated", false},
		{"(; unterminated (component)", false},
		{"", false},
	} {
		if got := IsComponentText([]byte(tc.text)); got != tc.want {
			t.Errorf("IsComponentText(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
