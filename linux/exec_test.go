package linux

import (
	"maps"
	"strings"
	"testing"
)

func TestParseSubCgroupPaths(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want map[string]string
		err  string
	}{
		{args: nil, want: nil},
		{args: []string{"sub"}, want: map[string]string{"": "sub"}},
		{args: []string{"pids:a"}, want: map[string]string{"pids": "a"}},
		{args: []string{"cpu,cpuacct:/x", "memory:y"}, want: map[string]string{"cpu": "/x", "cpuacct": "/x", "memory": "y"}},
		{args: []string{"a", "b"}, err: "missing <controller>: prefix"},
		{args: []string{":a"}, err: "empty <controller> prefix"},
		{args: []string{"cpu,:a"}, err: "empty <controller> prefix"},
		{args: []string{"pids:a", "pids:b"}, err: "controller pids specified multiple times"},
	} {
		got, err := ParseSubCgroupPaths(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: want error %q, got %v, %v", tc.args, tc.err, got, err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tc.want) {
			t.Errorf("%q: want %v, got %v, %v", tc.args, tc.want, got, err)
		}
	}
}
