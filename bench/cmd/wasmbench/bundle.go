package main

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// payload is one container program of the benchmark.
type payload struct {
	name string
	args []string
	wasm bool     // annotated module.wasm.image/variant=compat
	want string   // its stdout starts with this (empty for sleepers)
	env  []string // added to process.env
	// optional: a guest of scripts/build-guests.sh, absent from the rootfs
	// when its toolchain is missing (the guests phase skips it, saying so).
	optional bool
}

// The rootfs that bench/run.sh builds holds /bin/busybox (static, with echo
// and sleep links), /hello.wat, /sleep.wat and /hello.wasm (examples/hello,
// GOOS=wasip1).
var (
	nativeHello = payload{name: "native-hello", args: []string{"/bin/echo", "hello from native"}, want: "hello from native"}
	watHello    = payload{name: "wat-hello", args: []string{"/hello.wat"}, wasm: true, want: "hello from wat"}
	goHello     = payload{name: "go-hello", args: []string{"/hello.wasm", "args"}, wasm: true, want: "arg[0]=/hello.wasm"}
	nativeSleep = payload{name: "native-sleep", args: []string{"/bin/sleep", "600"}}
	watSleep    = payload{name: "wat-sleep", args: []string{"/sleep.wat"}, wasm: true}
	goSleep     = payload{name: "go-sleep", args: []string{"/hello.wasm", "sleep", "600"}, wasm: true}
)

var payloads = append([]payload{nativeHello, watHello, goHello, nativeSleep, watSleep, goSleep}, guestPayloads...)

// writeBundle writes a bundle for p over the shared read-only rootfs. The
// config is the repo example's: ociVersion 1.0.2 (crun 1.8.1 refuses 1.2+),
// read-only root, six namespaces, a 256 MiB memory limit.
func writeBundle(dir, rootfs string, p payload) (string, error) {
	bundle := filepath.Join(dir, p.name)
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		return "", err
	}
	annotations := map[string]string{}
	if p.wasm {
		annotations["module.wasm.image/variant"] = "compat"
	}
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	cfg := map[string]any{
		"ociVersion": "1.0.2",
		"process": map[string]any{
			"terminal": false,
			"user":     map[string]int{"uid": 0, "gid": 0},
			"args":     p.args,
			"env":      append([]string{"PATH=/bin", "HOME=/"}, p.env...),
			"cwd":      "/",
			"capabilities": map[string][]string{
				"bounding": caps, "effective": caps, "permitted": caps,
			},
			"rlimits":         []map[string]any{{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}},
			"noNewPrivileges": true,
		},
		"root":        map[string]any{"path": rootfs, "readonly": true},
		"hostname":    "wasmbench",
		"annotations": annotations,
		"mounts": []map[string]any{
			{"destination": "/proc", "type": "proc", "source": "proc"},
			{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "nodev", "size=16m"}},
		},
		"linux": map[string]any{
			"resources": map[string]any{
				"memory":  map[string]int64{"limit": 256 << 20},
				"pids":    map[string]int{"limit": 64},
				"devices": []map[string]any{{"allow": false, "access": "rwm"}},
			},
			"namespaces": []map[string]string{
				{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"},
			},
			"maskedPaths":   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			"readonlyPaths": []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	b, err := json.MarshalIndent(cfg, "", "\t")
	if err != nil {
		return "", err
	}
	return bundle, os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644)
}
