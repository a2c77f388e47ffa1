package main

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/runc/libcontainer/capabilities"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	runcfeatures "github.com/opencontainers/runc/types/features"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"

	"github.com/wasm-runc/wasm-runc/spec"
	"github.com/wasm-runc/wasm-runc/wasm/engine"
)

// Annotations of our own in the features document.
const (
	annotationVersion         = "io.github.wasm-runc.version"
	annotationCommit          = "io.github.wasm-runc.commit"
	annotationWasmtimeVersion = "io.github.wasm-runc.wasmtime.version"
)

var featuresCommand = &cli.Command{
	Name:      "features",
	Usage:     "show the enabled features",
	ArgsUsage: "",
	Description: `Show the enabled features, as the OCI runtime-spec "features" document.
The Wasm annotations are listed under potentiallyUnsafeConfigAnnotations: they
change what the container runs.`,
	Action: func(c *cli.Context) error {
		if err := checkArgs(c, 0, exactArgs); err != nil {
			return err
		}
		yes := true
		f := features.Features{
			OCIVersionMin: "1.0.0",
			OCIVersionMax: specs.Version,
			Hooks:         configs.KnownHookNames(),
			MountOptions:  specconv.KnownMountOptions(),
			Annotations: map[string]string{
				annotationVersion:                            c.App.Version,
				annotationCommit:                             gitCommit,
				annotationWasmtimeVersion:                    engine.Version,
				runcfeatures.AnnotationRuncCheckpointEnabled: "true",
			},
			Linux: &features.Linux{
				Namespaces:   specconv.KnownNamespaces(),
				Capabilities: capabilities.KnownCapabilities(),
				Cgroup: &features.Cgroup{
					V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &yes, Rdma: &yes,
				},
				Apparmor: &features.Apparmor{Enabled: &yes},
				Selinux:  &features.Selinux{Enabled: &yes},
				IntelRdt: &features.IntelRdt{Enabled: &yes, Schemata: &yes, Monitoring: &yes},
				MemoryPolicy: &features.MemoryPolicy{
					Modes: specconv.KnownMemoryPolicyModes(),
					Flags: specconv.KnownMemoryPolicyFlags(),
				},
				MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
				NetDevices:      &features.NetDevices{Enabled: &yes},
			},
			PotentiallyUnsafeConfigAnnotations: append([]string{
				"bundle",
				"org.systemd.property.", // a prefix
				"org.criu.config",
			}, spec.WasmAnnotations...),
		}
		if seccomp.Enabled {
			f.Linux.Seccomp = &features.Seccomp{
				Enabled:        &yes,
				Actions:        seccomp.KnownActions(),
				Operators:      seccomp.KnownOperators(),
				Archs:          seccomp.KnownArchs(),
				KnownFlags:     seccomp.KnownFlags(),
				SupportedFlags: seccomp.SupportedFlags(),
			}
			major, minor, patch := seccomp.Version()
			f.Annotations[runcfeatures.AnnotationLibseccompVersion] = fmt.Sprintf("%d.%d.%d", major, minor, patch)
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "    ")
		return enc.Encode(f)
	},
}
