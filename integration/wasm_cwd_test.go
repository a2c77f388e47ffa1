package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cwdProbes are examples/cwdprobe built as the tests need them: C with
// clang and wasi-libc, Rust with Debian's rustc; "-chdir" variants link
// wasi-libc's chdir, the others do not; "c-stripped" has no name section.
type cwdProbes struct {
	dir     string
	missing map[string]string // guest -> why it could not be built
}

func buildCwdProbes(t *testing.T) *cwdProbes {
	t.Helper()
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(repo, "examples", "cwdprobe")
	p := &cwdProbes{dir: t.TempDir(), missing: map[string]string{}}
	for name, args := range map[string][]string{
		"c":          {"clang", "--target=wasm32-wasi", "-O2", filepath.Join(src, "probe.c")},
		"c-chdir":    {"clang", "--target=wasm32-wasi", "-O2", "-DWITH_CHDIR", filepath.Join(src, "probe.c")},
		"c-stripped": {"clang", "--target=wasm32-wasi", "-O2", "-DWITH_CHDIR", "-Wl,--strip-all", filepath.Join(src, "probe.c")},
		"rust":       {"/usr/bin/rustc", "--target", "wasm32-wasi", "-O", "--cfg", "no_chdir", filepath.Join(src, "probe.rs")},
		"rust-chdir": {"/usr/bin/rustc", "--target", "wasm32-wasi", "-O", filepath.Join(src, "probe.rs")},
	} {
		cmd := exec.Command(args[0], append(args[1:], "-o", filepath.Join(p.dir, name+".wasm"))...)
		cmd.Dir = p.dir
		if out, err := outputTracked(cmd, true); err != nil {
			p.missing[name] = strings.Join(cmd.Args, " ") + ": " + err.Error() + ": " + strings.TrimSpace(string(out))
		}
	}
	return p
}

// path returns the built guest, or skips the test naming what is missing.
func (p *cwdProbes) path(t *testing.T, name string) string {
	t.Helper()
	if why := p.missing[name]; why != "" {
		t.Skipf("the %s guest cannot be built here: C guests need clang, lld, wasi-libc and libclang-rt-14-dev-wasm32, "+
			"Rust guests /usr/bin/rustc and libstd-rust-dev-wasm32 (scripts/install-deps.sh): %s", name, why)
	}
	return filepath.Join(p.dir, name+".wasm")
}

// cwdRootfs puts the probe at /probe.wasm and the files it reads into c's
// rootfs: /etc/hostname, /data/local.txt, /data/sub/inner.txt,
// /srv/local.txt, and two links to /etc/hostname, one absolute.
func cwdRootfs(t *testing.T, c *container, probe string) {
	t.Helper()
	installFile(t, c, "/probe.wasm", probe, 0o755)
	writeRootfsFile(t, c, "/etc/hostname", "probe-host\n", 0o644)
	writeRootfsFile(t, c, "/data/local.txt", "data-local\n", 0o644)
	writeRootfsFile(t, c, "/data/sub/inner.txt", "data-inner\n", 0o644)
	writeRootfsFile(t, c, "/srv/local.txt", "srv-local\n", 0o644)
	for link, target := range map[string]string{"/etc/abs-link": "/etc/hostname", "/etc/rel-link": "hostname"} {
		if err := os.Symlink(target, filepath.Join(c.bundle, "rootfs", link)); err != nil {
			t.Fatal(err)
		}
	}
}

// checkLines compares the probe's output with want, line by line. A want
// line ending in "error" matches any error (C and Rust word them their
// own ways).
func checkLines(t *testing.T, res result, want []string) {
	t.Helper()
	got := nonEmptyLines(res.stdout)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i] == want[i] || strings.HasSuffix(want[i], ": error") && strings.HasPrefix(got[i], want[i]+" ")
	}
	if !ok {
		t.Errorf("stdout:\n%s\nwant:\n%s\n(%s)", strings.Join(got, "\n"), strings.Join(want, "\n"), res)
	}
}

// TestWasmRuncCwd: wasi-libc guests (C and Rust, with and without chdir
// linked) see process.cwd as a native process does: absolute paths from
// the container's root, relative ones (with "./" and "..") from the
// working directory, getcwd, chdir, a tmpfs that takes writes and a
// read-only root that refuses them; for run and for exec with another
// cwd. A stripped module keeps the old behaviour (docs/wasm.md, "Working
// directory and paths").
func TestWasmRuncCwd(t *testing.T) {
	probes := buildCwdProbes(t)
	cache := withCacheDir(filepath.Join(t.TempDir(), "cache"))
	run := func(t *testing.T, guest, cwd string, args ...string) result {
		t.Helper()
		probe := probes.path(t, guest)
		c := newContainer(t, newRuntime(t), withVariant("compat"), withProcessCwd(cwd),
			withArgs(append([]string{"/probe.wasm"}, args...)...))
		cwdRootfs(t, c, probe)
		return wasmRun(t, c, cache)
	}

	for _, guest := range []string{"c", "c-chdir", "rust", "rust-chdir"} {
		chdir := strings.HasSuffix(guest, "-chdir")
		t.Run(guest+"/cwd_data", func(t *testing.T) {
			res := run(t, guest, "/data", "pwd", "cat:/etc/hostname", "cat:local.txt", "cat:./local.txt",
				"cat:../etc/hostname", "cat:../../etc/hostname", "cat:/data/local.txt", "cat:/etc/rel-link", "cat:/etc/abs-link",
				"write:../tmp/new.txt", "mv:../tmp/new.txt:../tmp/moved.txt", "cat:/tmp/moved.txt",
				"write:refused.txt", "cd:sub", "pwd", "cat:inner.txt", "cat:/etc/hostname", "exit:7")
			want := []string{"pwd: /data", "cat /etc/hostname: probe-host", "cat local.txt: data-local",
				"cat ./local.txt: data-local", "cat ../etc/hostname: probe-host",
				// WASI refuses ".." above the root (a native process stays at "/").
				"cat ../../etc/hostname: error", "cat /data/local.txt: data-local",
				"cat /etc/rel-link: probe-host", "cat /etc/abs-link: error",
				"write ../tmp/new.txt: ok", "mv ../tmp/new.txt ../tmp/moved.txt: ok", "cat /tmp/moved.txt: written",
				"write refused.txt: error"}
			if chdir {
				want = append(want, "cd sub: ok", "pwd: /data/sub", "cat inner.txt: data-inner")
			} else {
				want = append(want, "cd sub: not linked", "pwd: /data", "cat inner.txt: error")
			}
			want = append(want, "cat /etc/hostname: probe-host")
			if res.code != 7 {
				t.Errorf("exit code %d, want 7 (%s)", res.code, res)
			}
			checkLines(t, res, want)
		})
		t.Run(guest+"/cwd_root", func(t *testing.T) {
			res := run(t, guest, "/", "pwd", "cat:/etc/hostname", "cat:etc/hostname", "cat:data/local.txt",
				"cat:../etc/hostname", "write:tmp/new.txt", "cat:/tmp/new.txt", "cd:data", "cat:local.txt", "exit:3")
			want := []string{"pwd: /", "cat /etc/hostname: probe-host", "cat etc/hostname: probe-host",
				"cat data/local.txt: data-local", "cat ../etc/hostname: error", "write tmp/new.txt: ok",
				"cat /tmp/new.txt: written"}
			if chdir {
				want = append(want, "cd data: ok", "cat local.txt: data-local")
			} else {
				want = append(want, "cd data: not linked", "cat local.txt: error")
			}
			if res.code != 3 {
				t.Errorf("exit code %d, want 3 (%s)", res.code, res)
			}
			checkLines(t, res, want)
		})
	}

	// A module without names cannot be rewritten: it keeps what every
	// wasi-libc module had before, relative paths right and absolute ones
	// resolved in the working directory.
	t.Run("stripped_keeps_old_behaviour", func(t *testing.T) {
		res := run(t, "c-stripped", "/data", "pwd", "cat:local.txt", "cat:/etc/hostname", "cat:/local.txt")
		checkLines(t, res, []string{"pwd: /", "cat local.txt: data-local", "cat /etc/hostname: error",
			"cat /local.txt: data-local"})
	})

	// exec: each process gets its own working directory, whatever the
	// container's; the same module is compiled once per directory.
	t.Run("exec_other_cwd", func(t *testing.T) {
		probe := probes.path(t, "c-chdir")
		rt := newRuntime(t)
		dir := filepath.Join(t.TempDir(), "cache")
		c := newContainer(t, rt, withVariant("compat-smart"), withProcessCwd("/data"),
			withShell("echo ready; exec sleep 300"))
		cwdRootfs(t, c, probe)
		wasmCreate(t, c, withCacheDir(dir))
		c.start(t)
		c.waitOutput(t, "ready", commandTimeout)
		for _, tc := range []struct {
			flags []string
			want  []string
		}{
			{nil, []string{"pwd: /data", "cat local.txt: data-local", "cat /etc/hostname: probe-host"}},
			{[]string{"--cwd", "/srv"}, []string{"pwd: /srv", "cat local.txt: srv-local", "cat /etc/hostname: probe-host"}},
			{[]string{"--cwd", "/"}, []string{"pwd: /", "cat local.txt: error", "cat /etc/hostname: probe-host"}},
		} {
			args := slices.Concat([]string{"exec"}, tc.flags, []string{c.id, "/probe.wasm", "pwd", "cat:local.txt", "cat:/etc/hostname"})
			res := rt.runWith(t, withCacheDir(dir), args...)
			if res.code != 0 {
				t.Errorf("exec %v: %s", tc.flags, res)
				continue
			}
			checkLines(t, res, tc.want)
		}
		if n := len(cacheEntries(t, dir)); n != 3 {
			t.Errorf("%d cache entries, want 3 (one per working directory)", n)
		}
	})
}
