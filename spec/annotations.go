package spec

import "strings"

// Annotation keys that select Wasm, as crun and the containerd/CRI-O
// ecosystem spell them.
const (
	HandlerAnnotation = "run.oci.handler"
	VariantAnnotation = "module.wasm.image/variant"

	containerdContainerType = "io.kubernetes.cri.container-type"
	crioContainerType       = "io.kubernetes.cri-o.ContainerType"
)

// WasmAnnotations lists the annotations that change how a container runs;
// `features` reports them as potentially unsafe.
var WasmAnnotations = []string{HandlerAnnotation, VariantAnnotation}

// Mode says how a container's entrypoint is to be run.
type Mode int

const (
	// Native runs the entrypoint as an ordinary process.
	Native Mode = iota
	// Wasm runs the entrypoint with wasmtime; it must be a Wasm module.
	Wasm
	// Smart runs the entrypoint with wasmtime only when it is a Wasm module.
	Smart
)

func (m Mode) String() string {
	switch m {
	case Wasm:
		return "wasm"
	case Smart:
		return "smart"
	}
	return "native"
}

// WasmMode reads the annotations of a container. program is the name this
// binary was invoked under: a name ending in "-wasm" makes every container
// smart, because podman selects such a runtime for wasi/wasm images whose
// annotations never reach the runtime.
func WasmMode(annotations map[string]string, program string) Mode {
	if IsSandbox(annotations) {
		return Native
	}
	switch annotations[HandlerAnnotation] {
	case "wasm":
		return Wasm
	case "wasm-smart":
		return Smart
	}
	switch annotations[VariantAnnotation] {
	case "compat":
		return Wasm
	case "compat-smart":
		return Smart
	}
	if strings.HasSuffix(program, "-wasm") {
		return Smart
	}
	return Native
}

// IsSandbox reports whether the container is a Kubernetes pod sandbox (the
// pause container), which always runs natively even when the pod's
// annotations ask for Wasm.
func IsSandbox(annotations map[string]string) bool {
	return annotations[containerdContainerType] == "sandbox" ||
		annotations[crioContainerType] == "sandbox"
}
