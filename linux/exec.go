package linux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	selinux "github.com/opencontainers/selinux/go-selinux"

	"github.com/wasm-runc/wasm-runc/spec"
	"github.com/wasm-runc/wasm-runc/wasm"
)

// runc's refusals for exec; callers match on the text.
var (
	ErrExecStopped = errors.New("cannot exec in a stopped container")
	ErrExecPaused  = errors.New("cannot exec in a paused container (use --ignore-paused to override)")
)

// CheckExecStatus refuses an exec into a stopped container, and into a
// paused one unless ignorePaused.
func CheckExecStatus(c *libcontainer.Container, ignorePaused bool) error {
	status, err := c.Status()
	if err != nil {
		return err
	}
	switch {
	case status == libcontainer.Stopped:
		return ErrExecStopped
	case status == libcontainer.Paused && !ignorePaused:
		return ErrExecPaused
	}
	return nil
}

// ExecOptions is what `exec` was told about the process to run. With
// ProcessFile set, the file is the whole process and the other fields are
// ignored, as runc does.
type ExecOptions struct {
	ProcessFile    string   // --process: a runtime-spec Process in JSON
	Args           []string // the command and its arguments
	Cwd            string
	Env            []string // appended to the container's environment
	Tty            bool
	User           string // <uid>[:<gid>]
	AdditionalGids []int64
	Caps           []string // added to the bounding, effective and permitted sets
	NoNewPrivs     *bool    // nil: the container's setting
	AppArmor       string
	ProcessLabel   string
}

// ExecProcess builds the process that `exec` runs in c. Without a process
// file the defaults are the container's own process in its bundle's
// config.json (env, cwd, user, capabilities, rlimits, no_new_privs, LSM
// labels), overridden by the options.
func ExecProcess(c *libcontainer.Container, o ExecOptions) (*specs.Process, error) {
	if o.ProcessFile != "" {
		p, err := readProcessFile(o.ProcessFile)
		if err != nil {
			return nil, err
		}
		return p, validateExecProcess(p)
	}
	bundle, ok := utils.SearchLabels(c.Config().Labels, "bundle")
	if !ok {
		return nil, errors.New("bundle not found in labels")
	}
	s, err := spec.Load(bundle)
	if err != nil {
		return nil, err
	}
	p := s.Process
	if len(o.Args) == 0 {
		return nil, errors.New("exec args cannot be empty")
	}
	p.Args = o.Args
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	if o.AppArmor != "" {
		p.ApparmorProfile = o.AppArmor
	}
	if o.ProcessLabel != "" {
		p.SelinuxLabel = o.ProcessLabel
	}
	if len(o.Caps) > 0 {
		if p.Capabilities == nil {
			p.Capabilities = &specs.LinuxCapabilities{}
		}
		caps := p.Capabilities
		for _, name := range o.Caps {
			caps.Bounding = append(caps.Bounding, name)
			caps.Effective = append(caps.Effective, name)
			caps.Permitted = append(caps.Permitted, name)
			// Ambient capabilities need inheritable ones, which --cap does
			// not add: only a process that has some gets them.
			if caps.Inheritable != nil {
				caps.Ambient = append(caps.Ambient, name)
			}
		}
	}
	p.Env = append(p.Env, o.Env...)
	// The container's own terminal setting does not carry over.
	p.Terminal = o.Tty
	if o.NoNewPrivs != nil {
		p.NoNewPrivileges = *o.NoNewPrivs
	}
	if o.User != "" {
		uid, gid, hasGID := strings.Cut(o.User, ":")
		if hasGID {
			n, err := strconv.Atoi(gid)
			if err != nil {
				return nil, fmt.Errorf("bad gid: %w", err)
			}
			p.User.GID = uint32(n)
		}
		n, err := strconv.Atoi(uid)
		if err != nil {
			return nil, fmt.Errorf("bad uid: %w", err)
		}
		p.User.UID = uint32(n)
	}
	for _, g := range o.AdditionalGids {
		if g < 0 {
			return nil, fmt.Errorf("additional-gids must be a positive number %d", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	return p, validateExecProcess(p)
}

func readProcessFile(path string) (*specs.Process, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var p specs.Process
	if err := json.NewDecoder(f).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

func validateExecProcess(p *specs.Process) error {
	if err := spec.ValidateProcess(p); err != nil {
		return err
	}
	if p.SelinuxLabel != "" && !selinux.GetEnabled() {
		return errors.New("selinux label is specified in config, but selinux is disabled or not supported")
	}
	return nil
}

// ExecExecutor decides how p runs in the running container c: the container's
// root as its init sees it (/proc/<pid>/root, mounts included) is where
// args[0] is looked up, and its current memory limit bounds a module's
// linear memory.
//
// A compile (a module not in the cache) runs with lim, in a transient cgroup
// beside the container's.
func ExecExecutor(ctx context.Context, c *libcontainer.Container, p *specs.Process, program string, cache *wasm.CompileCache, lim wasm.CompileLimits, rootless bool) (Executor, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	_, annotations := utils.Annotations(st.Config.Labels)
	var memory int64
	if cg := st.Config.Cgroups; cg != nil && cg.Resources != nil && cg.Resources.Memory > 0 {
		memory = cg.Resources.Memory
	}
	if cg := st.Config.Cgroups; cg != nil {
		lim.Cgroup = CompileCgroup(cg.Path, c.ID(), cg.Systemd, rootless)
		if cg.Resources != nil {
			lim.CPUQuota, lim.CPUPeriod = cg.Resources.CpuQuota, cg.Resources.CpuPeriod
		}
	}
	return ChooseExecutor(ctx, ExecutorOptions{
		Annotations: annotations,
		Program:     program,
		Rootfs:      "/proc/" + strconv.Itoa(st.InitProcessPid) + "/root",
		Process:     p,
		MemoryLimit: memory,
		Cache:       cache,
		Compile:     lim,
		Exec:        true,
	})
}

// ParseSubCgroupPaths reads exec's --cgroup arguments: one bare path (cgroup
// v2), or any number of <controller>[,<controller>...]:<path> (cgroup v1).
// The result maps controllers to paths; "" is the v2 path.
func ParseSubCgroupPaths(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	paths := make(map[string]string, len(args))
	for _, arg := range args {
		controllers, path, ok := strings.Cut(arg, ":")
		if !ok {
			if len(args) != 1 {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (missing <controller>: prefix)", arg)
			}
			paths[""] = arg
			continue
		}
		for _, ctrl := range strings.Split(controllers, ",") {
			if ctrl == "" {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (empty <controller> prefix)", arg)
			}
			if _, dup := paths[ctrl]; dup {
				return nil, fmt.Errorf("invalid --cgroup argument(s): controller %s specified multiple times", ctrl)
			}
			paths[ctrl] = path
		}
	}
	return paths, nil
}
