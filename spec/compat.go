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
//   - A seccomp profile that never names statx, but allows newfstatat
//     (and fstatat64, when it lists a 32-bit architecture) without
//     conditions, gets statx with their action. libcontainer's
//     own init calls statx (STATX_MNT_ID, to check /proc is not overmounted)
//     after the filter is loaded, so older profiles, written before statx
//     existed, make every create fail with ENOSYS. statx tells a process
//     nothing that newfstatat does not (both stat a path or, with
//     AT_EMPTY_PATH, an fd), so the profile allows nothing new. A profile
//     that names statx, or does not allow newfstatat everywhere, is left
//     alone: what it denies stays denied.
//   - FIFO device nodes get major:minor 0:0: mknod ignores the numbers of a
//     FIFO, and libcontainer rejects the node when they differ from the
//     node's (always 0:0).
//   - Bind mounts lose filesystem data options (size=, mode=, …), which the
//     kernel ignores for bind mounts and runc before 1.4 dropped silently.
func Relax(s *specs.Spec) []string {
	var notes []string
	if s.Linux != nil && s.Linux.Seccomp != nil && allowStatx(s.Linux.Seccomp) {
		notes = append(notes, "seccomp: allowed statx, which the profile does not name, as it allows newfstatat")
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

// allowStatx adds a rule for statx when the profile already lets every call
// of the stat family that statx replaces through, and reports whether it did.
func allowStatx(p *specs.LinuxSeccomp) bool {
	if permits(p.DefaultAction) {
		return false // statx is allowed already, unless a rule names it
	}
	replaced := []string{"newfstatat"}
	if slices.ContainsFunc(p.Architectures, func(a specs.Arch) bool { return !statsWithNewfstatat(a) }) {
		replaced = append(replaced, "fstatat64")
	}
	var action specs.LinuxSeccompAction
	found := map[string]bool{}
	for _, sc := range p.Syscalls {
		if slices.Contains(sc.Names, "statx") {
			return false
		}
		if !slices.ContainsFunc(sc.Names, func(n string) bool { return slices.Contains(replaced, n) }) {
			continue
		}
		// A condition, or rules with different actions, mean some calls
		// are not allowed, or not in the same way: statx could reach them.
		if len(sc.Args) > 0 || !permits(sc.Action) || (action != "" && action != sc.Action) {
			return false
		}
		action = sc.Action
		for _, n := range sc.Names {
			found[n] = true
		}
	}
	for _, n := range replaced {
		if !found[n] {
			return false // it falls to the default action: denied
		}
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"statx"}, Action: action})
	return true
}

// statsWithNewfstatat reports whether a seccomp architecture's ABI stats
// paths with newfstatat. The others (32-bit ABIs, and any this list does not
// know) are taken to use fstatat64: requiring it too can only keep statx
// denied, never allow it where it was not.
func statsWithNewfstatat(a specs.Arch) bool {
	switch a {
	case specs.ArchX86_64, specs.ArchX32, specs.ArchAARCH64, specs.ArchMIPS64,
		specs.ArchMIPSEL64, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390X,
		specs.ArchPARISC64, specs.ArchRISCV64:
		return true
	}
	return false
}

// permits reports whether a seccomp action lets the call run.
func permits(a specs.LinuxSeccompAction) bool {
	return a == specs.ActAllow || a == specs.ActLog
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
