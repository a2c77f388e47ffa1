// Command wasmbench measures wasm-runc against runc and crun on one machine,
// in one invocation, interleaving the runtimes so that load from other work
// hits them alike: container start latency, lifecycle phases, the compiled
// module cache, memory, and throughput. bench/run.sh (make bench) builds its
// payloads and runs it; results go to results.{txt,json,png}.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type options struct {
	wasmRunc, runc, crun string
	rootfs, work, out    string
	n, cold, seq, par    int
	isolated             int
	settle, idle         time.Duration
	only                 string
}

// kase is one runtime running one payload.
type kase struct {
	rt *ociRuntime
	p  payload
}

func (k kase) label() string { return k.rt.name + " " + k.p.name }

type bench struct {
	o       options
	wr      *ociRuntime
	runc    *ociRuntime
	crun    *ociRuntime
	bundles map[string]string
	c       *collector
	notes   []string
}

func main() {
	var o options
	flag.StringVar(&o.wasmRunc, "wasm-runc", "", "wasm-runc binary under test (required)")
	flag.StringVar(&o.runc, "runc", "/usr/sbin/runc", "reference runc binary")
	flag.StringVar(&o.crun, "crun", "/usr/bin/crun", "reference crun binary")
	flag.StringVar(&o.rootfs, "rootfs", "", "rootfs holding /bin/busybox, /hello.wat, /sleep.wat, /hello.wasm (required)")
	flag.StringVar(&o.work, "work", "", "scratch directory for state roots, bundles and caches (required; not under the binary's directory)")
	flag.StringVar(&o.out, "out", "bench/results", "directory for results.txt, results.json, results.png")
	flag.IntVar(&o.n, "n", 60, "iterations per case for latency figures")
	flag.IntVar(&o.isolated, "isolated", 30, "rounds of isolated starts (each `run` after -idle of nothing)")
	flag.DurationVar(&o.idle, "idle", 100*time.Millisecond, "idle time before each isolated start")
	flag.IntVar(&o.cold, "cold", 5, "cold-cache compiles of the Go module (each takes seconds)")
	flag.IntVar(&o.seq, "seq", 200, "sequential containers per runtime for throughput")
	flag.IntVar(&o.par, "par", 50, "containers running at once for the memory total")
	flag.DurationVar(&o.settle, "settle", time.Second, "wait before sampling memory of running containers")
	flag.StringVar(&o.only, "only", "", "comma-separated subset of phases: run,isolated,exec,cycle,cold,steady,seq,par,guests")
	flag.Parse()
	if o.wasmRunc == "" || o.rootfs == "" || o.work == "" {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(realMain(o))
}

func realMain(o options) int {
	done := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	go func() {
		s := <-sigs
		interrupted.Store(true)
		fmt.Fprintf(os.Stderr, "wasmbench: %v: stopping after the current step and cleaning up\n", s)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cleanupAll()
			os.Exit(130)
		}
	}()
	code := benchMain(o)
	cleanupAll()
	close(done)
	if interrupted.Load() {
		return 130
	}
	return code
}

func benchMain(o options) int {
	started := time.Now()
	b, err := setup(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmbench:", err)
		return 2
	}
	loadStart := loadavg()
	phases := []struct {
		name string
		fn   func() error
	}{
		{"run", b.phaseRun},
		{"isolated", b.phaseIsolated},
		{"exec", b.phaseExec},
		{"cycle", b.phaseCycle},
		{"cold", b.phaseCold},
		{"steady", b.phaseSteady},
		{"seq", b.phaseSeq},
		{"par", b.phasePar},
		{"guests", b.phaseGuests},
	}
	for _, ph := range phases {
		if o.only != "" && !strings.Contains(","+o.only+",", ","+ph.name+",") {
			continue
		}
		t := time.Now()
		fmt.Fprintf(os.Stderr, "==> %s\n", ph.name)
		err := ph.fn()
		reapAll()
		if err != nil {
			cleanupAll()
			if errors.Is(err, errInterrupted) {
				return 130
			}
			fmt.Fprintf(os.Stderr, "wasmbench: %s: %v\n", ph.name, err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "    %s done in %.1f s\n", ph.name, time.Since(t).Seconds())
	}
	res := &results{
		Meta: meta{
			Date:      started.UTC().Format(time.RFC3339),
			Host:      hostname(),
			Kernel:    kernel(),
			CPUs:      runtime.NumCPU(),
			LoadStart: loadStart,
			LoadEnd:   loadavg(),
			Versions: map[string]string{
				"wasm-runc": b.wr.version(), "runc": b.runc.version(), "crun": b.crun.version(),
			},
			Params:  map[string]int{"n": o.n, "isolated": o.isolated, "idle_ms": int(o.idle / time.Millisecond), "cold": o.cold, "seq": o.seq, "par": o.par, "settle_ms": int(o.settle / time.Millisecond)},
			Seconds: time.Since(started).Round(time.Second).Seconds(),
			Notes:   b.notes,
		},
		Stats:  b.c.stats(),
		Ratios: b.ratios(),
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbench:", err)
		return 1
	}
	text := res.text()
	fmt.Print(text)
	for name, write := range map[string]func(string) error{
		"results.txt":  func(p string) error { return os.WriteFile(p, []byte(text), 0o644) },
		"results.json": res.writeJSON,
		"results.png":  func(p string) error { return writeChart(p, res) },
	} {
		if err := write(filepath.Join(o.out, name)); err != nil {
			fmt.Fprintf(os.Stderr, "wasmbench: %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %s/results.{txt,json,png}\n", o.out)
	return 0
}

func setup(o options) (*bench, error) {
	if err := becomeSubreaper(); err != nil {
		return nil, fmt.Errorf("become subreaper: %w", err)
	}
	work, err := filepath.Abs(o.work)
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.wasmRunc)
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, bundles: map[string]string{}, c: newCollector()}
	// libcontainer seals the binary with a read-only overlay whose lower
	// layers are the binary's directory and the state directory; when one
	// contains the other overlayfs refuses (ELOOP) and libcontainer falls
	// back to copying the whole binary into a memfd for every container.
	if rel, err := filepath.Rel(filepath.Dir(bin), work); err == nil && !strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("work directory %s is inside the binary's directory %s: libcontainer would copy the binary for every container", work, filepath.Dir(bin))
	}
	logs := filepath.Join(work, "logs")
	for _, d := range []string{logs, filepath.Join(work, "bundles"), filepath.Join(work, "cache")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	mk := func(name, path string, env ...string) *ociRuntime {
		return &ociRuntime{name: name, path: path, root: filepath.Join(work, "root", name), env: env, logs: logs}
	}
	b.wr = mk("wasm-runc", bin, "WASM_RUNC_CACHE_DIR="+filepath.Join(work, "cache"))
	b.runc = mk("runc", o.runc)
	b.crun = mk("crun", o.crun)
	waitSettled(o.rootfs)
	b.notes = append(b.notes,
		"each runtime has a private --root under the work directory; ids are unique per run",
		"all containers share one read-only rootfs; bundles are ociVersion 1.0.2 with a 256 MiB memory limit",
		"wasm-runc uses a private compile cache (WASM_RUNC_CACHE_DIR), warmed before measuring")
	for _, p := range payloads {
		dir, err := writeBundle(filepath.Join(work, "bundles"), o.rootfs, p)
		if err != nil {
			return nil, err
		}
		b.bundles[p.name] = dir
	}
	return b, nil
}

// waitSettled lets the module files age past the compile cache's settle
// time (2 s of ctime): younger files are hashed on every start and never
// indexed, which is not the warm path a deployed image sees.
func waitSettled(rootfs string) {
	for _, name := range []string{"hello.wat", "sleep.wat", "hello.wasm"} {
		var st unix.Stat_t
		if unix.Stat(filepath.Join(rootfs, name), &st) != nil {
			continue
		}
		if d := time.Until(time.Unix(st.Ctim.Unix()).Add(2500 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// retry runs f up to three times. The machine is shared: another
// engineer's test may signal or starve one of our containers, and one such
// accident must not void the run; a real fault fails every attempt. Each
// retry is reported in the results' notes.
func (b *bench) retry(what string, f func() error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = f(); err == nil || errors.Is(err, errInterrupted) {
			return err
		}
		b.notes = append(b.notes, fmt.Sprintf("retried %s after: %v", what, err))
		fmt.Fprintf(os.Stderr, "    retrying %s after: %v\n", what, err)
	}
	return err
}

// runOnce runs a foreground container and checks its output.
func (b *bench) runOnce(k kase, env ...string) (o outcome, err error) {
	err = b.retry(k.label()+" run", func() error {
		o, err = k.rt.run(b.bundles[k.p.name], newID("run"), env...)
		if err != nil {
			return err
		}
		if k.p.want != "" && !strings.Contains(o.out, k.p.want) {
			return fmt.Errorf("%s: output %q does not contain %q", k.label(), o.out, k.p.want)
		}
		return nil
	})
	return o, err
}

// helloCases are the cases of the run and cycle phases.
func (b *bench) helloCases() []kase {
	return []kase{
		{b.wr, nativeHello}, {b.runc, nativeHello}, {b.crun, nativeHello},
		{b.wr, watHello}, {b.wr, goHello},
	}
}

// runRounds runs every case once per round, round-robin with the order
// rotating each round so that each sees the same load, after idle of
// nothing each, and hands each outcome to record. The cases are warmed up
// first.
func (b *bench) runRounds(rounds int, idle time.Duration, record func(kase, outcome)) error {
	cases := b.helloCases()
	if err := b.warmUp(cases); err != nil {
		return err
	}
	for i := 0; i < rounds; i++ {
		for j := range cases {
			k := cases[(i+j)%len(cases)]
			if interrupted.Load() {
				return errInterrupted
			}
			time.Sleep(idle)
			o, err := b.runOnce(k)
			if err != nil {
				return err
			}
			record(k, o)
		}
	}
	return nil
}

// phaseRun: `run` of a hello container, end to end, back to back.
func (b *bench) phaseRun() error {
	return b.runRounds(b.o.n, 0, func(k kase, o outcome) {
		b.c.add("run: one container end to end (fork to exit of `run`)", k.label()+" run", "ms", ms(o.wall))
		b.c.add("peak RSS of the `run` invocation (ru_maxrss: runtime and the children it reaped)", k.label()+" peak RSS", "MiB", mib(o.maxRSS))
	})
}

// warmUp fills the compile cache (and its index, which only records module
// files older than 2 s) and the page cache, and checks the outputs.
func (b *bench) warmUp(cases []kase) error {
	for _, k := range cases {
		for i := 0; i < 3; i++ {
			if _, err := b.runOnce(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// phaseIsolated: the cases of phaseRun again, each `run` after o.idle in
// which nothing runs: a node that starts containers one at a time (kubelet,
// podman) rather than in a tight loop. On an idle machine the kernel's first
// move of a process into a cgroup waits for an RCU grace period, which a
// loop of starts mostly finds already passed (linux/cgroupwarm.go).
func (b *bench) phaseIsolated() error {
	section := fmt.Sprintf("isolated run: one container after %v idle", b.o.idle)
	return b.runRounds(b.o.isolated, b.o.idle, func(k kase, o outcome) {
		b.c.add(section, k.label()+" isolated run", "ms", ms(o.wall))
	})
}

// phaseExec: `exec` of /bin/echo into a running native container, one per
// runtime, back to back and after o.idle of nothing (a Kubernetes exec
// probe every few seconds): on cgroup v1 exec moves its process into the
// container's cgroups, so it meets the kernel's cold cgroup move too.
func (b *bench) phaseExec() error {
	var rs []running
	defer func() { stopAll(rs) }()
	for _, rt := range []*ociRuntime{b.wr, b.runc, b.crun} {
		r, _, err := b.startDetached(kase{rt, nativeSleep})
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	for _, idle := range []time.Duration{0, b.o.idle} {
		section, suffix := "exec into a running container (`exec ID /bin/echo`), back to back", " exec"
		if idle > 0 {
			section, suffix = fmt.Sprintf("exec into a running container (`exec ID /bin/echo`), after %v idle", idle), " isolated exec"
		}
		for i := -3; i < b.o.isolated; i++ { // three rounds of warm-up
			for j := range rs {
				r := rs[(i+3+j)%len(rs)]
				time.Sleep(idle)
				var o outcome
				err := b.retry(r.k.rt.name+" exec", func() error {
					var err error
					if o, err = r.k.rt.invoke(nil, "exec", r.id, "/bin/echo", "hello from exec"); err != nil {
						return err
					}
					if !strings.Contains(o.out, "hello from exec") {
						return fmt.Errorf("%s exec: output %q", r.k.rt.name, o.out)
					}
					return nil
				})
				if err != nil {
					return err
				}
				if i >= 0 {
					b.c.add(section, r.k.rt.name+suffix, "ms", ms(o.wall))
				}
			}
		}
	}
	return nil
}

// phaseCycle: create, start, (wait for exit), delete, each timed.
func (b *bench) phaseCycle() error {
	cases := b.helloCases()
	const section = "create + start + delete (container exits between start and delete)"
	for i := -2; i < b.o.n; i++ {
		for j := range cases {
			k := cases[(i+2+j)%len(cases)]
			c, s, d, err := b.cycle(k)
			if err != nil {
				return err
			}
			if i < 0 {
				continue // warm-up
			}
			b.c.add(section, k.label()+" create", "ms", ms(c.wall))
			b.c.add(section, k.label()+" start", "ms", ms(s.wall))
			b.c.add(section, k.label()+" delete", "ms", ms(d.wall))
			b.c.add(section, k.label()+" create+start+delete", "ms", ms(c.wall+s.wall+d.wall))
			b.c.add("peak RSS of `create` (ru_maxrss: the runtime without its container)", k.label()+" create peak RSS", "MiB", mib(c.maxRSS))
		}
	}
	return nil
}

func (b *bench) cycle(k kase, env ...string) (create, start, del outcome, err error) {
	err = b.retry(k.label()+" create/start/delete", func() error {
		create, start, del, err = b.cycleOnce(k, env...)
		return err
	})
	return create, start, del, err
}

func (b *bench) cycleOnce(k kase, env ...string) (create, start, del outcome, err error) {
	id := newID("cycle")
	fail := func(err error) (outcome, outcome, outcome, error) {
		_ = k.rt.forceDelete(id)
		return outcome{}, outcome{}, outcome{}, err
	}
	pid, create, err := k.rt.create(b.bundles[k.p.name], id, env...)
	if err != nil {
		return fail(err)
	}
	if start, err = k.rt.start(id); err != nil {
		return fail(err)
	}
	if err := waitExit(pid, 30*time.Second); err != nil {
		return fail(err)
	}
	if del, err = k.rt.delete(id); err != nil {
		return fail(err)
	}
	return create, start, del, nil
}

// phaseCold: the Go module with an empty cache (a Cranelift compile) and
// with the warm one, for `run` end to end and for `create` alone (where
// the compile happens), interleaved.
func (b *bench) phaseCold() error {
	const section = "compile cache: Go wasip1 module, cold (empty cache dir) vs warm"
	k := kase{b.wr, goHello}
	for i := 0; i < b.o.cold; i++ {
		dir := filepath.Join(b.o.work, "cold-cache")
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		o, err := b.runOnce(k, "WASM_RUNC_CACHE_DIR="+dir)
		if err != nil {
			return err
		}
		b.c.add(section, "wasm-runc go-hello run, cold cache", "ms", ms(o.wall))
		if o, err = b.runOnce(k); err != nil {
			return err
		}
		b.c.add(section, "wasm-runc go-hello run, warm cache", "ms", ms(o.wall))
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		c, _, _, err := b.cycle(k, "WASM_RUNC_CACHE_DIR="+dir)
		if err != nil {
			return err
		}
		b.c.add(section, "wasm-runc go-hello create, cold cache", "ms", ms(c.wall))
		b.c.add(section, "wasm-runc go-hello create peak RSS, cold cache", "MiB", mib(c.maxRSS))
		if c, _, _, err = b.cycle(k); err != nil {
			return err
		}
		b.c.add(section, "wasm-runc go-hello create, warm cache", "ms", ms(c.wall))
	}
	return os.RemoveAll(filepath.Join(b.o.work, "cold-cache"))
}

// running is a detached container whose memory is being sampled.
type running struct {
	k   kase
	id  string
	pid int
}

func (b *bench) startDetached(k kase) (r running, wall time.Duration, err error) {
	err = b.retry(k.label()+" run -d", func() error {
		id := newID("up")
		pid, o, err := k.rt.runDetached(b.bundles[k.p.name], id)
		if err != nil {
			_ = k.rt.forceDelete(id)
			return err
		}
		r, wall = running{k: k, id: id, pid: pid}, o.wall
		return nil
	})
	return r, wall, err
}

func stopAll(rs []running) {
	for _, r := range rs {
		_ = r.k.rt.forceDelete(r.id)
		_ = waitExit(r.pid, 10*time.Second)
	}
}

// phaseSteady: memory of one running, sleeping container per case.
func (b *bench) phaseSteady() error {
	cases := []kase{
		{b.wr, goSleep}, {b.wr, watSleep}, {b.wr, nativeSleep}, {b.runc, nativeSleep}, {b.crun, nativeSleep},
	}
	return b.sampleRunning("steady memory of one running container (sleeping guest)", cases)
}

// sampleRunning starts one detached container per case, lets them settle,
// records their memory, and stops them; three times.
func (b *bench) sampleRunning(section string, cases []kase) error {
	for rep := 0; rep < 3; rep++ {
		var rs []running
		for _, k := range cases {
			r, _, err := b.startDetached(k)
			if err != nil {
				stopAll(rs)
				return err
			}
			rs = append(rs, r)
		}
		time.Sleep(b.o.settle)
		for _, r := range rs {
			m, err := readMem(r.pid)
			if err != nil {
				stopAll(rs)
				return fmt.Errorf("%s: %w", r.k.label(), err)
			}
			b.c.add(section, r.k.label()+" VmRSS", "MiB", mib(m.RSS))
			b.c.add(section, r.k.label()+" RssAnon+RssShmem", "MiB", mib(m.RSSAnon+m.RSSShmem))
			b.c.add(section, r.k.label()+" Pss", "MiB", mib(m.PSS))
			b.c.add(section, r.k.label()+" cgroup memory usage", "MiB", mib(m.CgUsage))
		}
		stopAll(rs)
	}
	return nil
}

// phaseSeq: containers per second over o.seq sequential foreground runs,
// in ten interleaved chunks per case.
func (b *bench) phaseSeq() error {
	cases := []kase{{b.wr, watHello}, {b.runc, nativeHello}, {b.crun, nativeHello}, {b.wr, nativeHello}}
	const chunks = 10
	per := max(1, b.o.seq/chunks)
	section := fmt.Sprintf("%d sequential containers (`run` of a hello; rate per chunk of %d)", per*chunks, per)
	for c := 0; c < chunks; c++ {
		for j := range cases {
			k := cases[(c+j)%len(cases)]
			t := time.Now()
			for i := 0; i < per; i++ {
				if _, err := b.runOnce(k); err != nil {
					return err
				}
			}
			b.c.add(section, k.label()+" containers/s", "/s", float64(per)/time.Since(t).Seconds())
		}
	}
	return nil
}

// phasePar: o.par containers running at once per case: memory totals.
func (b *bench) phasePar() error {
	cases := []kase{{b.wr, goSleep}, {b.wr, watSleep}, {b.runc, nativeSleep}, {b.crun, nativeSleep}}
	section := fmt.Sprintf("%d containers running at once (sleeping guests): totals", b.o.par)
	for _, k := range cases {
		var rs []running
		t := time.Now()
		for i := 0; i < b.o.par; i++ {
			r, _, err := b.startDetached(k)
			if err != nil {
				stopAll(rs)
				return err
			}
			rs = append(rs, r)
		}
		startRate := float64(len(rs)) / time.Since(t).Seconds()
		time.Sleep(b.o.settle)
		var sum memSample
		for _, r := range rs {
			m, err := readMem(r.pid)
			if err != nil {
				stopAll(rs)
				return fmt.Errorf("%s: %w", k.label(), err)
			}
			sum.add(m)
		}
		t = time.Now()
		stopAll(rs)
		stopRate := float64(len(rs)) / time.Since(t).Seconds()
		label := fmt.Sprintf("%s x%d", k.label(), b.o.par)
		b.c.add(section, label+" sum of VmRSS", "MiB", mib(sum.RSS))
		b.c.add(section, label+" sum of Pss", "MiB", mib(sum.PSS))
		b.c.add(section, label+" sum of cgroup usage", "MiB", mib(sum.CgUsage))
		b.c.add(section, label+" started (run -d)", "/s", startRate)
		b.c.add(section, label+" removed (delete --force)", "/s", stopRate)
	}
	return nil
}

// ratios are the comparisons the issue asks for, with its targets.
func (b *bench) ratios() []ratio {
	var out []ratio
	add := func(r ratio, ok bool) {
		if ok {
			out = append(out, r)
		}
	}
	c := b.c
	add(c.ratioOf("native run: wasm-runc / runc", "wasm-runc native-hello run", "runc native-hello run", 1.0, "lower"))
	add(c.ratioOf("native run: wasm-runc / crun", "wasm-runc native-hello run", "crun native-hello run", 0, "lower"))
	for _, ph := range []string{"create", "start", "delete", "create+start+delete"} {
		target := 0.0
		if ph == "create+start+delete" {
			target = 1.0
		}
		add(c.ratioOf("native cycle "+ph+": wasm-runc / runc", "wasm-runc native-hello "+ph, "runc native-hello "+ph, target, "lower"))
		add(c.ratioOf("native cycle "+ph+": wasm-runc / crun", "wasm-runc native-hello "+ph, "crun native-hello "+ph, 0, "lower"))
	}
	for _, p := range []string{"wat-hello", "go-hello"} {
		add(c.ratioOf("Wasm run "+p+" / runc native run", "wasm-runc "+p+" run", "runc native-hello run", 1.0, "lower"))
		add(c.ratioOf("Wasm run "+p+" / crun native run", "wasm-runc "+p+" run", "crun native-hello run", 1.5, "lower"))
	}
	add(c.ratioOf("isolated native run: wasm-runc / runc", "wasm-runc native-hello isolated run", "runc native-hello isolated run", 1.0, "lower"))
	add(c.ratioOf("isolated native run: wasm-runc / crun", "wasm-runc native-hello isolated run", "crun native-hello isolated run", 0, "lower"))
	for _, p := range []string{"wat-hello", "go-hello"} {
		add(c.ratioOf("isolated Wasm run "+p+" / runc native", "wasm-runc "+p+" isolated run", "runc native-hello isolated run", 1.0, "lower"))
		add(c.ratioOf("isolated Wasm run "+p+" / crun native", "wasm-runc "+p+" isolated run", "crun native-hello isolated run", 1.5, "lower"))
	}
	for _, e := range []string{"exec", "isolated exec"} {
		add(c.ratioOf(e+": wasm-runc / runc", "wasm-runc "+e, "runc "+e, 0, "lower"))
		add(c.ratioOf(e+": wasm-runc / crun", "wasm-runc "+e, "crun "+e, 0, "lower"))
	}
	add(c.ratioOf("Wasm cycle go-hello / runc native cycle", "wasm-runc go-hello create+start+delete", "runc native-hello create+start+delete", 0, "lower"))
	add(c.ratioOf("Go module run: cold cache / warm cache", "wasm-runc go-hello run, cold cache", "wasm-runc go-hello run, warm cache", 50, "higher"))
	add(c.ratioOf("Go module create: cold cache / warm cache", "wasm-runc go-hello create, cold cache", "wasm-runc go-hello create, warm cache", 50, "higher"))
	add(c.ratioOf("peak RSS of run: wasm-runc go-hello / runc native", "wasm-runc go-hello peak RSS", "runc native-hello peak RSS", 0, "lower"))
	add(c.ratioOf("peak RSS of create: wasm-runc go-hello / runc native", "wasm-runc go-hello create peak RSS", "runc native-hello create peak RSS", 0, "lower"))
	add(c.absolute("running Wasm container (Go sleeper) VmRSS", "wasm-runc go-sleep VmRSS", 15, "lower"))
	add(c.absolute("running Wasm container (Go sleeper) RssAnon+RssShmem", "wasm-runc go-sleep RssAnon+RssShmem", 15, "lower"))
	add(c.absolute("running Wasm container (Go sleeper) cgroup usage", "wasm-runc go-sleep cgroup memory usage", 15, "lower"))
	add(c.absolute("running Wasm container (WAT sleeper) VmRSS", "wasm-runc wat-sleep VmRSS", 15, "lower"))
	add(c.ratioOf("running container VmRSS: Wasm Go / runc native", "wasm-runc go-sleep VmRSS", "runc native-sleep VmRSS", 0, "lower"))
	add(c.ratioOf("running container cgroup: Wasm Go / runc native", "wasm-runc go-sleep cgroup memory usage", "runc native-sleep cgroup memory usage", 0, "lower"))
	add(c.ratioOf("sequential containers/s: Wasm WAT / runc native", "wasm-runc wat-hello containers/s", "runc native-hello containers/s", 1.0, "higher"))
	add(c.ratioOf("sequential containers/s: Wasm WAT / crun native", "wasm-runc wat-hello containers/s", "crun native-hello containers/s", 0, "higher"))
	par := fmt.Sprintf(" x%d", b.o.par)
	add(c.ratioOf("running at once, cgroup total: Wasm Go / runc native", "wasm-runc go-sleep"+par+" sum of cgroup usage", "runc native-sleep"+par+" sum of cgroup usage", 0, "lower"))
	add(c.ratioOf("running at once, Pss total: Wasm Go / runc native", "wasm-runc go-sleep"+par+" sum of Pss", "runc native-sleep"+par+" sum of Pss", 0, "lower"))
	b.guestRatios(add)
	return out
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func kernel() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	b := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
