package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/urfave/cli/v2"
)

var cacheCommand = &cli.Command{
	Name:  "cache",
	Usage: "list or prune the compiled Wasm module cache",
	Description: `Wasm modules are compiled on the host when a container is created and kept,
compiled, in a root-owned cache (--cache-dir, default /var/cache/wasm-runc), so
the next container of the same module starts without compiling.`,
	Subcommands: []*cli.Command{
		{
			Name:  "list",
			Usage: "list cached compiled modules",
			Action: func(c *cli.Context) error {
				entries, err := compileCache(c).List()
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "KEY\tSIZE\tLAST USED\n")
				for _, e := range entries {
					fmt.Fprintf(w, "%s\t%s\t%s\n", e.Key, units.HumanSize(float64(e.Size)), e.LastUsed.Format(time.RFC3339))
				}
				return w.Flush()
			},
		},
		{
			Name:  "prune",
			Usage: "remove cached compiled modules, least recently used first",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "keep", Value: "0", Usage: "keep up to this much (e.g. 512MiB); 0 removes everything"},
			},
			Action: func(c *cli.Context) error {
				keep, err := units.RAMInBytes(c.String("keep"))
				if err != nil {
					return err
				}
				removed, err := compileCache(c).Prune(keep)
				if err != nil {
					return err
				}
				fmt.Printf("removed %d compiled modules\n", removed)
				return nil
			},
		},
	},
}
