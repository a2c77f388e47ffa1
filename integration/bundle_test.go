package integration

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// busyboxPath is the static busybox copied into every rootfs.
const busyboxPath = "/bin/busybox"

// busyboxApplets are linked to busybox in the rootfs's /bin.
var busyboxApplets = []string{
	"sh", "cat", "echo", "sleep", "true", "false", "ls", "id", "ps", "kill",
	"touch", "mkdir", "env", "hostname", "printf", "test", "tty", "wc", "grep",
	"readlink", "stat", "mount", "rm", "ln", "pwd", "uname",
}

// bundleSpecVersion stays at 1.0.2 so that the bundles are also valid for
// Debian's runc 1.1.5 and crun 1.8.1.
const bundleSpecVersion = "1.0.2"

// specOpt tweaks a generated config.json.
type specOpt func(*specs.Spec)

// withArgs sets process.args.
func withArgs(args ...string) specOpt {
	return func(s *specs.Spec) { s.Process.Args = args }
}

// withShell runs script with /bin/sh -c.
func withShell(script string) specOpt {
	return withArgs("sh", "-c", script)
}

// withTerminal sets process.terminal.
func withTerminal() specOpt {
	return func(s *specs.Spec) { s.Process.Terminal = true }
}

// withAnnotations adds annotations.
func withAnnotations(kv map[string]string) specOpt {
	return func(s *specs.Spec) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		for k, v := range kv {
			s.Annotations[k] = v
		}
	}
}

// withBind bind-mounts a host directory read-write at dest.
func withBind(src, dest string) specOpt {
	return func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: dest, Type: "bind", Source: src,
			Options: []string{"rbind", "rw"},
		})
	}
}

// withHooks sets the hooks.
func withHooks(h *specs.Hooks) specOpt {
	return func(s *specs.Spec) { s.Hooks = h }
}

// withoutNamespace drops a namespace, sharing the host's.
func withoutNamespace(ns specs.LinuxNamespaceType) specOpt {
	return func(s *specs.Spec) {
		kept := s.Linux.Namespaces[:0]
		for _, n := range s.Linux.Namespaces {
			if n.Type != ns {
				kept = append(kept, n)
			}
		}
		s.Linux.Namespaces = kept
	}
}

// defaultSpec is modelled on `runc spec`, with a cgroupsPath of our own so
// that leftover cgroups can be found, and without ambient capabilities
// (without matching inheritable ones they only produce warnings).
func defaultSpec(id string) *specs.Spec {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	return &specs.Spec{
		Version: bundleSpecVersion,
		Process: &specs.Process{
			User: specs.User{UID: 0, GID: 0},
			Args: []string{"sh"},
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"TERM=xterm",
			},
			Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps,
				Effective: caps,
				Permitted: caps,
			},
			Rlimits: []specs.POSIXRlimit{
				{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024},
			},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "itest",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "nodev", "mode=1777", "size=16m"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: cgroupPathFor(id),
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
				"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
				"/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{
				"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
			},
		},
	}
}

// newBundle writes a bundle directory with a busybox rootfs and a
// config.json for container id, and returns its absolute path.
func newBundle(t *testing.T, id string, opts ...specOpt) string {
	t.Helper()
	bundle := t.TempDir()
	makeRootfs(t, filepath.Join(bundle, "rootfs"))
	s := defaultSpec(id)
	for _, o := range opts {
		o(s)
	}
	writeSpec(t, bundle, s)
	return bundle
}

func writeSpec(t *testing.T, bundle string, s *specs.Spec) {
	t.Helper()
	b, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeRootfs builds a minimal rootfs around a copy of the static busybox.
func makeRootfs(t *testing.T, rootfs string) {
	t.Helper()
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp", "etc", "root", "run"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyFile(busyboxPath, filepath.Join(rootfs, "bin", "busybox"), 0o755); err != nil {
		t.Fatalf("copying busybox (apt-get install busybox-static): %v", err)
	}
	for _, a := range busyboxApplets {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":    "root:x:0:\nnogroup:x:65534:\n",
		"etc/hostname": "itest\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
