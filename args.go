package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// runc parses its command line with urfave/cli v1, which moves a verb's own
// flags in front of its positional arguments before parsing them:
// `runc update ID --cpu-period 900000`, `runc delete ID --force` and
// `runc kill ID KILL --all` all work. urfave/cli v2 stops at the first
// positional, so the same reordering is done here, before the app parses
// anything.

// keepArgOrder names the verbs whose arguments after the container id
// belong to the process they run (runc's SkipArgReorder): flags there are
// the process's, never the verb's.
var keepArgOrder = []string{"exec", "ps"}

// reorderArgs returns args (os.Args) with the flags of the verb that follow
// its positional arguments moved in front of them, as runc orders them.
// Anything it does not understand is left as it is, for the parser to
// report.
func reorderArgs(app *cli.App, args []string) []string {
	verb := verbIndex(app, args)
	if verb < 0 {
		return args
	}
	cmd := app.Command(args[verb])
	if cmd == nil || len(cmd.Subcommands) > 0 {
		return args
	}
	names := flagNames(cmd.Flags)
	if !cmd.HideHelp {
		names = append(names, cli.HelpFlag.Names()...)
	}
	tail := args[verb+1:]
	if !slices.Contains(keepArgOrder, cmd.Name) {
		tail = moveFlagsFirst(names, tail)
	}
	return slices.Concat(args[:verb+1], dropArgsAfterHelp(cmd, tail))
}

// dropArgsAfterHelp keeps only the flags when they ask for help. runc shows
// the verb's help for `runc delete ID --help`; urfave/cli v2 would take the
// id for a help topic and fail with "No help topic for 'ID'".
func dropArgsAfterHelp(cmd *cli.Command, args []string) []string {
	if cmd.HideHelp {
		return args
	}
	var boolean []string
	for _, f := range cmd.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			boolean = append(boolean, f.Names()...)
		}
	}
	help := cli.HelpFlag.Names()
	// Go's flag package, as the parser will run it: flags up to the first
	// positional or "--".
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || arg == "-" || !strings.HasPrefix(arg, "-") {
			return args
		}
		name, value, hasValue := strings.Cut(arg[1:], "=")
		name = strings.TrimPrefix(name, "-")
		switch {
		case slices.Contains(help, name):
			if !hasValue || value == "true" || value == "1" {
				return args[:i+1]
			}
		case slices.Contains(boolean, name):
		case hasValue:
		default:
			i++ // the value
		}
	}
	return args
}

// verbIndex returns the index of the verb in args, after the global flags,
// or -1 when the global flags do not parse.
func verbIndex(app *cli.App, args []string) int {
	var valued, boolean []string
	for _, f := range app.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			boolean = append(boolean, f.Names()...)
		} else {
			valued = append(valued, f.Names()...)
		}
	}
	// The app adds these two itself.
	boolean = append(boolean, cli.HelpFlag.Names()...)
	boolean = append(boolean, cli.VersionFlag.Names()...)
	for i := 1; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		case arg == "-" || !strings.HasPrefix(arg, "-"):
			return i
		}
		name, _, hasValue := strings.Cut(arg[1:], "=")
		name = strings.TrimPrefix(name, "-")
		switch {
		case slices.Contains(boolean, name):
		case slices.Contains(valued, name):
			if !hasValue {
				i++ // the value
			}
		default:
			return -1
		}
	}
	return -1
}

func flagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	return names
}

// moveFlagsFirst is urfave/cli v1's reordering: a known flag moves to the
// front, and so does the argument after it when that is not a flag itself
// (whether or not the flag takes a value, as in v1: `kill ID --all KILL`
// sends the signal "ID" to the container "KILL", under runc too). "--" ends
// the flags and goes first among the positionals.
func moveFlagsFirst(names, args []string) []string {
	var flags, rest []string
	isFlag := func(arg string) bool {
		if arg == "-" || arg == "--" || !strings.HasPrefix(arg, "-") {
			return false
		}
		// v1 strips "--", then "-" ("---x" names x), then "=value".
		name := strings.TrimPrefix(arg, "--")
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		return slices.Contains(names, name)
	}
	valueNext := false
	for i, arg := range args {
		switch {
		case valueNext && !isFlag(arg):
			valueNext = false
			flags = append(flags, arg)
		case arg == "--":
			rest = slices.Concat([]string{"--"}, rest, args[i+1:])
			return append(flags, rest...)
		case isFlag(arg):
			flags = append(flags, arg)
			valueNext = !strings.Contains(arg, "=")
		default:
			rest = append(rest, arg)
		}
	}
	return append(flags, rest...)
}
