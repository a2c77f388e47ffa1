package callers

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeSnippets checks that the README's containerd and CRI-O
// configuration is the tested configuration of docs/callers.md (or a part
// of it), so that the copy a reader sees first cannot drift.
func TestReadmeSnippets(t *testing.T) {
	readme := readFile(filepath.Join("..", "..", "README.md"))
	blocks := fencedBlocks(readme, "toml")
	for _, name := range []string{"containerd-config.toml", "crio-wasm-runc.conf"} {
		tested := docSnippet(t, name)
		key := strings.SplitN(strings.TrimSpace(tested), "\n", 2)[0]
		if name == "containerd-config.toml" {
			key = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasm-runc]`
		}
		found := false
		for _, b := range blocks {
			if !strings.Contains(b, key) {
				continue
			}
			found = true
			if !strings.Contains(tested, b) {
				t.Errorf("README.md's block with %s is not part of docs/callers.md's tested %s:\nREADME:\n%s\ntested:\n%s", key, name, b, tested)
			}
		}
		if !found {
			t.Errorf("README.md has no toml block with %s", key)
		}
	}
}

// fencedBlocks returns the bodies of the markdown blocks fenced with
// ```lang, their indentation removed.
func fencedBlocks(md, lang string) []string {
	var blocks []string
	var cur *strings.Builder
	indent := ""
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && trimmed == "```"+lang:
			cur = &strings.Builder{}
			indent = line[:len(line)-len(trimmed)]
		case cur != nil && trimmed == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(strings.TrimPrefix(line, indent))
			cur.WriteByte('\n')
		}
	}
	return blocks
}
