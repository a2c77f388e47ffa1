package spec

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Beyond runc: runc 1.x creates containers from specs that the runtime-spec
// calls invalid (runc issue #1846), and wasm-runc refuses two of them.

// maxQuoted bounds how much of a bad value an error message repeats.
const maxQuoted = 64

// ValidateVersion checks ociVersion: the runtime-spec requires it, as SemVer
// 2.0.0. Every 1.x is accepted, prereleases and build metadata included, as
// real callers send them: 1.0.2-dev (podman, buildah), 1.1.0+dev, 1.2.0,
// 1.3.0. A major version other than 1 would be a spec this runtime does not
// implement.
func ValidateVersion(v string) error {
	if v == "" {
		return errors.New("ociVersion must be specified")
	}
	major, ok := parseSemVer(v)
	if !ok {
		return fmt.Errorf("invalid ociVersion %s: not a SemVer 2.0.0 version", quote(v))
	}
	if major != "1" {
		return fmt.Errorf("unsupported ociVersion %s: only 1.x is supported", quote(v))
	}
	return nil
}

// ValidateUserNamespace refuses uid or gid mappings without a user namespace
// to apply them to: runc ignores them silently, and the container then runs
// with host ids that whoever wrote the mappings meant to avoid. The wording
// is libcontainer's own check, which runc never reaches for these mappings.
// Mappings on mounts (idmapped mounts) need no user namespace.
func ValidateUserNamespace(l *specs.Linux) error {
	if l == nil || (len(l.UIDMappings) == 0 && len(l.GIDMappings) == 0) {
		return nil
	}
	for _, ns := range l.Namespaces {
		if ns.Type == specs.UserNamespace {
			return nil
		}
	}
	return errors.New("user namespace mappings specified, but user namespace isn't enabled in the config")
}

// parseSemVer reports whether v is a SemVer 2.0.0 version
// (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]), and its major version.
func parseSemVer(v string) (major string, ok bool) {
	v, build, hasBuild := strings.Cut(v, "+")
	if hasBuild && !identifiers(build, false) {
		return "", false
	}
	v, pre, hasPre := strings.Cut(v, "-")
	if hasPre && !identifiers(pre, true) {
		return "", false
	}
	core := strings.Split(v, ".")
	if len(core) != 3 {
		return "", false
	}
	for _, n := range core {
		if !numeric(n) {
			return "", false
		}
	}
	return core[0], true
}

// identifiers checks dot-separated prerelease or build identifiers:
// non-empty, [0-9A-Za-z-]; numeric prerelease identifiers have no leading
// zero.
func identifiers(s string, prerelease bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for _, c := range id {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if prerelease && digits && !numeric(id) {
			return false
		}
	}
	return true
}

// numeric checks a SemVer numeric identifier: digits, no leading zero.
func numeric(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// quote quotes a value from the config for an error message: escaped, so
// that it stays on one line, and cut to maxQuoted bytes.
func quote(v string) string {
	if len(v) > maxQuoted {
		return fmt.Sprintf("%q…", v[:maxQuoted])
	}
	return fmt.Sprintf("%q", v)
}
