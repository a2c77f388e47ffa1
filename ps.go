package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "ps displays the processes running inside a container",
	ArgsUsage: `<container-id> [ps options]`,
	Description: `The ps command lists the processes in the container's cgroup: as a table,
by running the host's ps with the given options (default -ef) and keeping the
container's lines, or as a JSON array of host pids. A Wasm process shows the
module's command line, not the runtime's.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: `select one of: table or json`},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, minArgs); err != nil {
			return err
		}
		container, err := getContainer(c)
		if err != nil {
			return err
		}
		pids, err := container.Processes()
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				logrus.Warn(c.App.Name + " ps failure might be caused by lack of full access to cgroups")
			}
			return err
		}
		switch c.String("format") {
		case "table":
		case "json":
			if pids == nil {
				pids = []int{} // "[]", never "null": callers range over it
			}
			return json.NewEncoder(os.Stdout).Encode(pids)
		default:
			return errors.New("invalid format option")
		}
		psArgs := c.Args().Tail()
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		return printPsTable(psArgs, pids)
	},
}

// printPsTable runs ps on the host and prints its header and the lines of
// the given pids.
func printPsTable(psArgs []string, pids []int) error {
	out, err := exec.Command("ps", psArgs...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	column := slices.Index(strings.Fields(lines[0]), "PID")
	if column < 0 {
		return errors.New("couldn't find PID field in ps output")
	}
	fmt.Println(lines[0])
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= column {
			continue
		}
		pid, err := strconv.Atoi(fields[column])
		if err != nil {
			return fmt.Errorf("unable to parse pid: %w", err)
		}
		if slices.Contains(pids, pid) {
			fmt.Println(line)
		}
	}
	return nil
}
