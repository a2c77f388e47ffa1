package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var checkpointCommand = &cli.Command{
	Name:   "checkpoint",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("checkpoint: not implemented yet") },
}
