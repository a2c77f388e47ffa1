package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var execCommand = &cli.Command{
	Name:   "exec",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("exec: not implemented yet") },
}
