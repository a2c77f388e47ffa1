//go:build wasip1

// Command guest is the Go member of the guest matrix
// (examples/guests/README.md), for WASI preview 1 with Go's wasip1 port.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o go.wasm ./examples/guests/go
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const family = "go"

func main() {
	for i, a := range os.Args {
		fmt.Printf("arg[%d]=%s\n", i, a)
	}
	for _, name := range []string{"GUEST_GREETING", "PWD"} {
		if v, ok := os.LookupEnv(name); ok {
			fmt.Printf("env %s=%s\n", name, v)
		} else {
			fmt.Printf("env %s unset\n", name)
		}
	}
	showFile(envOr("GUEST_ABS_FILE", "/etc/guest.txt"))
	showFile(envOr("GUEST_REL_FILE", "local.txt"))
	if w, ok := os.LookupEnv("GUEST_WRITE_FILE"); ok {
		if err := writeFile(w); err != nil {
			fmt.Fprintf(os.Stderr, "guest: write %s: %v\n", w, err)
			fmt.Printf("write %s: error\n", w)
		} else {
			fmt.Printf("write %s: ok\n", w)
			showFile(w)
		}
	}
	if ro, ok := os.LookupEnv("GUEST_RO_FILE"); ok {
		if err := writeFile(ro); err != nil {
			fmt.Fprintf(os.Stderr, "guest: write %s: %v\n", ro, err)
			fmt.Printf("write %s: refused\n", ro)
		} else {
			fmt.Printf("write %s: allowed\n", ro)
		}
	}

	// GUEST_SLEEP=N: stay running N seconds (the benchmark's memory of a
	// running guest).
	if secs, err := strconv.Atoi(os.Getenv("GUEST_SLEEP")); err == nil {
		time.Sleep(time.Duration(secs) * time.Second)
	}

	n, _ := strconv.Atoi(os.Getenv("GUEST_EXIT"))
	switch how := os.Getenv("GUEST_EXIT_HOW"); how {
	case "", "exit":
		os.Exit(n)
	case "return":
		// main has no exit code of its own: returning is exit 0.
		return
	case "trap":
		panic("guest: asked to panic")
	default:
		fmt.Fprintf(os.Stderr, "guest: GUEST_EXIT_HOW=%s: want exit, return or trap\n", how)
		os.Exit(2)
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// showFile prints "read PATH: FIRST-LINE", or "read PATH: error" with the
// reason on stderr.
func showFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "guest: read %s: %v\n", path, err)
		fmt.Printf("read %s: error\n", path)
		return
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fmt.Printf("read %s: %s\n", path, line)
}

func writeFile(path string) error {
	return os.WriteFile(path, []byte(family+" was here\n"), 0o644)
}
