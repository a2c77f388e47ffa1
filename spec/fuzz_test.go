package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The fuzz targets run their committed corpus (testdata/fuzz/) with every
// `go test`; `make fuzz` explores further for a bounded time.

// FuzzParse: any bytes either fail with one line of error text, bounded
// when it repeats the config, or give a spec that passes every check.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatalf("spec and error: %v", err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		if ValidateVersion(s.Version) != nil || ValidateProcess(s.Process) != nil ||
			s.Root == nil || s.Root.Path == "" || ValidateUserNamespace(s.Linux) != nil {
			t.Fatalf("accepted a spec that fails a check: %+v", s)
		}
	})
}

// FuzzRelax: whatever the spec, Relax never lets a call through that the
// seccomp profile did not let through before (statx only where newfstatat,
// and fstatat64 for 32-bit ABIs, already were, unconditionally and with the
// same action), never adds mount options or changes anything but FIFO
// numbers and bind-mount data options, and is idempotent.
func FuzzRelax(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		before := cloneSpec(t, &s)
		notes := Relax(&s)
		// Both sides through JSON, as a caller reads the spec: an empty
		// list and a missing one are the same profile.
		after := cloneSpec(t, &s)
		checkSeccomp(t, before, after)
		checkDevicesAndMounts(t, before, after)
		if len(notes) == 0 && !reflect.DeepEqual(before, cloneSpec(t, &s)) {
			t.Fatalf("spec changed without a note")
		}
		once := cloneSpec(t, &s)
		if again := Relax(&s); len(again) != 0 || !reflect.DeepEqual(once, cloneSpec(t, &s)) {
			t.Fatalf("second Relax changed the spec: %q", again)
		}
	})
}

func checkSeccomp(t *testing.T, before, after *specs.Spec) {
	t.Helper()
	if before.Linux == nil || before.Linux.Seccomp == nil {
		return
	}
	b, a := before.Linux.Seccomp, after.Linux.Seccomp
	if len(a.Syscalls) < len(b.Syscalls) || len(a.Syscalls) > len(b.Syscalls)+1 ||
		!reflect.DeepEqual(normalRules(a.Syscalls[:len(b.Syscalls)]), normalRules(b.Syscalls)) {
		t.Fatalf("rules changed:\nbefore %+v\nafter  %+v", b.Syscalls, a.Syscalls)
	}
	added := a.Syscalls[len(b.Syscalls):]
	ac, bc := *a, *b
	ac.Syscalls, bc.Syscalls = nil, nil
	if !reflect.DeepEqual(ac, bc) {
		t.Fatalf("profile changed beyond its rules:\nbefore %+v\nafter  %+v", bc, ac)
	}
	if len(added) == 0 {
		return
	}
	rule := added[0]
	if !slices.Equal(rule.Names, []string{"statx"}) || len(rule.Args) != 0 {
		t.Fatalf("added rule %+v", rule)
	}
	p := b
	if v, ok := verdict(p, "statx"); !ok || v != p.DefaultAction {
		t.Fatalf("statx was named already (%v, %v)", v, ok)
	}
	if permits(p.DefaultAction) {
		t.Fatalf("statx added though the default action %q allows it", p.DefaultAction)
	}
	stat := []string{"newfstatat"}
	for _, arch := range p.Architectures {
		if !statsWithNewfstatat(arch) {
			stat = append(stat, "fstatat64")
		}
	}
	for _, name := range stat {
		v, ok := verdict(p, name)
		if !ok || !named(p, name) || v != rule.Action || !permits(v) {
			t.Fatalf("statx gets %q, but %s was %q (unconditional: %v)", rule.Action, name, v, ok)
		}
	}
}

// verdict is the action a profile takes on a call of name without looking
// at its arguments; ok is false when arguments or rules with different
// actions make it depend on the call.
func verdict(p *specs.LinuxSeccomp, name string) (specs.LinuxSeccompAction, bool) {
	var action specs.LinuxSeccompAction
	for _, r := range p.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		if len(r.Args) > 0 || (action != "" && action != r.Action) {
			return "", false
		}
		action = r.Action
	}
	if action == "" {
		return p.DefaultAction, true
	}
	return action, true
}

func named(p *specs.LinuxSeccomp, name string) bool {
	return slices.ContainsFunc(p.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, name) })
}

// normalRules makes empty and nil slices compare equal.
func normalRules(rs []specs.LinuxSyscall) []specs.LinuxSyscall {
	if len(rs) == 0 {
		return nil
	}
	out := slices.Clone(rs)
	for i := range out {
		if len(out[i].Names) == 0 {
			out[i].Names = nil
		}
		if len(out[i].Args) == 0 {
			out[i].Args = nil
		}
	}
	return out
}

func checkDevicesAndMounts(t *testing.T, before, after *specs.Spec) {
	t.Helper()
	if before.Linux != nil {
		for i, d := range after.Linux.Devices {
			want := before.Linux.Devices[i]
			if want.Type == "p" {
				want.Major, want.Minor = 0, 0
			}
			if !reflect.DeepEqual(d, want) {
				t.Fatalf("device %d: %+v, want %+v", i, d, want)
			}
		}
	}
	if len(after.Mounts) != len(before.Mounts) {
		t.Fatalf("%d mounts, had %d", len(after.Mounts), len(before.Mounts))
	}
	for i, m := range after.Mounts {
		was := before.Mounts[i]
		opts, wasOpts := m.Options, was.Options
		m.Options, was.Options = nil, nil
		if !reflect.DeepEqual(m, was) {
			t.Fatalf("mount %d: %+v, was %+v", i, m, was)
		}
		// Options are kept in order, and only data options of bind
		// mounts go.
		j := 0
		for _, o := range wasOpts {
			if j < len(opts) && opts[j] == o {
				j++
				continue
			}
			if !isBind(&before.Mounts[i]) || !isDataOption(o) {
				t.Fatalf("mount %d lost option %q: %q -> %q", i, o, wasOpts, opts)
			}
		}
		if j != len(opts) {
			t.Fatalf("mount %d gained options: %q -> %q", i, wasOpts, opts)
		}
	}
}

// cloneSpec deep-copies a spec through JSON, as it came.
func cloneSpec(t *testing.T, s *specs.Spec) *specs.Spec {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var c specs.Spec
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// FuzzWasmMode: a sandbox is always native; Wasm and Smart come only from
// the exact annotation values or a runtime name ending in "-wasm"; other
// annotations change nothing.
func FuzzWasmMode(f *testing.F) {
	f.Fuzz(func(t *testing.T, handler, variant, containerdType, crioType, program, otherKey, otherValue string) {
		a := map[string]string{}
		for k, v := range map[string]string{
			HandlerAnnotation: handler, VariantAnnotation: variant,
			containerdContainerType: containerdType, crioContainerType: crioType,
		} {
			if v != "" {
				a[k] = v
			}
		}
		m := WasmMode(a, program)
		if m != Native && m != Wasm && m != Smart {
			t.Fatalf("mode %d", m)
		}
		if m.String() == "" {
			t.Fatalf("mode %d has no name", m)
		}
		sandbox := containerdType == "sandbox" || crioType == "sandbox"
		if IsSandbox(a) != sandbox {
			t.Fatalf("IsSandbox = %v, want %v", IsSandbox(a), sandbox)
		}
		wasmHandler := handler == "wasm" || handler == "wasm-smart"
		switch {
		case sandbox && m != Native:
			t.Fatalf("sandbox runs as %v", m)
		case m == Wasm && handler != "wasm" && !(variant == "compat" && !wasmHandler):
			t.Fatalf("wasm from handler %q variant %q", handler, variant)
		case m == Smart && handler != "wasm-smart" && variant != "compat-smart" && !strings.HasSuffix(program, "-wasm"):
			t.Fatalf("smart from handler %q variant %q program %q", handler, variant, program)
		case m == Native && !sandbox && (wasmHandler || variant == "compat" || variant == "compat-smart" || strings.HasSuffix(program, "-wasm")):
			t.Fatalf("native from handler %q variant %q program %q", handler, variant, program)
		}
		// An annotation that is none of these changes nothing.
		known := []string{HandlerAnnotation, VariantAnnotation, containerdContainerType, crioContainerType}
		if !slices.Contains(known, otherKey) {
			a[otherKey] = otherValue
			if got := WasmMode(a, program); got != m {
				t.Fatalf("annotation %q=%q changed the mode from %v to %v", otherKey, otherValue, m, got)
			}
		}
	})
}
