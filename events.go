package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

var eventsCommand = &cli.Command{
	Name:   "events",
	Usage:  "not implemented yet",
	Hidden: true,
	Action: func(c *cli.Context) error { return errors.New("events: not implemented yet") },
}
