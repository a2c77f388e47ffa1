package integration

import (
	"strings"
	"testing"
)

// processReport prints what the container's process sees of its own setup.
// Only what a runtime decides is printed: mount ids and devices vary, so
// mount points, ro/rw and types stand for the mounts; an exec'd process's
// pid depends on how many processes the runtime forked in the namespace
// before it (runc 1.1.5 and libcontainer 1.5 differ), so whether it is the
// namespace's PID 1 stands for the pid.
const processReport = `echo "hostname=$(hostname)"
echo "id=$(id)"
echo "cwd=$(pwd)"
env | sort
grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status
echo "nofile=$(ulimit -n)"
echo "pid1=$([ $$ = 1 ] && echo yes || echo no)"
while read -r _ _ _ _ mp opts rest; do echo "mount ${mp} ${opts%%,*} ${rest#*- }" | cut -d' ' -f1-4; done < /proc/self/mountinfo | sort
ls /proc/acpi /proc/kcore 2>&1 | wc -l
touch /ro-check 2>/dev/null && echo root-writable || echo root-readonly
`

// TestProcessLikeReference runs the same bundle with the runtime under test
// and the reference runc and compares what the process sees: hostname,
// user, cwd, environment, capabilities, no_new_privs, rlimits, being PID 1,
// the mount table, masked paths, a read-only root.
func TestProcessLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	outputs := map[string]string{}
	for name, r := range map[string]*runtime{"under test": rt, "reference": ref} {
		c := newContainer(t, r, withShell(processReport))
		res := c.invoke(t, cmdOpts{}, "run")
		if res.code != 0 {
			t.Fatalf("%s: %s", name, res)
		}
		outputs[name] = c.output()
	}
	got, want := outputs["under test"], outputs["reference"]
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d: got %q, reference runc %q", i+1, g, w)
		}
	}
}
