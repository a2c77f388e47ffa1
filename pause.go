package main

import "github.com/urfave/cli/v2"

var pauseCommand = &cli.Command{
	Name:  "pause",
	Usage: "pause suspends all processes inside the container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
paused. `,
	Description: `The pause command suspends all processes in the instance of the container,
native or Wasm alike (the cgroup freezer stops a running Wasm guest too).

Use wasm-runc list to identify instances of containers and their current status.`,
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		container, err := getContainer(c)
		if err != nil {
			return err
		}
		return container.Pause()
	},
}
