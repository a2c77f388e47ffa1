package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var updateCommand = &cli.Command{
	Name:   "update",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("update: not implemented yet") },
}
