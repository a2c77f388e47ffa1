// Package spec owns the OCI bundle: loading and checking config.json, and
// reading the annotations that decide whether a container may run as Wasm.
// It knows nothing of libcontainer, wasmtime or the command line.
package spec
