package spec

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    string // in the error; "" for none
	}{
		// What callers send: runc spec, podman, buildah, containerd,
		// CRI-O, runtime-tools, the spec's own releases.
		{"1.0.0", ""},
		{"1.0.1", ""},
		{"1.0.2", ""},
		{"1.0.2-dev", ""},
		{"1.0.0-rc5-dev", ""},
		{"1.1.0", ""},
		{"1.1.0-rc.1", ""},
		{"1.1.0+dev", ""},
		{"1.2.0", ""},
		{"1.2.1", ""},
		{"1.3.0", ""},
		{specs.Version, ""},
		{"1.9.99", ""},
		{"1.0.0-alpha+001", ""},
		{"1.0.0+20130313144700", ""},
		{"1.0.0-x-y-z.--", ""},
		// Not SemVer.
		{"", "ociVersion must be specified"},
		{"not-a-version", `invalid ociVersion "not-a-version"`},
		{"1.0", "invalid ociVersion"},
		{"1", "invalid ociVersion"},
		{"v1.0.2", "invalid ociVersion"},
		{"1.0.2 ", "invalid ociVersion"},
		{"01.0.0", "invalid ociVersion"},
		{"1.00.0", "invalid ociVersion"},
		{"1.0.0-", "invalid ociVersion"},
		{"1.0.0-01", "invalid ociVersion"},
		{"1.0.0-rc..1", "invalid ociVersion"},
		{"1.0.0+", "invalid ociVersion"},
		{"1.0.0+dev+dev", "invalid ociVersion"},
		{"1.0.0-dév", "invalid ociVersion"},
		{"1.0.0.0", "invalid ociVersion"},
		{"1.-1.0", "invalid ociVersion"},
		{"1.0.0\n", `invalid ociVersion "1.0.0\n"`},
		// Another major version of the spec.
		{"0.6.0", `unsupported ociVersion "0.6.0"`},
		{"2.0.0", `unsupported ociVersion "2.0.0"`},
	} {
		err := ValidateVersion(tc.version)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateVersion(%q) = %v, want nil", tc.version, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidateVersion(%q) = %v, want %q", tc.version, err, tc.want)
		}
	}
}

func TestValidateVersionMessageBounded(t *testing.T) {
	err := ValidateVersion(strings.Repeat("x\x1b[2J", 10000))
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if len(msg) > 2*maxQuoted+100 || strings.ContainsAny(msg, "\x1b\n") {
		t.Errorf("message not bounded and escaped (%d bytes): %q", len(msg), msg)
	}
}

func TestValidateUserNamespace(t *testing.T) {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	userns := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.UserNamespace}}
	noUserns := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}}
	for _, tc := range []struct {
		name  string
		linux *specs.Linux
		ok    bool
	}{
		{"no linux", nil, true},
		{"no mappings", &specs.Linux{Namespaces: noUserns}, true},
		{"empty mappings", &specs.Linux{Namespaces: noUserns, UIDMappings: []specs.LinuxIDMapping{}}, true},
		{"mappings with userns", &specs.Linux{Namespaces: userns, UIDMappings: m, GIDMappings: m}, true},
		{"uid mappings without userns", &specs.Linux{Namespaces: noUserns, UIDMappings: m}, false},
		{"gid mappings without userns", &specs.Linux{Namespaces: noUserns, GIDMappings: m}, false},
		{"both without namespaces", &specs.Linux{UIDMappings: m, GIDMappings: m}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUserNamespace(tc.linux)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok = %v", err, tc.ok)
			}
			if err != nil && err.Error() != "user namespace mappings specified, but user namespace isn't enabled in the config" {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const good = `{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"}}`
	if _, err := Parse(strings.NewReader(good)); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name, config, want string
	}{
		{"not json", `{bad`, "invalid config.json"},
		{"bad version", strings.Replace(good, `"1.0.2"`, `"not-a-version"`, 1), "invalid ociVersion"},
		{"no version", strings.Replace(good, `"ociVersion": "1.0.2",`, ``, 1), "ociVersion must be specified"},
		{"no process", `{"ociVersion": "1.0.2", "root": {"path": "rootfs"}}`, "process property must not be empty"},
		{"no root", `{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}}`, "root must be specified"},
		{"mappings without userns", strings.Replace(good, `}}`, `}, "linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}}`, 1),
			"user namespace mappings specified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.config))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
