package wasm

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v42"
	"golang.org/x/sys/unix"
)

// TestCacheFigures measures a cold compile of the Go example against Open
// on a warm cache, the container-start hot path. It only reports: speed
// targets are checked by `make bench`. Run with -v to see the figures
// quoted in doc.go.
func TestCacheFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement only: skipped under -short")
	}
	old := settleTime
	settleTime = 0 // as for an image file unchanged for a while
	defer func() { settleTime = old }()

	// Inside a rootfs, as linux/ will call it.
	root := t.TempDir()
	b, err := os.ReadFile(goHello(t))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	os.WriteFile(filepath.Join(root, "app", "hello.wasm"), b, 0o755)
	m, err := DetectModule(root, "/app/hello.wasm", "", "/")
	if err != nil || m == nil {
		t.Fatal(m, err)
	}
	c := &CompileCache{Dir: filepath.Join(t.TempDir(), "cache")}

	start := time.Now()
	f, err := c.Open(m)
	cold := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()

	measure := func(prep func()) time.Duration {
		var d []time.Duration
		for range 25 {
			prep()
			s := time.Now()
			f, err := c.Open(m)
			d = append(d, time.Since(s))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	warm := measure(func() {})
	checked := measure(func() { // index without the record of a check: CRC32C of the entry
		ents, _ := os.ReadDir(filepath.Join(c.Dir, "index"))
		for _, e := range ents {
			if key, checked, ok := c.readIndex(e.Name()); ok && checked != "" {
				c.writeIndex(e.Name(), key, "")
			}
		}
	})
	warm2 := measure(func() {})
	hashed := measure(func() { // no identity index: the module is read and hashed
		ents, _ := os.ReadDir(filepath.Join(c.Dir, "index"))
		for _, e := range ents {
			os.Remove(filepath.Join(c.Dir, "index", e.Name()))
		}
	})
	detect := func() time.Duration {
		var d []time.Duration
		for range 25 {
			s := time.Now()
			if _, err := DetectModule(root, "hello.wasm", "/bin:/app", "/"); err != nil {
				t.Fatal(err)
			}
			d = append(d, time.Since(s))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}()
	t.Logf("module %d bytes, entry %d bytes", len(b), st.Size())
	t.Logf("cold Open (hash + compile + store): %v", cold)
	t.Logf("warm Open, identity index hit, entry checked this boot (median of 25): %v (again after the CRC runs: %v)", warm, warm2)
	t.Logf("warm Open, identity index hit, CRC32C of the entry (median of 25): %v", checked)
	t.Logf("warm Open, full SHA-256 of the module (median of 25): %v", hashed)
	t.Logf("DetectModule with a PATH search (median of 25): %v", detect)
	t.Logf("cold/warm ratio: %.0fx (hashed: %.0fx)", float64(cold)/float64(warm), float64(cold)/float64(hashed))
}

// TestRunnerLoadFigures measures the runner's steps before the guest's
// first instruction for the Go example: the module loaded by mapping the
// entry (deserialize_file through /proc/self/fd/N) against the copy
// (deserialize of the mapped entry) the runner falls back to. It calls the
// same wasmtime functions as runner.c, through wasmtime-go. Run with -v to
// see the figures quoted in doc.go and docs/performance.md.
func TestRunnerLoadFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement only: skipped under -short")
	}
	m := goModule(t)
	c := runnerCache(t)
	if f, err := c.Open(m); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	for _, mode := range []struct {
		name   string
		mapped bool
	}{
		{"mapped", true},
		{"copied", false},
	} {
		var engineT, load, setup, inst []time.Duration
		for range 15 {
			f, err := c.Open(m)
			if err != nil {
				t.Fatal(err)
			}
			fd, err := unix.Dup(int(f.Fd()))
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			s := time.Now()
			engine, _ := NewEngine()
			engineT = append(engineT, time.Since(s))
			s = time.Now()
			mod, err := figuresLoad(engine, fd, mode.mapped)
			load = append(load, time.Since(s))
			unix.Close(fd)
			if err != nil {
				t.Fatal(err)
			}
			s = time.Now()
			store := wasmtime.NewStore(engine)
			store.SetEpochDeadline(1)
			wasi := wasmtime.NewWasiConfig()
			wasi.SetArgv([]string{"hello"})
			wasi.SetEnv([]string{"PWD"}, []string{"/"})
			wasi.InheritStdin()
			wasi.InheritStdout()
			wasi.InheritStderr()
			if err := wasi.PreopenDir("/", "/", wasmtime.DIR_READ|wasmtime.DIR_WRITE, wasmtime.FILE_READ|wasmtime.FILE_WRITE); err != nil {
				t.Fatal(err)
			}
			store.SetWasi(wasi)
			linker := wasmtime.NewLinker(engine)
			if err := linker.DefineWasi(); err != nil {
				t.Fatal(err)
			}
			setup = append(setup, time.Since(s))
			s = time.Now()
			if _, err := linker.Instantiate(store, mod); err != nil {
				t.Fatal(err)
			}
			inst = append(inst, time.Since(s))
			store.Close()
			mod.Close()
			engine.Close()
		}
		t.Logf("%s: NewEngine %v, load %v, store+WASI+linker %v, instantiate %v (medians of 15)",
			mode.name, median(engineT), median(load), median(setup), median(inst))
	}
}

// figuresLoad loads the entry open as fd as runner.c does: by path, or from
// a mapping of the payload (without the trailer).
func figuresLoad(engine *wasmtime.Engine, fd int, mapped bool) (*wasmtime.Module, error) {
	if mapped {
		return wasmtime.NewModuleDeserializeFile(engine, "/proc/self/fd/"+itoa(int64(fd)))
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	m, err := unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	defer unix.Munmap(m)
	return wasmtime.NewModuleDeserialize(engine, m[:len(m)-trailerSize])
}
