package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

var deleteCommand = &cli.Command{
	Name:  "delete",
	Usage: "delete any resources held by the container often used with detached container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.

EXAMPLE:
For example, if the container id is "ubuntu01" and runc list currently shows the
status of "ubuntu01" as "stopped" the following will delete resources held for
"ubuntu01" removing "ubuntu01" from the runc list of containers:

       # wasm-runc delete ubuntu01`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "Forcibly deletes the container if it is still running (uses SIGKILL)"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		id := c.Args().First()
		force := c.Bool("force")
		container, err := getContainer(c)
		if err != nil {
			if errors.Is(err, libcontainer.ErrNotExist) {
				// An aborted create can leave a directory without state.
				path := filepath.Join(c.String("root"), id)
				if e := os.RemoveAll(path); e != nil {
					fmt.Fprintf(os.Stderr, "remove %s: %v\n", path, e)
				}
				if force {
					return nil
				}
			}
			return err
		}
		// --force kills even a stopped container's leftovers: without a
		// pid namespace, processes may remain in its cgroup.
		if force {
			return killContainer(container)
		}
		status, err := container.Status()
		if err != nil {
			return err
		}
		switch status {
		case libcontainer.Stopped:
			return container.Destroy()
		case libcontainer.Created:
			return killContainer(container)
		default:
			return fmt.Errorf("cannot delete container %s that is not stopped: %s", id, status)
		}
	},
}

func killContainer(container *libcontainer.Container) error {
	_ = container.Signal(unix.SIGKILL)
	for range 1000 {
		if err := container.Signal(unix.Signal(0)); err != nil {
			return container.Destroy()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("container init still running")
}
