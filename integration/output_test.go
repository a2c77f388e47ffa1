package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsonShape reduces a decoded JSON value to its shape: objects keep their
// keys (except annotations, whose keys are data), arrays keep the shape of
// their first element, scalars become their type name.
func jsonShape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			if k == "annotations" {
				// Keys are data, not structure: an object of strings.
				m[k] = map[string]any{}
				continue
			}
			m[k] = jsonShape(e)
		}
		return m
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{jsonShape(v[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}

// shapeMissing lists where got lacks something that want has, or has it with
// another type. got may have more (a newer runtime reports more features).
func shapeMissing(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": want an object, got " + shapeName(got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, shapeMissing(path+"."+k, wv, gv)...)
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path + ": want an array, got " + shapeName(got)}
		}
		if len(w) == 0 || len(g) == 0 {
			return nil
		}
		return shapeMissing(path+"[]", w[0], g[0])
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{path + ": want " + shapeName(want) + ", got " + shapeName(got)}
		}
	}
	return nil
}

func shapeName(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return v
	}
	return "?"
}

func decodeJSON(t *testing.T, what, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", what, err, s)
	}
	return v
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestStateShape compares `state` of the runtime under test with the
// reference runc's on equivalent containers, at every status: same keys,
// same types, same status words. Values that differ by nature (pid, times,
// paths, ids, ociVersion) are checked for plausibility only.
func TestStateShape(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	annotations := map[string]string{"org.example.itest": "state", "org.example.other": "x"}
	script := withShell("exec sleep 30")
	got := newContainer(t, rt, script, withAnnotations(annotations))
	want := newContainer(t, ref, script, withAnnotations(annotations))

	compare := func(t *testing.T, status string) {
		t.Helper()
		rg := rt.run(t, "state", got.id)
		rw := ref.run(t, "state", want.id)
		if rg.code != 0 || rw.code != 0 {
			t.Fatalf("state failed:\n%s\n%s", rg, rw)
		}
		if rg.stderr != "" {
			t.Errorf("state printed on stderr: %q", rg.stderr)
		}
		g, w := decodeJSON(t, "state", rg.stdout), decodeJSON(t, "reference state", rw.stdout)
		if !reflect.DeepEqual(keysOf(g), keysOf(w)) {
			t.Errorf("state keys %v; reference runc has %v", keysOf(g), keysOf(w))
		}
		for _, d := range shapeMissing("state", jsonShape(w), jsonShape(g)) {
			t.Errorf("%s", d)
		}
		var st containerState
		if err := json.Unmarshal([]byte(rg.stdout), &st); err != nil {
			t.Fatal(err)
		}
		if st.Status != status {
			t.Errorf("status %q; want %q", st.Status, status)
		}
		if st.ID != got.id || st.Bundle != got.bundle || st.Rootfs != filepath.Join(got.bundle, "rootfs") {
			t.Errorf("id/bundle/rootfs %q %q %q; want %q %q %q", st.ID, st.Bundle, st.Rootfs,
				got.id, got.bundle, filepath.Join(got.bundle, "rootfs"))
		}
		if (status == "stopped") != (st.Pid == 0) {
			t.Errorf("status %s with pid %d", st.Status, st.Pid)
		}
		if d := time.Since(st.Created); d < 0 || d > time.Minute {
			t.Errorf("created %v is not recent", st.Created)
		}
		if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(st.OCIVersion) {
			t.Errorf("ociVersion %q is not a version", st.OCIVersion)
		}
		if !reflect.DeepEqual(st.Annotations, annotations) {
			t.Errorf("annotations %v; want %v", st.Annotations, annotations)
		}
	}

	got.create(t)
	want.create(t)
	t.Run("created", func(t *testing.T) { compare(t, "created") })
	got.start(t)
	want.start(t)
	t.Run("running", func(t *testing.T) { compare(t, "running") })
	rt.mustRun(t, "kill", got.id, "KILL")
	ref.mustRun(t, "kill", want.id, "KILL")
	rt.waitStatus(t, got.id, "stopped", 10*time.Second)
	ref.waitStatus(t, want.id, "stopped", 10*time.Second)
	t.Run("stopped", func(t *testing.T) { compare(t, "stopped") })
}

// TestStateWithoutAnnotations checks that a container without annotations
// has no annotations key, as in runc.
func TestStateWithoutAnnotations(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exec sleep 30"))
	c.create(t)
	res := rt.mustRun(t, "state", c.id)
	if _, ok := decodeJSON(t, "state", res.stdout).(map[string]any)["annotations"]; ok {
		t.Errorf("state has annotations although the config has none: %s", res.stdout)
	}
}

// TestList checks `list` in table, JSON and quiet form on a created and a
// running container.
func TestList(t *testing.T) {
	rt := newRuntime(t)
	created := newContainer(t, rt, withShell("exec sleep 30"))
	running := newContainer(t, rt, withShell("exec sleep 30"))
	created.create(t)
	running.create(t)
	running.start(t)
	want := map[string]containerState{
		created.id: created.state(t),
		running.id: running.state(t),
	}

	t.Run("table", func(t *testing.T) {
		res := rt.mustRun(t, "list")
		if res.stderr != "" {
			t.Errorf("list printed on stderr: %q", res.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		header := []string{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}
		if !reflect.DeepEqual(strings.Fields(lines[0]), header) {
			t.Fatalf("header %q; want the columns %v", lines[0], header)
		}
		if len(lines) != 3 {
			t.Fatalf("want a header and 2 rows; got %q", res.stdout)
		}
		cols := columnStarts(lines[0])
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			if len(f) != 6 {
				t.Errorf("row %q has %d fields; want 6", line, len(f))
				continue
			}
			if !reflect.DeepEqual(columnStarts(line), cols) {
				t.Errorf("row %q is not aligned with the header %q", line, lines[0])
			}
			st, ok := want[f[0]]
			if !ok {
				t.Errorf("row for unknown container %q", f[0])
				continue
			}
			wantRow := []string{st.ID, strconv.Itoa(st.Pid), st.Status, st.Bundle,
				st.Created.Format(time.RFC3339Nano), "root"}
			if !reflect.DeepEqual(f, wantRow) {
				t.Errorf("row %v; want %v", f, wantRow)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		res := rt.mustRun(t, "list", "--format", "json")
		if res.stderr != "" {
			t.Errorf("list printed on stderr: %q", res.stderr)
		}
		var items []containerState
		if err := json.Unmarshal([]byte(res.stdout), &items); err != nil {
			t.Fatalf("list --format json: %v\n%s", err, res.stdout)
		}
		if len(items) != 2 {
			t.Fatalf("want 2 items; got %s", res.stdout)
		}
		raw := decodeJSON(t, "list", res.stdout).([]any)
		for i, it := range items {
			w := want[it.ID]
			if it.Status != w.Status || it.Pid != w.Pid || it.Bundle != w.Bundle || it.Owner != "root" {
				t.Errorf("item %+v; want %+v with owner root", it, w)
			}
			keys := keysOf(raw[i])
			wantKeys := []string{"bundle", "created", "id", "ociVersion", "owner", "pid", "rootfs", "status"}
			if !reflect.DeepEqual(keys, wantKeys) {
				t.Errorf("item keys %v; want %v", keys, wantKeys)
			}
		}
	})

	t.Run("quiet", func(t *testing.T) {
		for _, flag := range []string{"-q", "--quiet"} {
			res := rt.mustRun(t, "list", flag)
			ids := strings.Fields(res.stdout)
			sort.Strings(ids)
			wantIDs := []string{created.id, running.id}
			sort.Strings(wantIDs)
			if !reflect.DeepEqual(ids, wantIDs) || strings.Count(res.stdout, "\n") != 2 || res.stderr != "" {
				t.Errorf("list %s: stdout %q stderr %q; want the ids %v one a line", flag, res.stdout, res.stderr, wantIDs)
			}
		}
	})
}

// TestListLikeReference compares list output between the runtime under test
// and the reference runc: JSON item keys, and the empty forms.
func TestListLikeReference(t *testing.T) {
	ref := newReference(t)
	rt := newRuntime(t)
	for _, r := range []*runtime{rt, ref} {
		if err := os.MkdirAll(r.root, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"list"}, {"list", "--format", "json"}, {"list", "-q"}} {
		g, w := rt.run(t, args...), ref.run(t, args...)
		if g.code != w.code || g.stdout != w.stdout || g.stderr != w.stderr {
			t.Errorf("empty %v:\n got %s\nwant %s", args, g, w)
		}
	}

	annotations := map[string]string{"org.example.itest": "list"}
	got := newContainer(t, rt, withShell("exec sleep 30"), withAnnotations(annotations))
	want := newContainer(t, ref, withShell("exec sleep 30"), withAnnotations(annotations))
	got.create(t)
	want.create(t)
	g := decodeJSON(t, "list", rt.mustRun(t, "list", "--format", "json").stdout)
	w := decodeJSON(t, "reference list", ref.mustRun(t, "list", "--format", "json").stdout)
	ga, _ := g.([]any)
	wa, _ := w.([]any)
	if len(ga) != 1 || len(wa) != 1 {
		t.Fatalf("want one item each; got %v and %v", g, w)
	}
	if !reflect.DeepEqual(keysOf(ga[0]), keysOf(wa[0])) {
		t.Errorf("list item keys %v; reference runc has %v", keysOf(ga[0]), keysOf(wa[0]))
	}
	for _, d := range shapeMissing("list[0]", jsonShape(wa[0]), jsonShape(ga[0])) {
		t.Errorf("%s", d)
	}
}

// columnStarts returns the offsets at which the fields of a line start.
func columnStarts(line string) []int {
	var starts []int
	for i := range line {
		if line[i] != ' ' && (i == 0 || line[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	return starts
}

// TestVersion checks the --version layout that tools parse.
func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		rt := newRuntime(t)
		res := rt.run(t, flag)
		if res.code != 0 || res.stderr != "" {
			t.Fatalf("%s", res)
		}
		lines := strings.Split(res.stdout, "\n")
		if len(lines) < 3 {
			t.Fatalf("want at least 3 lines; got %q", res.stdout)
		}
		if !regexp.MustCompile(`^[\w.+-]+ version \S+$`).MatchString(lines[0]) {
			t.Errorf("first line %q; want \"<name> version X\"", lines[0])
		}
		if !strings.HasPrefix(lines[1], "commit: ") || !strings.HasPrefix(lines[2], "spec: ") {
			t.Errorf("lines 2 and 3 %q %q; want \"commit: …\" then \"spec: …\"", lines[1], lines[2])
		}
	}
}

// TestWasmRuncVersion checks that wasm-runc names itself and reports the
// repository's VERSION and the runtime-spec it implements (wasm-runc only).
func TestWasmRuncVersion(t *testing.T) {
	rt := newRuntime(t)
	res := rt.mustRun(t, "--version")
	lines := strings.Split(res.stdout, "\n")
	version, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if want := "wasm-runc version " + strings.TrimSpace(string(version)); !strings.HasPrefix(lines[0], want) {
		t.Errorf("first line %q; want %q", lines[0], want)
	}
	if len(lines) < 3 || lines[2] != "spec: 1.3.0" {
		t.Errorf("spec line %q; want \"spec: 1.3.0\" (runtime-spec in go.mod)", lines[2])
	}
}

// TestFeatures compares `features` with the reference runc's: every key it
// has must be there with the same type (more keys are fine).
func TestFeatures(t *testing.T) {
	rt := newRuntime(t)
	res := rt.mustRun(t, "features")
	if res.stderr != "" {
		t.Errorf("features printed on stderr: %q", res.stderr)
	}
	got := decodeJSON(t, "features", res.stdout)

	var want any
	source := "reference runc"
	if referenceRunc != "" {
		rw := newRuntimeFor(t, referenceRunc).run(t, "features")
		if rw.code == 0 {
			want = decodeJSON(t, "reference features", rw.stdout)
		}
	}
	if want == nil {
		// Reference runc too old for `features`: use the runtime-spec
		// features schema's shape.
		source = "testdata/features-shape.json"
		b, err := os.ReadFile(filepath.Join("testdata", "features-shape.json"))
		if err != nil {
			t.Fatal(err)
		}
		want = decodeJSON(t, source, string(b))
	}
	for _, d := range shapeMissing("features", jsonShape(want), jsonShape(got)) {
		t.Errorf("%s (compared with %s)", d, source)
	}

	var f struct {
		OCIVersionMin string   `json:"ociVersionMin"`
		OCIVersionMax string   `json:"ociVersionMax"`
		Hooks         []string `json:"hooks"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &f); err != nil {
		t.Fatal(err)
	}
	if f.OCIVersionMin == "" || f.OCIVersionMax == "" {
		t.Errorf("ociVersionMin %q, ociVersionMax %q: both must be set", f.OCIVersionMin, f.OCIVersionMax)
	}
	for _, h := range hookNames {
		if !contains(f.Hooks, h) {
			t.Errorf("hooks %v lack %q", f.Hooks, h)
		}
	}
}

// TestWasmRuncFeaturesGoldenShape checks `features` against the shape
// written from the runtime-spec features schema (testdata/features-shape.json),
// whatever the reference runc is. wasm-runc only: runc 1.1.5 predates
// linux.intelRdt in `features`.
func TestWasmRuncFeaturesGoldenShape(t *testing.T) {
	rt := newRuntime(t)
	got := decodeJSON(t, "features", rt.mustRun(t, "features").stdout)
	b, err := os.ReadFile(filepath.Join("testdata", "features-shape.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := decodeJSON(t, "features-shape.json", string(b))
	for _, d := range shapeMissing("features", jsonShape(want), jsonShape(got)) {
		t.Errorf("%s", d)
	}
}

// TestWasmRuncFeaturesAnnotations checks that wasm-runc declares the Wasm
// annotations as potentially unsafe config annotations (wasm-runc only:
// runc 1.1.5 has no such list).
func TestWasmRuncFeaturesAnnotations(t *testing.T) {
	rt := newRuntime(t)
	var f struct {
		Unsafe []string `json:"potentiallyUnsafeConfigAnnotations"`
	}
	res := rt.mustRun(t, "features")
	if err := json.Unmarshal([]byte(res.stdout), &f); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"run.oci.handler", "module.wasm.image/variant"} {
		if !contains(f.Unsafe, a) {
			t.Errorf("potentiallyUnsafeConfigAnnotations %v lacks %q", f.Unsafe, a)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
