package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
)

var runCommand = &cli.Command{
	Name:  "run",
	Usage: "create and run a container",
	ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
	Description: `The run command creates an instance of a container for a bundle and starts it.
In the foreground it forwards signals to the container and exits with its exit
code.`,
	Flags: append(append([]cli.Flag{}, createCommand.Flags...),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "disable the use of the subreaper used to reap reparented processes"},
	),
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		status, err := startContainer(c, linux.ActRun, nil)
		if err != nil {
			// runc's prefix: callers log it, and match what follows.
			return fmt.Errorf("%s run failed: %w", c.App.Name, err)
		}
		os.Exit(status)
		return nil
	},
}
