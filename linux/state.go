package linux

import (
	"errors"
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

// List reports every container under root, skipping entries that are not
// containers (or vanish while we look), as runc does.
func List(root string) ([]ContainerState, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []ContainerState
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := libcontainer.Load(root, e.Name())
		if err != nil {
			continue
		}
		s, err := State(root, c)
		if err != nil {
			continue
		}
		out = append(out, *s)
	}
	return out, nil
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
