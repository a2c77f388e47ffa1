package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestCreateBadInput checks that create refuses broken bundles and ids with
// exit 1 and one error line, and leaves nothing behind: no state directory,
// no cgroup, no process, no mount.
func TestCreateBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		// prepare breaks the bundle; it returns the id to create.
		prepare func(t *testing.T, bundle, id string) string
		want    string // in the one error line (runc 1.1.5's wording)
	}{
		{"no_config", func(t *testing.T, bundle, id string) string {
			mustRemove(t, filepath.Join(bundle, "config.json"))
			return id
		}, "JSON specification file config.json not found"},
		{"invalid_json", func(t *testing.T, bundle, id string) string {
			mustWrite(t, filepath.Join(bundle, "config.json"), "{bad")
			return id
		}, "invalid character"},
		{"no_rootfs", func(t *testing.T, bundle, id string) string {
			mustRemoveAll(t, filepath.Join(bundle, "rootfs"))
			return id
		}, "rootfs"},
		{"rootfs_path_elsewhere", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Root.Path = "nonexistent-rootfs"
			writeSpec(t, bundle, s)
			return id
		}, "nonexistent-rootfs"},
		{"no_process_args", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Process.Args = nil
			writeSpec(t, bundle, s)
			return id
		}, "args"},
		{"program_not_found", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Process.Args = []string{"/no/such/program"}
			writeSpec(t, bundle, s)
			return id
		}, "no such file or directory"},
		{"empty_id", func(t *testing.T, bundle, id string) string {
			return ""
		}, "container id cannot be empty"},
		{"invalid_id", func(t *testing.T, bundle, id string) string {
			return "bad id"
		}, "invalid container ID format"},
		// Beyond runc, which creates both (docs/security.md).
		{"invalid_oci_version", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Version = "not-a-version"
			writeSpec(t, bundle, s)
			return id
		}, `invalid ociVersion "not-a-version"`},
		{"no_oci_version", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Version = ""
			writeSpec(t, bundle, s)
			return id
		}, "ociVersion must be specified"},
		{"unsupported_oci_version", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Version = "2.0.0"
			writeSpec(t, bundle, s)
			return id
		}, `unsupported ociVersion "2.0.0"`},
		{"uid_mappings_without_userns", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			writeSpec(t, bundle, s)
			return id
		}, "user namespace mappings specified, but user namespace isn't enabled in the config"},
		{"gid_mappings_without_userns", func(t *testing.T, bundle, id string) string {
			s := defaultSpec(id)
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			writeSpec(t, bundle, s)
			return id
		}, "user namespace mappings specified, but user namespace isn't enabled in the config"},
		{"rlimit_above_hard_limit", func(t *testing.T, bundle, id string) string {
			// No CAP_SYS_RESOURCE here: raising a hard limit fails in init.
			s := defaultSpec(id)
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1 << 30, Soft: 1 << 30}}
			writeSpec(t, bundle, s)
			return id
		}, "rlimit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			id := newID(t)
			bundle := newBundle(t, id)
			id = tc.prepare(t, bundle, id)
			mountsBefore := mountsUnder(t, bundle)

			logFile := filepath.Join(t.TempDir(), "log.json")
			res := rt.runWith(t, cmdOpts{logFile: logFile}, "create", "--bundle", bundle, id)
			t.Logf("stderr: %s", strings.TrimSpace(res.stderr))
			if res.code != 1 {
				t.Errorf("want exit 1; got %s", res)
			}
			if !strings.Contains(res.stderr, tc.want) {
				t.Errorf("stderr lacks %q: %s", tc.want, res)
			}
			if n := strings.Count(strings.TrimSpace(res.stderr), "\n"); n != 0 {
				t.Errorf("want one error line; got %d: %q", n+1, res.stderr)
			}
			assertOneErrorLine(t, logFile, strings.TrimSpace(res.stderr))
			if res.code == 0 {
				rt.run(t, "delete", "--force", id)
			}
			assertNothingLeft(t, rt, id, bundle, mountsBefore)
		})
	}
}

// TestCreateExistingID checks that creating an id in use fails and leaves
// the existing container as it was.
func TestCreateExistingID(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exec sleep 30"))
	c.create(t)
	before := c.state(t)
	other := newBundle(t, c.id, withShell("exit 0"))
	mountsBefore := mountsUnder(t, other)

	res := rt.run(t, "create", "--bundle", other, c.id)
	if res.code != 1 || !strings.Contains(res.stderr, "container with given ID already exists") {
		t.Fatalf("want exit 1 and \"container with given ID already exists\"; got %s", res)
	}
	if n := strings.Count(strings.TrimSpace(res.stderr), "\n"); n != 0 {
		t.Errorf("want one error line; got %d: %q", n+1, res.stderr)
	}
	after := c.state(t)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("existing container changed: before %+v after %+v", before, after)
	}
	if got := mountsUnder(t, other); !reflect.DeepEqual(got, mountsBefore) {
		t.Errorf("mounts under the second bundle changed: %v", got)
	}
	if pids := processesUnder(other); len(pids) != 0 {
		t.Errorf("processes rooted in the second bundle: %v", pids)
	}
	entries, _ := os.ReadDir(rt.root)
	if len(entries) != 1 {
		t.Errorf("root holds %d entries; want only the existing container", len(entries))
	}
}

// assertNothingLeft checks that a failed create left no trace.
func assertNothingLeft(t *testing.T, rt *runtime, id, bundle string, mountsBefore []string) {
	t.Helper()
	entries, _ := os.ReadDir(rt.root)
	for _, e := range entries {
		t.Errorf("left under --root: %s", e.Name())
	}
	if id != "" && !strings.ContainsAny(id, "/ ") {
		for _, d := range leftoverCgroups(id) {
			t.Errorf("cgroup %s left behind", d)
		}
	}
	if pids := processesUnder(bundle); len(pids) != 0 {
		t.Errorf("processes rooted in the bundle left behind: %v", pids)
	}
	if got := mountsUnder(t, bundle); !reflect.DeepEqual(got, mountsBefore) {
		t.Errorf("mounts under the bundle changed:\nbefore %v\nafter  %v", mountsBefore, got)
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func mustRemoveAll(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUsageErrors checks exit codes and messages for malformed command
// lines (runc's exit code for an unknown command is 3, from urfave/cli). The
// text-format log line quotes the message, so quotes inside it are escaped:
// only unquoted parts are matched.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"state_without_id", []string{"state"}, 1, "requires exactly 1 argument(s)"},
		{"delete_two_ids", []string{"delete", "a", "b"}, 1, "requires exactly 1 argument(s)"},
		{"kill_without_id", []string{"kill"}, 1, "requires a minimum of 1 argument(s)"},
		{"unknown_flag", []string{"state", "--bogus", "x"}, 1, "flag provided but not defined: -bogus"},
		{"list_bad_format", []string{"list", "--format", "yaml"}, 1, "invalid format option"},
		{"unknown_command", []string{"frobnicate"}, 3, "No help topic for 'frobnicate'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := newRuntime(t)
			if err := os.MkdirAll(rt.root, 0o700); err != nil {
				t.Fatal(err)
			}
			res := rt.run(t, tc.args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("want exit %d and %q; got %s", tc.code, tc.want, res)
			}
		})
	}
}

// assertOneErrorLine checks a --log-format json file: JSON lines, exactly one
// at level "error", the last one, whose message is msg (what stderr said).
func assertOneErrorLine(t *testing.T, logFile, msg string) {
	t.Helper()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Errorf("log file: %v", err)
		return
	}
	var errs []string
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if entry["level"] == "error" {
			m, _ := entry["msg"].(string)
			errs = append(errs, m)
		}
		last = entry
	}
	if len(errs) != 1 || last["level"] != "error" {
		t.Errorf("want one error line, the last; got %q", b)
		return
	}
	if errs[0] != msg {
		t.Errorf("log error %q; stderr said %q", errs[0], msg)
	}
}
