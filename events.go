package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/types"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
)

var eventsCommand = &cli.Command{
	Name:  "events",
	Usage: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.`,
	Description: `The events command displays information about the container. By default the
information is displayed once every 5 seconds. Each line is one JSON object
{"type": "stats"|"oom", "id": ..., "data": ...}, the same for native and Wasm
containers (a Wasm guest's memory is part of its process's cgroup usage).`,
	Flags: []cli.Flag{
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "set the stats collection interval"},
		&cli.BoolFlag{Name: "stats", Usage: "display the container's stats then exit"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		container, err := getContainer(c)
		if err != nil {
			return err
		}
		interval := c.Duration("interval")
		if interval <= 0 {
			return errors.New("duration interval must be greater than 0")
		}
		status, err := container.Status()
		if err != nil {
			return err
		}
		if status == libcontainer.Stopped {
			return fmt.Errorf("container with id %s is not running", container.ID())
		}
		enc := json.NewEncoder(os.Stdout)
		if c.Bool("stats") {
			s, err := container.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(&types.Event{Type: "stats", ID: container.ID(), Data: linux.EventStats(s)})
		}
		return streamEvents(container, interval, enc)
	},
}

// streamEvents prints stats every interval and each OOM kill as it
// happens, until the container stops (its OOM notifications end with its
// cgroup).
func streamEvents(container *libcontainer.Container, interval time.Duration, enc *json.Encoder) error {
	oom, err := container.NotifyOOM()
	if err != nil {
		return err
	}
	stats := make(chan *libcontainer.Stats, 1)
	go func() {
		for range time.Tick(interval) {
			s, err := container.Stats()
			if err != nil {
				logrus.Error(err)
				continue
			}
			stats <- s
		}
	}()
	emit := func(e *types.Event) {
		if err := enc.Encode(e); err != nil {
			logrus.Error(err)
		}
	}
	for {
		select {
		case _, ok := <-oom:
			if !ok {
				return nil
			}
			emit(&types.Event{Type: "oom", ID: container.ID()})
		case s := <-stats:
			emit(&types.Event{Type: "stats", ID: container.ID(), Data: linux.EventStats(s)})
		}
	}
}
