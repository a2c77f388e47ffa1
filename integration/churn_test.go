package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
)

// TestChurn runs many short-lived containers, Wasm and native mixed, 8 at
// a time, each through create, start, exec, kill and delete, then checks
// that nothing is left: state directories, cgroups (the containers' and
// their compiles'), mounts, processes, cache temp and lock files, and that
// the host's available memory has not dropped. CHURN_CONTAINERS sets how
// many (default 1000).
func TestChurn(t *testing.T) {
	n := 1000
	if v := os.Getenv("CHURN_CONTAINERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("CHURN_CONTAINERS=%q", v)
		}
	}
	const workers = 8
	rt := newRuntime(t)
	base := t.TempDir()
	rootfs := filepath.Join(base, "rootfs")
	makeRootfs(t, rootfs)
	for name, src := range map[string]string{"sleep": "../bench/sleep.wat", "exit": "../examples/wat/exit.wat"} {
		text, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := wasmtime.Wat2Wasm(string(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rootfs, name+".wasm"), bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(base, "cache")
	o := withCacheDir(cache)
	before := memAvailable(t)
	mountsBefore := mountsUnder(t, base)

	var next, failed atomic.Int64
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() > 0 {
					return
				}
				wasm := i%2 == 0
				id := fmt.Sprintf("churn-%s-%d", randomHex(4), i)
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
				if err := churnOne(t, rt, o, base, rootfs, id, wasm); err != nil {
					if failed.Add(1) == 1 {
						t.Errorf("container %d (wasm %v): %v", i, wasm, err)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d containers (half Wasm), %d at a time: %v", n, workers, time.Since(start).Round(time.Millisecond))
	if failed.Load() > 0 {
		for _, id := range ids {
			rt.run(t, "delete", "-f", id)
		}
		t.FailNow()
	}

	entries, _ := os.ReadDir(rt.root)
	for _, e := range entries {
		t.Errorf("left under --root: %s", e.Name())
	}
	for _, id := range ids {
		for _, d := range leftoverCgroups(id) {
			t.Errorf("cgroup %s left behind", d)
		}
	}
	if pids := processesUnder(base); len(pids) != 0 {
		t.Errorf("processes rooted in the bundles left behind: %v", pids)
	}
	if got := mountsUnder(t, base); len(got) != len(mountsBefore) {
		t.Errorf("mounts under the bundles: %d before, %d after", len(mountsBefore), len(got))
	}
	assertCacheClean(t, cache)
	if l := cacheEntries(t, cache); len(l) != 2 {
		t.Errorf("%d cache entries for 2 modules", len(l))
	}
	time.Sleep(time.Second)
	after := memAvailable(t)
	t.Logf("MemAvailable %d MiB before, %d MiB after", before>>20, after>>20)
	if before-after > 512<<20 {
		t.Errorf("available memory dropped by %d MiB", (before-after)>>20)
	}
}

// churnOne takes one container through its life.
func churnOne(t *testing.T, rt *runtime, o cmdOpts, base, rootfs, id string, wasm bool) error {
	bundle := filepath.Join(base, id)
	if err := os.Mkdir(bundle, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(bundle)
	s := defaultSpec(id)
	s.Root.Path = rootfs
	s.Process.Terminal = false
	if wasm {
		s.Annotations = map[string]string{wasmVariantKey: "compat-smart"}
		s.Process.Args = []string{"/sleep.wasm"}
	} else {
		s.Process.Args = []string{"/bin/sleep", "60"}
	}
	writeSpec(t, bundle, s)
	step := func(args ...string) error {
		res := rt.runWith(t, o, args...)
		if res.code != 0 {
			return fmt.Errorf("%s", res)
		}
		return nil
	}
	if err := step("create", "--bundle", bundle, id); err != nil {
		return err
	}
	defer rt.run(t, "delete", "-f", id)
	if err := step("start", id); err != nil {
		return err
	}
	exec := []string{"exec", id, "/bin/true"}
	if wasm {
		exec = []string{"exec", id, "/exit.wasm", "0"}
	}
	if err := step(exec...); err != nil {
		return err
	}
	if err := step("kill", id, "KILL"); err != nil {
		return err
	}
	if !eventually(commandTimeout, func() bool {
		st, res := rt.state(t, id)
		return res.code == 0 && st.Status == "stopped"
	}) {
		return fmt.Errorf("%s did not stop", id)
	}
	return step("delete", id)
}

func memAvailable(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemAvailable:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no MemAvailable in /proc/meminfo")
	return 0
}
