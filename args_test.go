package main

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// parsed is what a verb's action saw.
type parsed struct {
	called bool
	args   []string
	flags  map[string]string // set flags, by their first name
	stdout string
	err    error
}

// parseAs runs the app on argv (without the program name) with every
// verb's action replaced by a recorder, after the same reordering main does.
func parseAs(argv ...string) parsed {
	var p parsed
	var out bytes.Buffer
	app := newApp("wasm-runc")
	app.Before = nil
	app.Writer, app.ErrWriter = &out, &out
	var cmds []*cli.Command
	for _, c := range app.Commands {
		c := *c
		c.Action = func(ctx *cli.Context) error {
			p.called = true
			p.args = ctx.Args().Slice()
			p.flags = map[string]string{}
			for _, f := range ctx.Command.Flags {
				name := f.Names()[0]
				if ctx.IsSet(name) {
					p.flags[name] = fmt.Sprint(ctx.Value(name))
				}
			}
			return nil
		}
		cmds = append(cmds, &c)
	}
	app.Commands = cmds
	p.err = app.Run(reorderArgs(app, append([]string{"wasm-runc"}, argv...)))
	p.stdout = out.String()
	return p
}

func flags(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Where runc (urfave/cli v1) accepts a verb's flags, and what it makes of
// them: after the container id and after the other positionals, for every
// verb but exec and ps, whose trailing arguments are the process's.
func TestArgOrderAsRunc(t *testing.T) {
	none := map[string]string{}
	for _, tc := range []struct {
		argv  []string
		args  []string
		flags map[string]string
	}{
		// update.bats: `update ID --cpu-period 900000`.
		{[]string{"update", "ct", "--cpu-period", "900000"}, []string{"ct"}, flags("cpu-period", "900000")},
		{[]string{"update", "--cpu-period", "900000", "ct"}, []string{"ct"}, flags("cpu-period", "900000")},
		{[]string{"update", "ct", "--cpu-period=900000", "--memory", "1M"}, []string{"ct"}, flags("cpu-period", "900000", "memory", "1M")},
		{[]string{"update", "ct", "-r", "-"}, []string{"ct"}, flags("resources", "-")},
		{[]string{"update", "ct", "--pids-limit", "10", "--blkio-weight=500"}, []string{"ct"}, flags("pids-limit", "10", "blkio-weight", "500")},
		{[]string{"delete", "ct", "--force"}, []string{"ct"}, flags("force", "true")},
		{[]string{"delete", "ct", "-f"}, []string{"ct"}, flags("force", "true")},
		{[]string{"delete", "-force", "ct"}, []string{"ct"}, flags("force", "true")},
		{[]string{"kill", "ct", "KILL", "--all"}, []string{"ct", "KILL"}, flags("all", "true")},
		{[]string{"kill", "ct", "-a"}, []string{"ct"}, flags("all", "true")},
		{[]string{"kill", "--all", "ct", "9"}, []string{"ct", "9"}, flags("all", "true")},
		// v1 moves the argument after any flag with it, a boolean's too:
		// runc signals "ct" to the container "KILL" here.
		{[]string{"kill", "ct", "--all", "KILL"}, []string{"KILL", "ct"}, flags("all", "true")},
		{[]string{"kill", "ct", "--all=true", "KILL"}, []string{"ct", "KILL"}, flags("all", "true")},
		{[]string{"events", "ct", "--stats"}, []string{"ct"}, flags("stats", "true")},
		{[]string{"events", "ct", "--interval", "2s"}, []string{"ct"}, flags("interval", "2s")},
		{[]string{"checkpoint", "ct", "--leave-running", "--image-path", "/img"}, []string{"ct"}, flags("leave-running", "true", "image-path", "/img")},
		{[]string{"restore", "ct", "--detach", "--bundle", "/b", "--image-path=/img"}, []string{"ct"}, flags("detach", "true", "bundle", "/b", "image-path", "/img")},
		{[]string{"run", "ct", "--detach"}, []string{"ct"}, flags("detach", "true")},
		{[]string{"run", "ct", "-d", "-b", "/b", "--keep"}, []string{"ct"}, flags("detach", "true", "bundle", "/b", "keep", "true")},
		{[]string{"create", "ct", "--bundle", "/b"}, []string{"ct"}, flags("bundle", "/b")},
		{[]string{"create", "--bundle", "/b", "ct", "--pid-file", "/p", "--no-pivot"}, []string{"ct"}, flags("bundle", "/b", "pid-file", "/p", "no-pivot", "true")},
		{[]string{"start", "ct"}, []string{"ct"}, none},
		{[]string{"state", "ct"}, []string{"ct"}, none},
		{[]string{"pause", "ct"}, []string{"ct"}, none},
		{[]string{"resume", "ct"}, []string{"ct"}, none},
		{[]string{"features"}, nil, none},
		{[]string{"list", "--quiet"}, nil, flags("quiet", "true")},
		{[]string{"list", "extra", "-f", "json"}, []string{"extra"}, flags("format", "json")},
		{[]string{"spec", "--rootless", "-b", "/b"}, nil, flags("rootless", "true", "bundle", "/b")},
		{[]string{"spec", "extra", "--rootless"}, []string{"extra"}, flags("rootless", "true")},
		// A flag the verb does not have stays where it is: after the
		// id it is one more positional (runc then says "requires exactly
		// 1 argument(s)").
		{[]string{"state", "ct", "--bogus"}, []string{"ct", "--bogus"}, none},
		{[]string{"delete", "ct", "--all"}, []string{"ct", "--all"}, none},
		// "--" ends the flags and goes first.
		{[]string{"delete", "ct", "--", "--force"}, []string{"ct", "--force"}, none},
		{[]string{"delete", "--", "ct", "--force"}, []string{"ct", "--force"}, none},
		{[]string{"delete", "--force", "--", "ct"}, []string{"ct"}, flags("force", "true")},
		// The value after a flag may be "--" or "-".
		{[]string{"update", "ct", "-r", "-", "--memory", "1M"}, []string{"ct"}, flags("resources", "-", "memory", "1M")},
		// Global flags before the verb, with their values, are skipped.
		{[]string{"--root", "/r", "--debug", "update", "ct", "--memory", "1M"}, []string{"ct"}, flags("memory", "1M")},
		{[]string{"--log=/l", "--systemd-cgroup", "--log-format", "json", "delete", "ct", "-f"}, []string{"ct"}, flags("force", "true")},
		// exec and ps: everything after the id is the process's.
		{[]string{"exec", "ct", "ls", "--tty"}, []string{"ct", "ls", "--tty"}, none},
		{[]string{"exec", "ct", "--tty", "ls"}, []string{"ct", "--tty", "ls"}, none},
		{[]string{"exec", "--tty", "ct", "ls", "-l"}, []string{"ct", "ls", "-l"}, flags("tty", "true")},
		{[]string{"ps", "ct", "-ef"}, []string{"ct", "-ef"}, none},
		{[]string{"ps", "ct", "--format", "json"}, []string{"ct", "--format", "json"}, none},
		{[]string{"ps", "--format", "json", "ct"}, []string{"ct"}, flags("format", "json")},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			p := parseAs(tc.argv...)
			if p.err != nil || !p.called {
				t.Fatalf("not run: %v\n%s", p.err, p.stdout)
			}
			if !slices.Equal(p.args, tc.args) || !maps.Equal(p.flags, tc.flags) {
				t.Errorf("got args %q flags %v; want args %q flags %v", p.args, p.flags, tc.args, tc.flags)
			}
		})
	}
}

// Help after the id shows the verb's help, as runc's does; a flag the verb
// does not have, before the id, is a usage error.
func TestArgOrderHelpAndErrors(t *testing.T) {
	for _, verb := range []string{"update", "delete", "kill", "events", "checkpoint", "restore", "run", "create", "start", "state", "pause", "resume", "spec", "list", "features"} {
		p := parseAs(verb, "ct", "--help")
		if p.called || p.err != nil || !strings.Contains(p.stdout, "wasm-runc "+verb) {
			t.Errorf("%s ct --help: called %v, err %v, output %q", verb, p.called, p.err, p.stdout)
		}
	}
	// exec and ps: only before the id.
	for _, argv := range [][]string{{"exec", "--help", "ct", "ls"}, {"ps", "-h", "ct", "-ef"}, {"exec", "-t", "--help", "ct"}} {
		p := parseAs(argv...)
		if p.called || p.err != nil || !strings.Contains(p.stdout, "wasm-runc "+argv[0]) {
			t.Errorf("%q: called %v, err %v, output %q", argv, p.called, p.err, p.stdout)
		}
	}
	if p := parseAs("exec", "ct", "--help"); !p.called || !slices.Equal(p.args, []string{"ct", "--help"}) {
		t.Errorf("exec ct --help: called %v, args %q", p.called, p.args)
	}
	p := parseAs("state", "--bogus", "ct")
	if p.called || p.err == nil || p.err.Error() != "flag provided but not defined: -bogus" ||
		!strings.HasPrefix(p.stdout, "Incorrect Usage: flag provided but not defined: -bogus\n\n") {
		t.Errorf("state --bogus ct: called %v, err %v, output %q", p.called, p.err, p.stdout)
	}
	// A global flag after the verb is not the verb's.
	p = parseAs("list", "--root", "/r")
	if p.called || p.err == nil || p.err.Error() != "flag provided but not defined: -root" {
		t.Errorf("list --root /r: called %v, err %v", p.called, p.err)
	}
}

// Every verb is in TestArgOrderAsRunc's table; this keeps a new verb from
// being forgotten in keepArgOrder.
func TestArgOrderCoversEveryVerb(t *testing.T) {
	for _, c := range commands() {
		if len(c.Subcommands) > 0 {
			continue // cache: no reordering above its own subcommands
		}
		switch c.Name {
		case "checkpoint", "create", "delete", "events", "exec", "features", "kill", "list", "pause",
			"ps", "restore", "resume", "run", "spec", "start", "state", "update":
		default:
			t.Errorf("verb %q: add it to TestArgOrderAsRunc (and to keepArgOrder if its trailing arguments are a process's)", c.Name)
		}
	}
}

func TestVerbIndex(t *testing.T) {
	app := newApp("wasm-runc")
	for _, tc := range []struct {
		argv []string
		want int
	}{
		{[]string{"x", "state"}, 1},
		{[]string{"x", "--root", "/r", "state"}, 3},
		{[]string{"x", "--root=/r", "-debug", "state"}, 3},
		{[]string{"x", "--debug", "--", "state"}, 3},
		{[]string{"x", "--bogus", "state"}, -1},
		{[]string{"x", "--root"}, -1},
		{[]string{"x", "--version"}, -1},
		{[]string{"x", "-"}, 1},
	} {
		if got := verbIndex(app, tc.argv); got != tc.want {
			t.Errorf("verbIndex(%q) = %d, want %d", tc.argv, got, tc.want)
		}
	}
}
