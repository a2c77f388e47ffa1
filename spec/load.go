package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigName is the file name of a bundle's configuration.
const ConfigName = "config.json"

// Load reads bundle/config.json and checks what runc checks before creating a
// container, and the few things runc lets through that a runtime must refuse
// (validate.go). Errors carry runc's wording, which callers match on.
func Load(bundle string) (*specs.Spec, error) {
	path := filepath.Join(bundle, ConfigName)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("JSON specification file %s not found", ConfigName)
		}
		return nil, err
	}
	defer f.Close()
	s, err := Parse(f)
	if err != nil {
		return nil, err
	}
	rootfs := s.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	fi, err := os.Stat(rootfs)
	if err != nil {
		return nil, fmt.Errorf("invalid rootfs: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("invalid rootfs: %s is not a directory", rootfs)
	}
	return s, nil
}

// Parse decodes a config.json and checks everything Load checks but the
// root filesystem on disk.
func Parse(r io.Reader) (*specs.Spec, error) {
	var s specs.Spec
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", ConfigName, err)
	}
	if err := ValidateVersion(s.Version); err != nil {
		return nil, err
	}
	if err := ValidateProcess(s.Process); err != nil {
		return nil, err
	}
	if s.Root == nil || s.Root.Path == "" {
		return nil, errors.New("root must be specified")
	}
	if err := ValidateUserNamespace(s.Linux); err != nil {
		return nil, err
	}
	return &s, nil
}

// ValidateProcess checks a process as runc does before it starts one.
func ValidateProcess(p *specs.Process) error {
	if p == nil {
		return errors.New("process property must not be empty")
	}
	if p.Cwd == "" {
		return errors.New("Cwd property must not be empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return errors.New("Cwd must be an absolute path")
	}
	if len(p.Args) == 0 {
		return errors.New("args must not be empty")
	}
	return nil
}

// RootfsPath returns the absolute path of the spec's root filesystem.
func RootfsPath(bundle string, s *specs.Spec) string {
	if filepath.IsAbs(s.Root.Path) {
		return s.Root.Path
	}
	return filepath.Join(bundle, s.Root.Path)
}
