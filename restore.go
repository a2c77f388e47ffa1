package main

import (
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/linux"
	"github.com/wasm-runc/wasm-runc/spec"
)

var restoreCommand = &cli.Command{
	Name:  "restore",
	Usage: "restore a container from a previous checkpoint",
	ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
restored.`,
	Description: `Restores the saved state of the container instance that was previously saved
using the checkpoint command. Wasm containers cannot be restored (see
docs/wasm.md).`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		&cli.StringFlag{Name: "image-path", Usage: "path to criu image files for restoring"},
		&cli.StringFlag{Name: "work-path", Usage: "path for saving work files and logs"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks, for safety"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft|full|strict|ignore (default: soft)"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
		&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "disable the use of the subreaper used to reap reparented processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk"},
		&cli.GenericFlag{Name: "empty-ns", Value: &stringList{}, Usage: "create a namespace, but don't restore its properties"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "enable auto deduplication of memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to lazily restore memory pages"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "Specify an LSM profile to be used during restore in the form of TYPE:NAME."},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "Specify an LSM mount context to be used during restore."},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
	},
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 1, exactArgs); err != nil {
			return err
		}
		warnRootlessCRIU()
		if err := refuseWasmRestore(c); err != nil {
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
		status, err := startContainer(c, linux.ActRestore, opts)
		restorePath()
		if err != nil {
			return err
		}
		// The restored process's exit code, for whoever supervises us.
		os.Exit(status)
		return nil
	},
}

// refuseWasmRestore refuses a bundle whose process would run as Wasm: no
// checkpoint of a Wasm container exists to restore it from. It decides as
// create does (linux.Decide), before CRIU is looked for.
func refuseWasmRestore(c *cli.Context) error {
	bundle, err := filepath.Abs(c.String("bundle"))
	if err != nil {
		return err
	}
	s, err := spec.Load(bundle)
	if err != nil {
		return nil // startContainer reports it in runc's words
	}
	kind, _, err := linux.Decide(linux.ExecutorOptions{
		Annotations: s.Annotations,
		Program:     c.App.Name,
		Rootfs:      spec.RootfsPath(bundle, s),
		Mounts:      linux.SpecMounts(s, bundle),
		Process:     s.Process,
	})
	if err == nil && kind == linux.Wasm {
		return linux.ErrWasmRestore
	}
	return nil
}
