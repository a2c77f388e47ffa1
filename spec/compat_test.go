package spec

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRelaxSeccompStatx(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile specs.LinuxSeccomp
		allowed bool
	}{
		{"deny by default, statx unnamed", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}, true},
		{"statx denied by name", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"statx"}, Action: specs.ActErrno}}}, false},
		{"allow by default", specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.profile
			before := len(p.Syscalls)
			Relax(&specs.Spec{Linux: &specs.Linux{Seccomp: &p}})
			got := len(p.Syscalls) > before
			if got != tc.allowed {
				t.Fatalf("statx rule added = %v, want %v (%+v)", got, tc.allowed, p.Syscalls)
			}
			if got {
				last := p.Syscalls[len(p.Syscalls)-1]
				if !slices.Equal(last.Names, []string{"statx"}) || last.Action != specs.ActAllow {
					t.Fatalf("added rule %+v", last)
				}
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
