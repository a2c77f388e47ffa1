package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogJSON checks what failing commands leave in --log FILE with
// --log-format json: JSON lines with level, msg and time, ending with exactly
// one "error" line that holds the whole message (containerd reports the last
// error line; podman reads the file as one object), while stderr gets the
// same message as one plain line.
func TestLogJSON(t *testing.T) {
	rt := newRuntime(t)
	running := newContainer(t, rt, withShell("exec sleep 30"))
	running.create(t)
	running.start(t)
	stopped := newContainer(t, rt, withShell("exit 0"))
	stopped.create(t)
	stopped.start(t)
	rt.waitStatus(t, stopped.id, "stopped", 10*time.Second)
	noConfig := t.TempDir()
	missing := newID(t)

	for _, tc := range []struct {
		name string
		args []string
		want string // in the error message
	}{
		{"state_nonexistent", []string{"state", missing}, "container does not exist"},
		{"kill_stopped", []string{"kill", stopped.id, "KILL"}, "container not running"},
		{"delete_running", []string{"delete", running.id}, "cannot delete container " + running.id + " that is not stopped"},
		{"start_running", []string{"start", running.id}, "cannot start an already running container"},
		{"create_without_config", []string{"create", "--bundle", noConfig, missing}, "config.json not found"},
		{"create_existing_id", []string{"create", "--bundle", running.bundle, running.id}, "container with given ID already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "log.json")
			res := rt.runWith(t, cmdOpts{logFile: logFile}, tc.args...)
			if res.code != 1 {
				t.Fatalf("want exit 1; got %s", res)
			}
			b, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatalf("log file: %v", err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			var errorMsgs []string
			var last map[string]any
			for _, line := range lines {
				var entry map[string]any
				if err := json.Unmarshal([]byte(line), &entry); err != nil {
					t.Errorf("log line is not JSON: %q", line)
					continue
				}
				for _, k := range []string{"level", "msg", "time"} {
					if _, ok := entry[k].(string); !ok {
						t.Errorf("log line lacks a string %q: %q", k, line)
					}
				}
				if ts, ok := entry["time"].(string); ok {
					if _, err := time.Parse(time.RFC3339, ts); err != nil {
						t.Errorf("log time %q is not RFC 3339", ts)
					}
				}
				if entry["level"] == "error" {
					errorMsgs = append(errorMsgs, entry["msg"].(string))
				}
				last = entry
			}
			if len(errorMsgs) != 1 {
				t.Fatalf("want exactly one error line; got %d in %q", len(errorMsgs), b)
			}
			if last["level"] != "error" {
				t.Errorf("the last log line is not the error: %q", b)
			}
			if !strings.Contains(errorMsgs[0], tc.want) {
				t.Errorf("error message %q lacks %q", errorMsgs[0], tc.want)
			}
			if res.stderr != errorMsgs[0]+"\n" {
				t.Errorf("stderr %q; want the error message as one line %q", res.stderr, errorMsgs[0])
			}
		})
	}
}

// TestLogJSONSuccess checks that a successful command writes no error line
// to the log file and nothing to stderr.
func TestLogJSONSuccess(t *testing.T) {
	rt := newRuntime(t)
	c := newContainer(t, rt, withShell("exec sleep 30"))
	logFile := filepath.Join(t.TempDir(), "log.json")
	res := c.createWith(t, cmdOpts{logFile: logFile})
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	for _, args := range [][]string{{"start", c.id}, {"state", c.id}, {"kill", c.id, "KILL"}} {
		res := rt.runWith(t, cmdOpts{logFile: logFile}, args...)
		if res.code != 0 || res.stderr != "" {
			t.Fatalf("want exit 0 and an empty stderr; got %s", res)
		}
	}
	b, _ := os.ReadFile(logFile)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		} else if entry["level"] == "error" {
			t.Errorf("error logged by a successful command: %q", line)
		}
	}
}
