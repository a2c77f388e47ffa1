package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testWasmStateAndPs checks that a Wasm container looks like any other to
// the tools that watch containers: `state` has the same JSON shape as a
// native container's at every status, and the process shows the user's
// command line in /proc/<pid>/cmdline, comm and `ps`.
func testWasmStateAndPs(t *testing.T, fx *wasmFixture) {
	rt := newRuntime(t)
	smart := withVariant("compat-smart")
	userArgs := []string{"/hello.wasm", "args", "sleep", "30"}
	native := newContainer(t, rt, smart, withArgs("/bin/sleep", "30"))
	wasm := newContainer(t, rt, smart, withArgs(userArgs...))
	installFile(t, wasm, "/hello.wasm", fx.hello, 0o755)

	compare := func(t *testing.T, status string) {
		t.Helper()
		rn := rt.mustRun(t, "state", native.id)
		rw := rt.mustRun(t, "state", wasm.id)
		if rw.stderr != "" {
			t.Errorf("state printed on stderr: %q", rw.stderr)
		}
		n, w := decodeJSON(t, "native state", rn.stdout), decodeJSON(t, "Wasm state", rw.stdout)
		if !reflect.DeepEqual(keysOf(w), keysOf(n)) {
			t.Errorf("Wasm state keys %v; native %v", keysOf(w), keysOf(n))
		}
		for _, d := range append(shapeMissing("state", jsonShape(n), jsonShape(w)), shapeMissing("state", jsonShape(w), jsonShape(n))...) {
			t.Errorf("%s", d)
		}
		var st containerState
		if err := json.Unmarshal([]byte(rw.stdout), &st); err != nil {
			t.Fatal(err)
		}
		if st.Status != status || st.ID != wasm.id || st.Bundle != wasm.bundle || (status == "stopped") != (st.Pid == 0) {
			t.Errorf("Wasm state %+v; want status %s", st, status)
		}
		if st.Annotations[wasmVariantKey] != "compat-smart" {
			t.Errorf("Wasm state annotations %v", st.Annotations)
		}
	}

	wasmCreate(t, native, fx.opts())
	wasmCreate(t, wasm, fx.opts())
	t.Run("created", func(t *testing.T) { compare(t, "created") })
	native.start(t)
	wasm.start(t)
	wasm.waitOutput(t, "arg[0]=", commandTimeout)
	t.Run("running", func(t *testing.T) { compare(t, "running") })

	t.Run("cmdline", func(t *testing.T) {
		pid := wasm.state(t).Pid
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("/proc/%d/cmdline: %q", pid, raw)
		if want := strings.Join(userArgs, "\x00") + "\x00"; !bytes.HasPrefix(raw, []byte(want)) {
			t.Errorf("cmdline %q does not start with the user's args %q", raw, want)
		}
		if got := procCmdline(t, pid); !slices.Equal(got, userArgs) {
			t.Errorf("cmdline without padding %q; want %q", got, userArgs)
		}
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if strings.TrimSpace(string(comm)) != "hello.wasm" {
			t.Errorf("comm %q; want hello.wasm", comm)
		}
	})

	t.Run("ps", func(t *testing.T) {
		pid := wasm.state(t).Pid
		res := rt.mustRun(t, "ps", wasm.id)
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[1], strings.Join(userArgs, " ")) ||
			!slices.Contains(strings.Fields(lines[1]), strconv.Itoa(pid)) {
			t.Errorf("ps: want a header and the module's line ending in %q; got\n%s", strings.Join(userArgs, " "), res.stdout)
		}
		res = rt.mustRun(t, "ps", "--format", "json", wasm.id)
		var pids []int
		if err := json.Unmarshal([]byte(res.stdout), &pids); err != nil || !slices.Equal(pids, []int{pid}) {
			t.Errorf("ps --format json: %q (%v); want [%d]", res.stdout, err, pid)
		}
	})

	rt.mustRun(t, "kill", native.id, "KILL")
	rt.mustRun(t, "kill", wasm.id, "KILL")
	rt.waitStatus(t, native.id, "stopped", 10*time.Second)
	rt.waitStatus(t, wasm.id, "stopped", 10*time.Second)
	t.Run("stopped", func(t *testing.T) { compare(t, "stopped") })
}
