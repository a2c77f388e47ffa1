package spec

import (
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRelaxSeccompStatx(t *testing.T) {
	allow := func(names ...string) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: names, Action: specs.ActAllow}
	}
	deny := func(names ...string) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: names, Action: specs.ActErrno}
	}
	profile := func(def specs.LinuxSeccompAction, rules ...specs.LinuxSyscall) specs.LinuxSeccomp {
		return specs.LinuxSeccomp{DefaultAction: def, Syscalls: rules}
	}
	withArch := func(p specs.LinuxSeccomp, arches ...specs.Arch) specs.LinuxSeccomp {
		p.Architectures = arches
		return p
	}
	oneArg := []specs.LinuxSeccompArg{{Index: 2, Value: 0x1000, Op: specs.OpEqualTo}}
	for _, tc := range []struct {
		name    string
		profile specs.LinuxSeccomp
		want    specs.LinuxSeccompAction // of the added rule; "" for none
	}{
		// The profiles of old callers: an allow-list with the stat family.
		{"stat family allowed", profile(specs.ActErrno, allow("read", "fstat", "newfstatat")), specs.ActAllow},
		{"stat family logged", profile(specs.ActKill, specs.LinuxSyscall{Names: []string{"newfstatat"}, Action: specs.ActLog}), specs.ActLog},
		{"x86_64 only", withArch(profile(specs.ActErrno, allow("newfstatat")), specs.ArchX86_64), specs.ActAllow},
		{"x86 too, both allowed", withArch(profile(specs.ActErrno, allow("newfstatat"), allow("fstatat64")), specs.ArchX86_64, specs.ArchX86, specs.ArchX32), specs.ActAllow},
		// Profiles that deny statx, by name or by default: left alone.
		{"statx unnamed, stat family unnamed", profile(specs.ActErrno, allow("read")), ""},
		{"only fstat allowed", profile(specs.ActErrno, allow("read", "fstat")), ""},
		{"statx denied by name", profile(specs.ActErrno, allow("newfstatat"), deny("statx")), ""},
		{"statx allowed with conditions", profile(specs.ActErrno, allow("newfstatat"), specs.LinuxSyscall{Names: []string{"statx"}, Action: specs.ActAllow, Args: oneArg}), ""},
		{"newfstatat with conditions", profile(specs.ActErrno, specs.LinuxSyscall{Names: []string{"newfstatat"}, Action: specs.ActAllow, Args: oneArg}), ""},
		{"newfstatat denied by name", profile(specs.ActAllow, deny("newfstatat")), ""},
		{"newfstatat allowed and denied", profile(specs.ActErrno, allow("newfstatat"), specs.LinuxSyscall{Names: []string{"newfstatat"}, Action: specs.ActErrno, Args: oneArg}), ""},
		{"newfstatat allowed and logged", profile(specs.ActErrno, allow("newfstatat"), specs.LinuxSyscall{Names: []string{"newfstatat"}, Action: specs.ActLog}), ""},
		{"newfstatat traced", profile(specs.ActErrno, specs.LinuxSyscall{Names: []string{"newfstatat"}, Action: specs.ActTrace}), ""},
		{"x86 too, fstatat64 denied", withArch(profile(specs.ActErrno, allow("newfstatat")), specs.ArchX86_64, specs.ArchX86), ""},
		{"unknown arch", withArch(profile(specs.ActErrno, allow("newfstatat")), specs.ArchX86_64, "SCMP_ARCH_NEW"), ""},
		// statx is allowed already.
		{"allow by default", profile(specs.ActAllow), ""},
		{"log by default", profile(specs.ActLog, allow("newfstatat")), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.profile
			before := slices.Clone(p.Syscalls)
			notes := Relax(&specs.Spec{Linux: &specs.Linux{Seccomp: &p}})
			if tc.want == "" {
				if !reflect.DeepEqual(p.Syscalls, before) || len(notes) != 0 {
					t.Fatalf("profile changed: %+v, notes %q", p.Syscalls, notes)
				}
				return
			}
			if len(p.Syscalls) != len(before)+1 || !reflect.DeepEqual(p.Syscalls[:len(before)], before) {
				t.Fatalf("want one rule appended; got %+v", p.Syscalls)
			}
			added := p.Syscalls[len(before)]
			if !reflect.DeepEqual(added, specs.LinuxSyscall{Names: []string{"statx"}, Action: tc.want}) {
				t.Fatalf("added rule %+v, want statx with %s", added, tc.want)
			}
			if len(notes) != 1 {
				t.Fatalf("notes %q, want one", notes)
			}
		})
	}
}

func TestRelaxDevicesAndMounts(t *testing.T) {
	s := &specs.Spec{
		Linux: &specs.Linux{Devices: []specs.LinuxDevice{
			{Path: "/dev/fifo", Type: "p", Major: 8, Minor: 666},
			{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0},
		}},
		Mounts: []specs.Mount{
			{Destination: "/data", Type: "bind", Source: "/src", Options: []string{"rbind", "ro", "mode=755", "size=1k", "rslave"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=755", "size=1k"}},
		},
	}
	notes := Relax(s)
	if d := s.Linux.Devices[0]; d.Major != 0 || d.Minor != 0 {
		t.Errorf("FIFO kept %d:%d", d.Major, d.Minor)
	}
	if d := s.Linux.Devices[1]; d.Major != 8 {
		t.Errorf("block device changed: %+v", d)
	}
	if got, want := s.Mounts[0].Options, []string{"rbind", "ro", "rslave"}; !slices.Equal(got, want) {
		t.Errorf("bind options = %v, want %v", got, want)
	}
	if got := s.Mounts[1].Options; len(got) != 2 {
		t.Errorf("tmpfs options changed: %v", got)
	}
	if len(notes) != 3 {
		t.Errorf("notes = %q, want 3", notes)
	}
}
