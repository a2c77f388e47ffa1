package spec

import (
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Relax adjusts a spec where the libcontainer we build on (runc 1.5) became
// stricter than the runc that callers and test suites were written against,
// and only where the adjustment changes nothing the container can observe.
// It returns one note per change, for the debug log.
//
//   - A seccomp profile that never names statx gets statx allowed.
//     libcontainer's own init calls statx (STATX_MNT_ID, to check /proc is not
//     overmounted) after the filter is loaded, so older profiles, written
//     before statx existed, make every create fail with ENOSYS. statx tells
//     a process nothing that fstatat does not, and profiles that deny it by
//     name are left alone.
//   - FIFO device nodes get major:minor 0:0: mknod ignores the numbers of a
//     FIFO, and libcontainer rejects the node when they differ from the
//     node's (always 0:0).
//   - Bind mounts lose filesystem data options (size=, mode=, …), which the
//     kernel ignores for bind mounts and runc before 1.4 dropped silently.
func Relax(s *specs.Spec) []string {
	var notes []string
	if s.Linux != nil && s.Linux.Seccomp != nil && allowStatx(s.Linux.Seccomp) {
		notes = append(notes, "seccomp: allowed statx, which the profile does not name")
	}
	if s.Linux != nil {
		for i := range s.Linux.Devices {
			d := &s.Linux.Devices[i]
			if d.Type == "p" && (d.Major != 0 || d.Minor != 0) {
				d.Major, d.Minor = 0, 0
				notes = append(notes, "devices: "+d.Path+" is a FIFO: major:minor set to 0:0")
			}
		}
	}
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if !isBind(m) {
			continue
		}
		kept := m.Options[:0:0]
		for _, o := range m.Options {
			if isDataOption(o) {
				notes = append(notes, "mounts: dropped option "+o+" of bind mount "+m.Destination)
				continue
			}
			kept = append(kept, o)
		}
		m.Options = kept
	}
	return notes
}

func allowStatx(p *specs.LinuxSeccomp) bool {
	if p.DefaultAction == specs.ActAllow || p.DefaultAction == specs.ActLog {
		return false
	}
	for _, sc := range p.Syscalls {
		if slices.Contains(sc.Names, "statx") {
			return false
		}
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"statx"}, Action: specs.ActAllow})
	return true
}

func isBind(m *specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	return slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

// mountFlagOptions are the options libcontainer turns into mount flags or
// propagation; anything else on a bind mount is filesystem data.
var mountFlagOptions = map[string]bool{
	"async": true, "atime": true, "bind": true, "defaults": true, "dev": true,
	"diratime": true, "dirsync": true, "exec": true, "iversion": true,
	"lazytime": true, "loud": true, "mand": true, "noatime": true, "nodev": true,
	"nodiratime": true, "noexec": true, "noiversion": true, "nolazytime": true,
	"nomand": true, "norelatime": true, "nostrictatime": true, "nosuid": true,
	"nosymfollow": true, "rbind": true, "relatime": true, "remount": true,
	"ro": true, "rw": true, "silent": true, "strictatime": true, "suid": true,
	"symfollow": true, "sync": true, "tmpcopyup": true,
	"private": true, "rprivate": true, "shared": true, "rshared": true,
	"slave": true, "rslave": true, "unbindable": true, "runbindable": true,
	"idmap": true, "ridmap": true,
}

func isDataOption(o string) bool {
	if mountFlagOptions[o] {
		return false
	}
	// Recursive attributes (rro, rnosuid, …) and idmap forms are flags too.
	if strings.HasPrefix(o, "r") && mountFlagOptions[o[1:]] {
		return false
	}
	return !strings.HasPrefix(o, "uidmap=") && !strings.HasPrefix(o, "gidmap=")
}
