package main

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
)

// The cgroup warm-up's constructor (linux/cgroupwarm.c) reads the command
// line before the Go runtime starts, so it keeps its own list of the global
// flags: it must be this app's, or the warm-up never starts.
func TestCgroupWarmFlagsMatchApp(t *testing.T) {
	var value, boolean []string
	for _, f := range newApp("wasm-runc").Flags {
		for _, name := range f.Names() {
			if _, ok := f.(*cli.BoolFlag); ok {
				boolean = append(boolean, name)
			} else {
				value = append(value, name)
			}
		}
	}
	cValue, cBool := linux.CgroupWarmFlags()
	for _, l := range [][]string{value, boolean, cValue, cBool} {
		slices.Sort(l)
	}
	if !slices.Equal(value, cValue) || !slices.Equal(boolean, cBool) {
		t.Fatalf("linux/cgroupwarm.c knows value flags %q and booleans %q; the app has %q and %q",
			cValue, cBool, value, boolean)
	}
	// The verbs it starts the warm-up for.
	for _, verb := range []string{"create", "run", "restore", "exec"} {
		if newApp("wasm-runc").Command(verb) == nil {
			t.Errorf("no %q command", verb)
		}
	}
}
