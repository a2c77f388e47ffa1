package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFlagsAfterID drives a container through its life with every verb's
// flags after the container id, as runc accepts them and as runc's own
// tests (update.bats, delete.bats, kill.bats, events.bats) type them.
func TestFlagsAfterID(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell(sleeper))
	// From another directory, so that only --bundle can find the bundle.
	cmd, outs := rt.command(t, cmdOpts{dir: t.TempDir()}, "create", c.id, "--bundle", c.bundle)
	c.stdout, c.stderr = outs.stdout.Name(), outs.stderr.Name()
	if res := outs.result(cmd, runTracked(cmd)); res.code != 0 {
		t.Fatalf("%s", res)
	}
	c.state(t)
	c.start(t)
	c.waitOutput(t, "ready", 10*time.Second)

	rt.mustRun(t, "update", c.id, "--cpu-period", "900000", "--pids-limit=40")
	if got := mustCgroupFile(t, c.id, "cpu", "cpu.cfs_period_us"); got != "900000" {
		t.Errorf("cpu.cfs_period_us = %s after `update ID --cpu-period 900000`", got)
	}
	if got := mustCgroupFile(t, c.id, "pids", "pids.max"); got != "40" {
		t.Errorf("pids.max = %s after `update ID --pids-limit=40`", got)
	}

	res := rt.mustRun(t, "events", c.id, "--stats")
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &ev); err != nil || ev.Type != "stats" || ev.ID != c.id {
		t.Errorf("`events ID --stats` printed %q (%v); want one stats event", res.stdout, err)
	}

	rt.mustRun(t, "pause", c.id)
	rt.mustRun(t, "resume", c.id)
	rt.mustRun(t, "kill", c.id, "KILL", "--all")
	rt.waitStatus(t, c.id, "stopped", 10*time.Second)
	rt.mustRun(t, "delete", c.id, "--force")
	if _, res := rt.state(t, c.id); res.code == 0 {
		t.Errorf("container still there after `delete ID --force`")
	}

	// run with its flags after the id; delete --force kills it.
	r := newContainer(t, rt, withShell(sleeper))
	cmd, outs = rt.command(t, cmdOpts{dir: t.TempDir()}, "run", r.id, "--detach", "--bundle", r.bundle)
	r.stdout, r.stderr = outs.stdout.Name(), outs.stderr.Name()
	if res := outs.result(cmd, runTracked(cmd)); res.code != 0 {
		t.Fatalf("%s", res)
	}
	r.waitOutput(t, "ready", 10*time.Second)
	if st := r.state(t); st.Status != "running" {
		t.Fatalf("after `run ID --detach`: status %q", st.Status)
	}
	rt.mustRun(t, "delete", r.id, "--force")
	if _, res := rt.state(t, r.id); res.code == 0 {
		t.Errorf("container still there after `delete ID --force`")
	}
}

// TestExecKeepsTrailingFlags: after exec's container id, flags belong to
// the process (runc's SkipArgReorder).
func TestExecKeepsTrailingFlags(t *testing.T) {
	rt := newRuntime(t)
	c := runningContainer(t, rt, sleeper)
	res := rt.mustRun(t, "exec", c.id, "echo", "--tty", "-e", "X=1")
	if res.stdout != "--tty -e X=1\n" {
		t.Errorf("exec ID echo --tty -e X=1 printed %q", res.stdout)
	}
	res = rt.mustRun(t, "ps", c.id, "-o", "pid,args")
	if !strings.Contains(res.stdout, "sleep 300") {
		t.Errorf("ps ID -o pid,args printed %q", res.stdout)
	}
}

// logMsg pulls the message out of a text-format log line.
var logMsg = regexp.MustCompile(`level=(\w+) msg="((?:[^"\\]|\\.)*)"`)

// normalized is what must be the same for the runtime under test and the
// reference: exit code, the first line of stdout and the log messages, the
// program's path and name replaced by RUNTIME.
func normalized(res result, bin string) string {
	first, _, _ := strings.Cut(res.stdout, "\n")
	var msgs []string
	for _, m := range logMsg.FindAllStringSubmatch(res.stderr, -1) {
		msgs = append(msgs, m[1]+": "+strings.TrimSuffix(m[2], `\n`))
	}
	s := strings.Join(append([]string{"exit " + strconv.Itoa(res.code), first}, msgs...), " | ")
	s = strings.ReplaceAll(s, bin, "RUNTIME")
	return strings.ReplaceAll(s, filepath.Base(bin), "RUNTIME")
}

// TestArgOrderLikeReference holds usage errors and flag positions against
// the reference runc, on containers that do not exist: the same exit code,
// the same first line of output, the same error (the program's name aside).
// What a verb does with a real container is TestFlagsAfterID's.
func TestArgOrderLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	for _, r := range []*runtime{rt, ref} {
		if err := os.MkdirAll(r.root, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"state"},
		{"state", "ct", "--bogus"},
		{"state", "--bogus", "ct"},
		{"state", "ct", "extra"},
		{"kill"},
		{"kill", "a", "b", "c"},
		{"kill", "ct", "KILL", "--all"},
		{"kill", "ct", "--all", "KILL"},
		{"list", "extra"},
		{"list", "--root", "/x"},
		{"list", "-q", "--format", "json"},
		{"delete", "ct", "--force"},
		{"delete", "ct", "-f", "extra"},
		{"delete", "ct", "--help"},
		{"update", "ct", "--cpu-period", "900000"},
		{"update", "ct", "--pids-limit", "x"},
		{"events", "ct", "--stats"},
		{"events", "ct", "--interval", "2s", "extra"},
		{"pause", "ct", "extra"},
		{"resume"},
		{"start", "ct", "--bogus"},
		{"spec", "extra", "--rootless"},
		{"ps", "ct", "--format", "json"},
		{"ps", "--format", "json"},
		{"exec", "ct"},
		{"exec", "--tty"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			g, w := rt.run(t, args...), ref.run(t, args...)
			if gn, wn := normalized(g, rt.bin), normalized(w, ref.bin); gn != wn {
				t.Errorf("\n got %s\nwant %s", gn, wn)
			}
		})
	}
}

// TestListRoot: list with a missing state root, in a mount namespace of
// its own with an empty /run, so that the default root is missing too.
// runc exits 1 when the missing root was given with --root, and lists
// nothing when it is the default one (no container created yet).
func TestListRoot(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skipf("missing precondition: unshare (util-linux) for a private mount namespace: %v", err)
	}
	script := `mount -t tmpfs tmpfs /run || exit 99
"$0" list; echo "exit $?"
"$0" --root /run/missing list -q; echo "exit $?"
mkdir -p /run/r/not-a-container
"$0" --root /run/r list; echo "exit $?"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, runtimeBinary)
	cmd.Env = cleanEnviron()
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	header := "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
	want := []*regexp.Regexp{
		regexp.MustCompile(`^` + regexp.QuoteMeta(header) + `exit 0\n`),
		regexp.MustCompile(`\nexit 0\n.*level=error msg="open /run/missing: no such file or directory"\nexit 1\n`),
		regexp.MustCompile(`\nexit 1\nload container not-a-container: container does not exist\n` + regexp.QuoteMeta(header) + `exit 0\n$`),
	}
	for _, re := range want {
		if !re.Match(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
}
