package linux

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ContainerState is the JSON that `state` prints and `list --format json`
// prints an array of. Field names and order are runc's: callers parse them.
type ContainerState struct {
	Version        string            `json:"ociVersion"`
	ID             string            `json:"id"`
	InitProcessPid int               `json:"pid"`
	Status         string            `json:"status"`
	Bundle         string            `json:"bundle"`
	Rootfs         string            `json:"rootfs"`
	Created        time.Time         `json:"created"`
	Annotations    map[string]string `json:"annotations,omitempty"`
	Owner          string            `json:"owner"`
}

// State reports a container as runc's `state` does. root is the state root,
// used to find the owner of the container's state directory.
func State(root string, c *libcontainer.Container) (*ContainerState, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	status, err := c.Status()
	if err != nil {
		return nil, err
	}
	pid := st.BaseState.InitProcessPid
	if status == libcontainer.Stopped {
		pid = 0
	}
	bundle, annotations := utils.Annotations(st.Config.Labels)
	return &ContainerState{
		Version:        specs.Version,
		ID:             st.BaseState.ID,
		InitProcessPid: pid,
		Status:         status.String(),
		Bundle:         bundle,
		Rootfs:         st.BaseState.Config.Rootfs,
		Created:        st.BaseState.Created,
		Annotations:    annotations,
		Owner:          owner(filepath.Join(root, st.BaseState.ID)),
	}, nil
}

// List reports every container under root, as runc's list does. A missing
// root is an error (the verb decides whether it matters); an entry that is
// not a loadable container is skipped and reported in skipped, worded as
// runc words it, for the verb to print.
func List(root string) (states []ContainerState, skipped []error, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := libcontainer.Load(root, e.Name())
		if err != nil {
			skipped = append(skipped, fmt.Errorf("load container %s: %w", e.Name(), err))
			continue
		}
		s, err := State(root, c)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("state for %s: %w", e.Name(), err))
			continue
		}
		states = append(states, *s)
	}
	return states, skipped, nil
}

func owner(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return ""
	}
	uid := fi.Sys().(*syscall.Stat_t).Uid
	u, err := user.LookupId(fmt.Sprint(uid))
	if err != nil {
		return fmt.Sprintf("#%d", uid)
	}
	return u.Username
}
