package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testWasmDetection checks which containers run as Wasm: the annotations,
// the name the binary is invoked under, pod sandboxes, and what smart mode
// finds at process.args[0] inside the rootfs.
func testWasmDetection(t *testing.T, fx *wasmFixture) {
	// A rootfs file: a copy of src, or content when src is "".
	type file struct {
		guest, src, content string
		mode                os.FileMode
		link                string // make guest a symlink to this instead
	}
	goModule := func(guest string) file { return file{guest: guest, src: fx.hello, mode: 0o755} }
	script := file{guest: "/run.sh", content: "#!/bin/sh\necho script-ran-natively\n", mode: 0o755}
	const (
		wasm    = "wasm"    // runs as a module
		native  = "native"  // runs natively
		refused = "refused" // create fails, nothing left behind
		noexec  = "noexec"  // runs natively, and a module cannot be executed natively
	)
	sandbox := func(key string) map[string]string {
		return map[string]string{wasmVariantKey: "compat", key: "sandbox"}
	}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		program     string // the name the binary is invoked under; "" for its own
		files       []file
		args        []string
		want        string // wasm, native, refused, noexec
		out         string // on stdout (wasm, native); in the error (refused, noexec)
	}{
		// compat and run.oci.handler=wasm: the entrypoint must be Wasm.
		{name: "compat_go_module", annotations: map[string]string{wasmVariantKey: "compat"},
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm", "args"},
			want: wasm, out: "arg[1]=args"},
		{name: "handler_wasm_wat_text", annotations: map[string]string{wasmHandlerKey: "wasm"},
			files: []file{{guest: "/app.wat", src: fx.wat["hello"], mode: 0o644}}, args: []string{"/app.wat"},
			want: wasm, out: "hello from wat"},
		{name: "compat_elf_refused", annotations: map[string]string{wasmVariantKey: "compat"},
			args: []string{"/bin/busybox", "echo", "x"}, want: refused, out: "not a WebAssembly module"},
		{name: "handler_wasm_script_refused", annotations: map[string]string{wasmHandlerKey: "wasm"},
			files: []file{script}, args: []string{"/run.sh"}, want: refused, out: "not a WebAssembly module"},

		// compat-smart and wasm-smart: Wasm only for a module.
		{name: "smart_magic_without_suffix", annotations: map[string]string{wasmVariantKey: "compat-smart"},
			files: []file{{guest: "/app", src: fx.bin["hello"], mode: 0o755}}, args: []string{"/app"},
			want: wasm, out: "hello from wat"},
		{name: "smart_wasm_suffix", annotations: map[string]string{wasmVariantKey: "compat-smart"},
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm", "args"},
			want: wasm, out: "arg[0]=/hello.wasm"},
		{name: "smart_wat_suffix", annotations: map[string]string{wasmHandlerKey: "wasm-smart"},
			files: []file{{guest: "/hello.wat", src: fx.wat["hello"], mode: 0o644}}, args: []string{"/hello.wat"},
			want: wasm, out: "hello from wat"},
		{name: "smart_busybox_elf", annotations: map[string]string{wasmVariantKey: "compat-smart"},
			args: []string{"/bin/busybox", "echo", "elf-ran-natively"}, want: native, out: "elf-ran-natively"},
		{name: "smart_shell_script", annotations: map[string]string{wasmHandlerKey: "wasm-smart"},
			files: []file{script}, args: []string{"/run.sh"}, want: native, out: "script-ran-natively"},
		{name: "smart_missing_entrypoint", annotations: map[string]string{wasmVariantKey: "compat-smart"},
			args: []string{"/no-such.wasm"}, want: refused, out: "no such file or directory"},

		// Lookups happen inside the rootfs, as execve would do them there.
		{name: "path_lookup_in_rootfs", annotations: map[string]string{wasmVariantKey: "compat-smart"},
			files: []file{goModule("/usr/bin/hello.wasm")}, args: []string{"hello.wasm", "args"},
			want: wasm, out: "arg[0]=hello.wasm\narg[1]=args"},
		{name: "absolute_symlink_resolved_in_rootfs", annotations: map[string]string{wasmVariantKey: "compat"},
			files: []file{goModule("/opt/app/real.wasm"), {guest: "/app.wasm", link: "/opt/app/real.wasm"}},
			args:  []string{"/app.wasm", "args"}, want: wasm, out: "arg[0]=/app.wasm"},
		// fx.hello exists on the host, not in the rootfs: the link must not
		// reach it.
		{name: "symlink_to_host_path_not_followed", annotations: map[string]string{wasmVariantKey: "compat"},
			files: []file{{guest: "/escape.wasm", link: fx.hello}},
			args:  []string{"/escape.wasm"}, want: refused, out: "no such file or directory"},
		{name: "relative_symlink_escape_not_followed", annotations: map[string]string{wasmVariantKey: "compat"},
			files: []file{{guest: "/up/escape.wasm", link: "../../../../../../../../.." + fx.hello}},
			args:  []string{"/up/escape.wasm"}, want: refused, out: "no such file or directory"},

		// Anything else runs natively, where a module cannot run.
		{name: "no_annotation", files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm"},
			want: noexec, out: "exec format error"},
		{name: "other_handler", annotations: map[string]string{wasmHandlerKey: "krun"},
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm"},
			want: noexec, out: "exec format error"},
		{name: "other_variant", annotations: map[string]string{wasmVariantKey: "oci"},
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm"},
			want: noexec, out: "exec format error"},

		// Pod sandboxes (pause containers) always run natively.
		{name: "sandbox_containerd", annotations: sandbox("io.kubernetes.cri.container-type"),
			args: []string{"/bin/busybox", "echo", "pause-ran-natively"}, want: native, out: "pause-ran-natively"},
		{name: "sandbox_crio", annotations: sandbox("io.kubernetes.cri-o.ContainerType"),
			args: []string{"/bin/busybox", "echo", "pause-ran-natively"}, want: native, out: "pause-ran-natively"},
		{name: "sandbox_module_still_native", annotations: sandbox("io.kubernetes.cri.container-type"),
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm"},
			want: noexec, out: "exec format error"},

		// Invoked as *-wasm (how podman selects a runtime for wasm images),
		// an un-annotated container is compat-smart.
		{name: "program_suffix_wasm_module", program: "wasm-runc-wasm",
			files: []file{goModule("/hello.wasm")}, args: []string{"/hello.wasm", "args"},
			want: wasm, out: "arg[1]=args"},
		{name: "program_suffix_wasm_elf", program: "wasm-runc-wasm",
			args: []string{"/bin/busybox", "echo", "elf-ran-natively"}, want: native, out: "elf-ran-natively"},
		{name: "program_suffix_wasm_handler_overrides", program: "wasm-runc-wasm",
			annotations: map[string]string{wasmVariantKey: "compat"},
			args:        []string{"/bin/busybox", "echo", "x"}, want: refused, out: "not a WebAssembly module"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			if tc.program != "" {
				link := filepath.Join(t.TempDir(), tc.program)
				if err := os.Symlink(runtimeBinary, link); err != nil {
					t.Fatal(err)
				}
				rt.bin = link
			}
			c := newContainer(t, rt, withAnnotations(tc.annotations), withArgs(tc.args...))
			for _, f := range tc.files {
				switch {
				case f.link != "":
					dst := filepath.Join(c.bundle, "rootfs", f.guest)
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink(f.link, dst); err != nil {
						t.Fatal(err)
					}
				case f.src != "":
					installFile(t, c, f.guest, f.src, f.mode)
				default:
					writeRootfsFile(t, c, f.guest, f.content, f.mode)
				}
			}
			mountsBefore := mountsUnder(t, c.bundle)
			res := wasmRun(t, c, fx.opts())
			t.Logf("exit %d; stderr %q", res.code, strings.TrimSpace(res.stderr))
			switch tc.want {
			case wasm, native:
				if res.code != 0 || !strings.Contains(res.stdout, tc.out) {
					t.Fatalf("want exit 0 and %q on stdout; got %s", tc.out, res)
				}
			case refused:
				if res.code != 1 || !strings.Contains(res.stderr, tc.out) {
					t.Fatalf("want create to fail with exit 1 and %q; got %s", tc.out, res)
				}
				if n := len(nonEmptyLines(res.stderr)); n != 1 {
					t.Errorf("want one error line; got %d: %q", n, res.stderr)
				}
				assertNothingLeft(t, rt, c.id, c.bundle, mountsBefore)
			case noexec:
				if res.code == 0 || !strings.Contains(res.stderr, tc.out) {
					t.Fatalf("want a failure with %q; got %s", tc.out, res)
				}
			}
		})
	}
}

// testWasmPodPair runs what a pod with a Wasm app and a native sidecar looks
// like to the runtime: containerd copies the pod's annotations to every
// container, so both carry compat-smart; each must run its own way.
func testWasmPodPair(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	smart := withVariant("compat-smart")
	sidecar := newContainer(t, rt, smart, withShell("echo sidecar-ran-natively; exec sleep 30"))
	app := newContainer(t, rt, smart, withArgs("/app.wasm", "args", "sleep", "30"))
	installFile(t, app, "/app.wasm", fx.hello, 0o755)

	wasmCreate(t, sidecar, fx.opts())
	wasmCreate(t, app, fx.opts())
	sidecar.start(t)
	app.start(t)
	sidecar.waitOutput(t, "sidecar-ran-natively", commandTimeout)
	app.waitOutput(t, "arg[0]=/app.wasm", commandTimeout)
	for _, c := range []*container{sidecar, app} {
		if st := c.state(t); st.Status != "running" {
			t.Errorf("%s: want running; got %+v", c.id, st)
		}
	}
	// The sidecar's init is busybox, the app's is the runner (our binary).
	exe := func(c *container) string {
		p, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(c.state(t).Pid), "exe"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if e := exe(sidecar); !strings.Contains(e, "busybox") {
		t.Errorf("sidecar runs %s; want busybox", e)
	}
	if e := exe(app); strings.Contains(e, "busybox") {
		t.Errorf("Wasm app runs %s; want the runner", e)
	}
	rt.mustRun(t, "kill", sidecar.id, "KILL")
	rt.mustRun(t, "kill", app.id, "KILL")
}
