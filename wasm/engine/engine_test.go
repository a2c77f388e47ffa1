package engine

import (
	"os"
	"strings"
	"testing"
)

// TestVersion keeps Version in step with the wasmtime-go module required.
func TestVersion(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.HasPrefix(f[0], "github.com/bytecodealliance/wasmtime-go/") {
			if f[1] != "v"+Version {
				t.Errorf("Version = %q, but go.mod requires %s %s", Version, f[0], f[1])
			}
			return
		}
	}
	t.Error("go.mod does not require wasmtime-go")
}

func TestEngineFingerprint(t *testing.T) {
	fp := Fingerprint()
	if !strings.Contains(fp, "wasmtime="+Version) || !strings.Contains(fp, "epoch-interruption=on") {
		t.Errorf("fingerprint %q", fp)
	}
	if Fingerprint() != fp {
		t.Error("fingerprint not stable")
	}
}
