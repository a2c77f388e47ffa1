package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// memSample is what a running container costs, in bytes.
type memSample struct {
	RSS      int64 `json:"rss"`       // VmRSS of the container process
	RSSAnon  int64 `json:"rss_anon"`  // RssAnon
	RSSFile  int64 `json:"rss_file"`  // RssFile
	RSSShmem int64 `json:"rss_shmem"` // RssShmem
	PSS      int64 `json:"pss"`       // Pss from smaps_rollup (shared pages split)
	CgUsage  int64 `json:"cg_usage"`  // memory.usage_in_bytes (v1) or memory.current (v2)
	CgRSS    int64 `json:"cg_rss"`    // memory.stat rss (v1) or anon (v2)
}

func (m *memSample) add(o memSample) {
	m.RSS += o.RSS
	m.RSSAnon += o.RSSAnon
	m.RSSFile += o.RSSFile
	m.RSSShmem += o.RSSShmem
	m.PSS += o.PSS
	m.CgUsage += o.CgUsage
	m.CgRSS += o.CgRSS
}

// readMem samples a container's init process and its memory cgroup.
func readMem(pid int) (memSample, error) {
	var m memSample
	status, err := readKB(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	m.RSS, m.RSSAnon, m.RSSFile, m.RSSShmem = status["VmRSS"], status["RssAnon"], status["RssFile"], status["RssShmem"]
	rollup, err := readKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return m, err
	}
	m.PSS = rollup["Pss"]
	dir, v2, err := memoryCgroup(pid)
	if err != nil {
		return m, err
	}
	if v2 {
		m.CgUsage, err = readInt(filepath.Join(dir, "memory.current"))
		if err == nil {
			var st map[string]int64
			st, err = readStat(filepath.Join(dir, "memory.stat"))
			m.CgRSS = st["anon"]
		}
	} else {
		m.CgUsage, err = readInt(filepath.Join(dir, "memory.usage_in_bytes"))
		if err == nil {
			var st map[string]int64
			st, err = readStat(filepath.Join(dir, "memory.stat"))
			m.CgRSS = st["rss"]
		}
	}
	return m, err
}

// memoryCgroup finds the memory cgroup directory of pid: the v1 memory
// hierarchy when mounted, else the unified one.
func memoryCgroup(pid int) (dir string, v2 bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", false, err
	}
	var unified string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return filepath.Join("/sys/fs/cgroup/memory", parts[2]), false, nil
			}
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return filepath.Join("/sys/fs/cgroup", unified), true, nil
	}
	return "", false, fmt.Errorf("pid %d: no memory cgroup", pid)
}

// readKB parses "Key:   123 kB" lines into bytes.
func readKB(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err == nil {
			out[k] = n * 1024
		}
	}
	return out, s.Err()
}

func readStat(path string) (map[string]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
