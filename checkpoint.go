package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moby/sys/userns"
	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/wasm-runc/wasm-runc/linux"
)

var checkpointCommand = &cli.Command{
	Name:  "checkpoint",
	Usage: "checkpoint a running container",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
checkpointed.`,
	Description: `The checkpoint command saves the state of the container instance with CRIU
(the global --criu flag names its binary). Wasm containers cannot be
checkpointed (see docs/wasm.md).`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "path for saving criu image files"},
		&cli.StringFlag{Name: "work-path", Usage: "path for saving work files and logs"},
		&cli.StringFlag{Name: "parent-path", Usage: "path for previous criu image files in pre-dump"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the process running after checkpointing"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight tcp connections"},
		&cli.BoolFlag{Name: "link-remap", Usage: "allow one to link unlinked files back when possible"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "criu writes \\0 to this FD once lazy-pages is ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of the page server"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump container's memory information only, leave the container running after this"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft|full|strict|ignore (default: soft)"},
		&cli.GenericFlag{Name: "empty-ns", Value: &stringList{}, Usage: "create a namespace, but don't restore its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		warnRootlessCRIU()
		container, err := getContainer(c)
		if err != nil {
			return err
		}
		status, err := container.Status()
		if err != nil {
			return err
		}
		if status == libcontainer.Created || status == libcontainer.Stopped {
			return fmt.Errorf("Container cannot be checkpointed in %s state", status)
		}
		if err := linux.RefuseWasmCheckpoint(container, c.App.Name); err != nil {
			return err
		}
		opts, err := criuOptions(c)
		if err != nil {
			return err
		}
		restorePath, err := linux.UseCRIU(c.String("criu"))
		if err != nil {
			return err
		}
		defer restorePath()
		if err := container.Checkpoint(opts); err != nil {
			return err
		}
		if !opts.LeaveRunning && !opts.PreDump {
			// CRIU stopped the processes; the container is gone.
			if err := container.Destroy(); err != nil {
				logrus.Warn(err)
			}
		}
		return nil
	},
}

func warnRootlessCRIU() {
	if os.Geteuid() != 0 || userns.RunningInUserNS() {
		logrus.Warn("checkpoint and restore are untested with rootless containers")
	}
}

// criuOptions reads the flags that checkpoint and restore share. A flag a
// verb does not have reads as unset.
func criuOptions(c *cli.Context) (*libcontainer.CriuOpts, error) {
	imagePath, parentPath, err := criuImagePaths(c)
	if err != nil {
		return nil, err
	}
	statusFd := -1
	if c.IsSet("status-fd") {
		statusFd = c.Int("status-fd")
	}
	opts := &libcontainer.CriuOpts{
		ImagesDirectory:         imagePath,
		WorkDirectory:           c.String("work-path"),
		ParentImage:             parentPath,
		LeaveRunning:            c.Bool("leave-running"),
		TcpEstablished:          c.Bool("tcp-established"),
		TcpSkipInFlight:         c.Bool("tcp-skip-in-flight"),
		LinkRemap:               c.Bool("link-remap"),
		ExternalUnixConnections: c.Bool("ext-unix-sk"),
		ShellJob:                c.Bool("shell-job"),
		FileLocks:               c.Bool("file-locks"),
		PreDump:                 c.Bool("pre-dump"),
		AutoDedup:               c.Bool("auto-dedup"),
		LazyPages:               c.Bool("lazy-pages"),
		StatusFd:                statusFd,
		LsmProfile:              c.String("lsm-profile"),
		LsmMountContext:         c.String("lsm-mount-context"),
		ManageCgroupsMode:       c.String("manage-cgroups-mode"),
	}
	if ps := c.String("page-server"); ps != "" {
		host, port, err := net.SplitHostPort(ps)
		if err != nil || host == "" || port == "" {
			return nil, errors.New("Use --page-server ADDRESS:PORT to specify page server")
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			return nil, errors.New("Invalid port number")
		}
		opts.PageServer = libcontainer.CriuPageServerInfo{Address: host, Port: int32(n)}
	}
	// The network namespace is always left empty: the runtime does not
	// manage network devices, whoever set them up restores them.
	mask := uint32(unix.CLONE_NEWNET)
	for _, ns := range stringListOf(c, "empty-ns") {
		if specs.LinuxNamespaceType(ns) != specs.NetworkNamespace {
			return nil, fmt.Errorf("namespace %q is not supported", ns)
		}
		mask |= unix.CLONE_NEWNET
	}
	opts.EmptyNs = mask
	return opts, nil
}

// criuImagePaths returns the image directory (created if missing; default
// ./checkpoint) and the parent image path, which must be relative to it.
func criuImagePaths(c *cli.Context) (image, parent string, err error) {
	image = c.String("image-path")
	if image == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		image = filepath.Join(cwd, "checkpoint")
	}
	if err := os.MkdirAll(image, 0o700); err != nil {
		return "", "", err
	}
	parent = c.String("parent-path")
	if parent == "" {
		return image, "", nil
	}
	if filepath.IsAbs(parent) {
		return "", "", errors.New("--parent-path must be relative")
	}
	real := filepath.Join(image, parent)
	fi, err := os.Stat(real)
	if err == nil && !fi.IsDir() {
		err = &os.PathError{Op: "stat", Path: real, Err: unix.ENOTDIR}
	}
	if err != nil {
		return "", "", fmt.Errorf("invalid --parent-path: %w", err)
	}
	return image, parent, nil
}
