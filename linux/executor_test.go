package linux

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestDecide: the one native-or-Wasm decision, over mode x exec x what
// args[0] is in the rootfs.
func TestDecide(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.WriteFile(filepath.Join(root, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "sh"), []byte("\x7fELF"), 0o755)
	const (
		compat = "compat"
		smart  = "compat-smart"
	)
	for _, tc := range []struct {
		name    string
		variant string // module.wasm.image/variant; "" none
		program string
		exec    bool
		args0   string
		want    Kind
		err     bool
	}{
		{"no annotation, module", "", "wasm-runc", false, "/app.wasm", Native, false},
		{"no annotation, ELF", "", "wasm-runc", false, "/bin/sh", Native, false},
		{"compat, module", compat, "wasm-runc", false, "/app.wasm", Wasm, false},
		{"compat, ELF", compat, "wasm-runc", false, "/bin/sh", 0, true},
		{"compat, missing", compat, "wasm-runc", false, "/nope.wasm", 0, true},
		{"compat exec, ELF shell", compat, "wasm-runc", true, "/bin/sh", Native, false},
		{"compat exec, module", compat, "wasm-runc", true, "/app.wasm", Wasm, false},
		{"smart, module", smart, "wasm-runc", false, "/app.wasm", Wasm, false},
		{"smart, ELF", smart, "wasm-runc", false, "/bin/sh", Native, false},
		{"smart, missing (runc reports it)", smart, "wasm-runc", false, "/nope", Native, false},
		{"smart, PATH lookup", smart, "wasm-runc", false, "sh", Native, false},
		{"-wasm program, module", "", "wasm-runc-wasm", false, "/app.wasm", Wasm, false},
		{"-wasm program, ELF", "", "wasm-runc-wasm", false, "/bin/sh", Native, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ann := map[string]string{}
			if tc.variant != "" {
				ann["module.wasm.image/variant"] = tc.variant
			}
			kind, m, err := Decide(ExecutorOptions{
				Annotations: ann,
				Program:     tc.program,
				Rootfs:      root,
				Process:     &specs.Process{Args: []string{tc.args0}, Env: []string{"PATH=/bin"}, Cwd: "/"},
				Exec:        tc.exec,
			})
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if kind != tc.want {
				t.Errorf("kind %v, want %v", kind, tc.want)
			}
			if (kind == Wasm) != (m != nil) {
				t.Errorf("kind %v with module %+v", kind, m)
			}
		})
	}
}

func TestCompileCgroup(t *testing.T) {
	for _, tc := range []struct {
		path              string
		systemd, rootless bool
		wantPrefix        string
	}{
		{"/kubepods/pod1/ctr1", false, false, "/kubepods/pod1/wasm-runc-compile-id-"},
		{"", false, false, "/wasm-runc-compile-id-"},
		{"kubepods/pod1/ctr1", false, false, "kubepods/pod1/wasm-runc-compile-id-"},
		{"system.slice:runc:id", true, false, ""},
		{"/x/y", false, true, ""},
	} {
		got := CompileCgroup(tc.path, "id", tc.systemd, tc.rootless)
		if tc.wantPrefix == "" && got != "" || tc.wantPrefix != "" && (len(got) <= len(tc.wantPrefix) || got[:len(tc.wantPrefix)] != tc.wantPrefix) {
			t.Errorf("CompileCgroup(%q, systemd %v, rootless %v) = %q, want prefix %q", tc.path, tc.systemd, tc.rootless, got, tc.wantPrefix)
		}
	}
}
