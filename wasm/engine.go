package wasm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v42"
	"golang.org/x/sys/cpu"
)

// Version is the wasmtime release compiled into this binary.
const Version = "42.0.0"

// engineSettings lists every Config knob NewEngine turns, in the words that go
// into the cache key. A .cwasm only loads into an engine configured the same
// way, so changing anything here must change this text.
const engineSettings = "epoch-interruption=on;strategy=cranelift;opt-level=speed;debug-info=off"

// NewEngine returns the engine used both to compile modules on the host and to
// run them inside the container. Both sides must use it unchanged: its
// settings are part of every cache key.
func NewEngine() (*wasmtime.Engine, error) {
	cfg := wasmtime.NewConfig()
	// Epoch interruption is how a signal stops a busy guest (see runner.go).
	cfg.SetEpochInterruption(true)
	cfg.SetStrategy(wasmtime.StrategyCranelift)
	cfg.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	cfg.SetDebugInfo(false)
	return wasmtime.NewEngineWithConfig(cfg), nil
}

// EngineFingerprint identifies what a serialized module depends on besides
// its bytes: the wasmtime version, the engine settings, and the host CPU
// (Cranelift compiles for the features it detects, and wasmtime refuses a
// .cwasm built for features the CPU lacks).
func EngineFingerprint() string { return fingerprint() }

var fingerprint = sync.OnceValue(func() string {
	var features string
	switch runtime.GOARCH {
	case "amd64", "386":
		features = fmt.Sprintf("%+v", cpu.X86)
	case "arm64":
		features = fmt.Sprintf("%+v", cpu.ARM64)
	}
	sum := sha256.Sum256([]byte(features))
	return "wasmtime=" + Version + ";" + engineSettings + ";arch=" + runtime.GOARCH +
		";cpu=" + hex.EncodeToString(sum[:8])
})
