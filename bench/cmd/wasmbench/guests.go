package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The guests phase: components against core modules, and each guest
// family of the test matrix (examples/guests, built by
// scripts/build-guests.sh into the rootfs; bench/run.sh copies them and the
// WAT pair). A WAT module and a WAT component doing the same nothing
// measure the component machinery alone (instantiation through WASI
// preview 2's linker); the C and Rust programs, as modules and wrapped with
// the preview 1 adapter, measure it with real programs.
var (
	watModule     = payload{name: "wat-module", args: []string{"/exit.wat"}, wasm: true}
	watComponent  = payload{name: "wat-component", args: []string{"/component-ok.wat"}, wasm: true}
	cModule       = guest("c", "/c.wasm")
	cComponent    = guest("c-component", "/c-component.wasm")
	rustModule    = guest("rust", "/rust.wasm")
	rustComponent = guest("rust-component", "/rust-component.wasm")
	jsComponent   = guest("js-component", "/js-component.wasm")
	cSleep        = guestSleeper(cModule)
	cCompSleep    = guestSleeper(cComponent)
	rustSleep     = guestSleeper(rustModule)
	rustCompSleep = guestSleeper(rustComponent)
)

var guestPayloads = []payload{watModule, watComponent, cModule, cComponent, rustModule, rustComponent, jsComponent,
	cSleep, cCompSleep, rustSleep, rustCompSleep}

func guest(name, path string) payload {
	return payload{name: name, args: []string{path}, wasm: true, want: "arg[0]=" + path, optional: true}
}

func guestSleeper(p payload) payload {
	p.name += "-sleep"
	p.want = ""
	p.env = []string{"GUEST_SLEEP=600"}
	return p
}

// present keeps the payloads whose module is in the rootfs; it notes the
// others.
func (b *bench) present(ps ...payload) []payload {
	var out []payload
	for _, p := range ps {
		if _, err := os.Stat(filepath.Join(b.o.rootfs, p.args[0])); err != nil {
			why, _ := os.ReadFile(filepath.Join(b.o.rootfs, strings.TrimPrefix(p.args[0], "/")+".missing"))
			b.notes = append(b.notes, fmt.Sprintf("guests: %s not measured: %s %s", p.name, p.args[0], strings.TrimSpace(string(why))))
			continue
		}
		out = append(out, p)
	}
	return out
}

// phaseGuests: cached `run` of each guest, round-robin; the cold compile
// and cached start of the JavaScript component; the memory of a running
// guest of each family.
func (b *bench) phaseGuests() error {
	var cases []kase
	for _, p := range b.present(watModule, watComponent, cModule, cComponent, rustModule, rustComponent, jsComponent) {
		cases = append(cases, kase{b.wr, p})
	}
	if err := b.warmUp(cases); err != nil {
		return err
	}
	const section = "guests: cached run, components vs core modules"
	for i := 0; i < b.o.n; i++ {
		for j := range cases {
			k := cases[(i+j)%len(cases)]
			if interrupted.Load() {
				return errInterrupted
			}
			o, err := b.runOnce(k)
			if err != nil {
				return err
			}
			b.c.add(section, k.label()+" run", "ms", ms(o.wall))
		}
	}

	// The JS component embeds a JS engine: a 12 MB compile, the largest a
	// real image is likely to bring.
	if js := b.present(jsComponent); len(js) == 1 {
		k := kase{b.wr, jsComponent}
		const cold = "guests: the JavaScript component (12 MB), cold compile vs cached"
		dir := filepath.Join(b.o.work, "cold-cache-js")
		for i := 0; i < min(b.o.cold, 3); i++ {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			c, _, _, err := b.cycle(k, "WASM_RUNC_CACHE_DIR="+dir)
			if err != nil {
				return err
			}
			b.c.add(cold, "wasm-runc js-component create, cold cache", "ms", ms(c.wall))
			b.c.add(cold, "wasm-runc js-component create peak RSS, cold cache", "MiB", mib(c.maxRSS))
			if c, _, _, err = b.cycle(k); err != nil {
				return err
			}
			b.c.add(cold, "wasm-runc js-component create, warm cache", "ms", ms(c.wall))
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}

	sleepers := []kase{{b.wr, goSleep}, {b.wr, watSleep}}
	for _, p := range b.present(cSleep, cCompSleep, rustSleep, rustCompSleep) {
		sleepers = append(sleepers, kase{b.wr, p})
	}
	return b.sampleRunning("guests: memory of one running guest of each family", sleepers)
}

// guestRatios: a component's cached start against its core module's (goal:
// within 10%), and the JS component's cold compile against its cached start.
func (b *bench) guestRatios(add func(ratio, bool)) {
	c := b.c
	for _, pair := range [][2]string{{"wat-component", "wat-module"}, {"c-component", "c"}, {"rust-component", "rust"}} {
		add(c.ratioOf("cached run: "+pair[0]+" / "+pair[1], "wasm-runc "+pair[0]+" run", "wasm-runc "+pair[1]+" run", 1.10, "lower"))
	}
	add(c.ratioOf("JS component create: cold cache / warm cache", "wasm-runc js-component create, cold cache", "wasm-runc js-component create, warm cache", 0, "higher"))
	add(c.absolute("JS component create, cold cache", "wasm-runc js-component create, cold cache", 0, "lower"))
	add(c.absolute("JS component create, warm cache", "wasm-runc js-component create, warm cache", 0, "lower"))
	for _, f := range []string{"c-sleep", "c-component-sleep", "rust-sleep", "rust-component-sleep", "go-sleep", "wat-sleep"} {
		add(c.absolute("running guest "+f+" cgroup usage", "wasm-runc "+f+" cgroup memory usage", 0, "lower"))
	}
}
