// Package wasm is the host side of Wasm containers: it finds the module a
// container's process names, as that process will see it (detect.go), and
// keeps the compiled-module cache (cache*.go, one job a file), which hands a
// container its compiled module (a core module or a component, keyed apart) as
// a read-only fd. The compile itself runs in
// wasm/compiler's worker; the code that runs in the container is wasm/runner;
// engine settings live in wasm/engine.
//
// docs/wasm.md describes the behaviour, docs/security.md the defences,
// docs/performance.md the measurements.
package wasm
