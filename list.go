package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
)

var listCommand = &cli.Command{
	Name:      "list",
	Usage:     "lists containers started by runc with the given root",
	ArgsUsage: ` `,
	Description: `The list command lists containers started by wasm-runc with the given root.

EXAMPLE 1:
To list containers created via the default "--root":
       # wasm-runc list

EXAMPLE 2:
To list containers created using a non-default value for "--root":
       # wasm-runc --root value list`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: `select one of: table or json (default: "table")`},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "display only container IDs"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		states, skipped, err := linux.List(c.String("root"))
		if err != nil {
			// No state root yet is no container yet, unless the user
			// named the root: then it is a mistake worth an error.
			if !errors.Is(err, fs.ErrNotExist) || c.IsSet("root") {
				return err
			}
		}
		for _, err := range skipped {
			fmt.Fprintln(os.Stderr, err)
		}
		if c.Bool("quiet") {
			for _, s := range states {
				fmt.Println(s.ID)
			}
			return nil
		}
		switch f := c.String("format"); f {
		case "table":
			w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
			fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, s := range states {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.InitProcessPid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
			}
			return w.Flush()
		case "json":
			return json.NewEncoder(os.Stdout).Encode(states)
		default:
			return fmt.Errorf("invalid format option")
		}
	},
}
