package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var psCommand = &cli.Command{
	Name:   "ps",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("ps: not implemented yet") },
}
