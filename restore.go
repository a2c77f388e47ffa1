package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var restoreCommand = &cli.Command{
	Name:   "restore",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("restore: not implemented yet") },
}
