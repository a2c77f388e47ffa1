package linux

import (
	"errors"
	"os"

	"github.com/moby/sys/userns"
	sdcgroups "github.com/opencontainers/cgroups/systemd"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrEmptyID is runc's error for a missing container id.
var ErrEmptyID = errors.New("container id cannot be empty")

// CreateOptions are what `create`, `run` and `restore` know about a new
// container.
type CreateOptions struct {
	Root            string
	ID              string
	Spec            *specs.Spec
	SystemdCgroup   bool
	NoPivotRoot     bool
	NoNewKeyring    bool
	RootlessCgroups bool
}

// Create makes the libcontainer container for a spec. Nothing runs yet.
func Create(o CreateOptions) (*libcontainer.Container, error) {
	if o.ID == "" {
		return nil, ErrEmptyID
	}
	if o.SystemdCgroup && !sdcgroups.IsRunningSystemd() {
		return nil, errors.New("systemd cgroup flag passed, but systemd support for managing cgroups is not available")
	}
	config, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:       o.ID,
		UseSystemdCgroup: o.SystemdCgroup,
		NoPivotRoot:      o.NoPivotRoot,
		NoNewKeyring:     o.NoNewKeyring,
		Spec:             o.Spec,
		RootlessEUID:     os.Geteuid() != 0,
		RootlessCgroups:  o.RootlessCgroups,
	})
	if err != nil {
		return nil, err
	}
	return libcontainer.Create(o.Root, o.ID, config)
}

// Load opens an existing container.
func Load(root, id string) (*libcontainer.Container, error) {
	if id == "" {
		return nil, ErrEmptyID
	}
	return libcontainer.Load(root, id)
}

// ShouldUseRootlessCgroups decides --rootless=auto as runc does: rootless
// cgroups for a non-root user, or for root inside a user namespace.
func ShouldUseRootlessCgroups(systemd bool) bool {
	if os.Geteuid() != 0 {
		return true
	}
	if !userns.RunningInUserNS() {
		return false
	}
	if systemd {
		uid, err := sdcgroups.DetectUID()
		return err == nil && uid != 0
	}
	return true
}
