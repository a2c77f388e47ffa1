// Package engine is the one seam between wasm-runc and wasmtime: the engine
// settings (engine.h, used by both C processes: the host's compile worker
// and the container's runner), the fingerprint that names compiled code in
// the cache, and the folding of wasmtime's messages into one safe line. A
// wasmtime upgrade changes go.mod, Version and, when the C API moved,
// wasmtime.h (checked against the real headers by TestWasmtimeHeader).
package engine

// #include <stdlib.h>
// #include "engine.h"
import "C"

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	// libwasmtime.a, which engine.h calls, comes with wasmtime-go.
	_ "github.com/bytecodealliance/wasmtime-go/v42"
	"golang.org/x/sys/cpu"
)

// Version is the wasmtime release compiled into this binary.
const Version = "42.0.0"

// Settings is engine.h's WR_ENGINE_SETTINGS: every knob wr_engine_config
// turns.
const Settings = C.WR_ENGINE_SETTINGS

// MessageMax caps a line of wasmtime's text that reaches a caller.
const MessageMax = C.WR_MESSAGE_MAX

// Fingerprint identifies what compiled code depends on besides the module's
// bytes: the wasmtime version, the engine settings, and the host CPU
// (Cranelift compiles for the features it detects, and wasmtime refuses
// code built for features the CPU lacks).
func Fingerprint() string { return fingerprint() }

var fingerprint = sync.OnceValue(func() string {
	var features string
	switch runtime.GOARCH {
	case "amd64", "386":
		features = fmt.Sprintf("%+v", cpu.X86)
	case "arm64":
		features = fmt.Sprintf("%+v", cpu.ARM64)
	}
	sum := sha256.Sum256([]byte(features))
	return "wasmtime=" + Version + ";" + Settings + ";arch=" + runtime.GOARCH +
		";cpu=" + hex.EncodeToString(sum[:8])
})

// ID is a short name of Fingerprint, for directory names.
func ID() string {
	sum := sha256.Sum256([]byte(Fingerprint()))
	return hex.EncodeToString(sum[:8])
}

// Fold turns a wasmtime error report (anyhow's "message\n\nCaused by:\n
// ...") into one line, "message: cause: cause", capped at MessageMax bytes
// with control characters and invalid UTF-8 escaped: the C processes print
// their errors through the same code.
func Fold(msg string) string {
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	one := C.wr_one_line(C.wr_wasmtime_message(cs, C.size_t(len(msg))))
	defer C.free(unsafe.Pointer(one))
	return Escape(C.GoString(one), MessageMax)
}

// Escape is s made safe for one line of a log or a terminal: control
// characters and invalid UTF-8 escaped as \xNN, cut after max bytes of s
// with "... (N more bytes)".
func Escape(s string, max int) string {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	e := C.wr_cap_escape(cs, C.size_t(max))
	defer C.free(unsafe.Pointer(e))
	return C.GoString(e)
}
