package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/spec"
)

var specCommand = &cli.Command{
	Name:      "spec",
	Usage:     "create a new specification file",
	ArgsUsage: "",
	Description: `The spec command creates the new specification file named "config.json" for
the bundle, with runc's defaults (runtime-spec ` + "v1.3.0" + `).

To run a Wasm module, copy it into rootfs/, set "args" to its path and add
the annotation "module.wasm.image/variant": "compat-smart".

When starting a container through wasm-runc, it must be run as root unless
--rootless was given here and the bundle is used by an unprivileged user.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory"},
		&cli.BoolFlag{Name: "rootless", Usage: "generate a configuration for a rootless container"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		s := specconv.Example()
		if c.Bool("rootless") {
			specconv.ToRootless(s)
		}
		path := filepath.Join(c.String("bundle"), spec.ConfigName)
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("File %s exists. Remove it first", spec.ConfigName)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		data, err := json.MarshalIndent(s, "", "\t")
		if err != nil {
			return err
		}
		return os.WriteFile(path, data, 0o666)
	},
}
