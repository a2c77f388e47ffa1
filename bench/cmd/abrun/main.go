// Command abrun compares builds of a runtime (or runtimes) start by start:
// each round runs `<binary> run` of one bundle once per variant, in a fresh
// random order, optionally after an idle pause, and the report gives each
// variant's median and the median of its per-round difference from the
// first variant. Pairing the starts of one round cancels most of the load
// that shifts between rounds on a shared machine. docs/performance.md uses
// it for its before/after tables:
//
//	go run ./bench/cmd/abrun -bundle B -rounds 150 -idle 100ms \
//	    before=/tmp/a/wasm-runc after=/tmp/b/wasm-runc runc=/usr/sbin/runc
//
// Every variant gets a private --root and a private compiled-module cache
// (WASM_RUNC_CACHE_DIR, which runc and crun ignore) under a temporary
// directory: builds with different cache layouts or engines would otherwise
// evict each other's entries. Warm-up starts fill the caches before
// measuring.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type variant struct{ name, bin, root, cache string }

// work holds the state roots and the cache; fatal removes it too.
var work string

func main() {
	bundle := flag.String("bundle", "", "bundle to run (required)")
	rounds := flag.Int("rounds", 100, "rounds; each runs every variant once")
	idle := flag.Duration("idle", 0, "pause before each start (0: back to back)")
	warm := flag.Int("warm", 3, "unmeasured starts per variant first")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: abrun -bundle B [-rounds N] [-idle D] name=binary...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *bundle == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	work, err = os.MkdirTemp("", "abrun.")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)
	var vs []variant
	for i, a := range flag.Args() {
		name, bin, ok := strings.Cut(a, "=")
		if !ok {
			fatal(fmt.Errorf("%q: want name=binary", a))
		}
		vs = append(vs, variant{name, bin, filepath.Join(work, fmt.Sprint("root", i)), filepath.Join(work, fmt.Sprint("cache", i))})
	}
	seq := 0
	start := func(v variant) time.Duration {
		seq++
		id := fmt.Sprintf("abrun-%d-%d", os.Getpid(), seq)
		cmd := exec.Command(v.bin, "--root", v.root, "run", "--bundle", *bundle, id)
		cmd.Env = append(os.Environ(), "WASM_RUNC_CACHE_DIR="+v.cache)
		cmd.Stderr = os.Stderr
		t := time.Now()
		err := cmd.Run()
		d := time.Since(t)
		if err != nil {
			_ = exec.Command(v.bin, "--root", v.root, "delete", "--force", id).Run()
			fatal(fmt.Errorf("%s: %w", v.name, err))
		}
		return d
	}
	for _, v := range vs {
		for range *warm {
			start(v)
		}
	}
	times := make([][]float64, len(vs))
	order := make([]int, len(vs))
	for r := 0; r < *rounds; r++ {
		for i := range order {
			order[i] = i
		}
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			time.Sleep(*idle)
			times[i] = append(times[i], float64(start(vs[i]))/float64(time.Millisecond))
		}
	}
	fmt.Printf("%d rounds, idle %v, bundle %s\n", *rounds, *idle, *bundle)
	for i, v := range vs {
		diff := make([]float64, *rounds)
		for r := range diff {
			diff[r] = times[i][r] - times[0][r]
		}
		fmt.Printf("%-12s median %7.2f ms  p25 %7.2f  p75 %7.2f  paired difference from %s: %+.2f ms (p25 %+.2f, p75 %+.2f)\n",
			v.name, quantile(times[i], 0.5), quantile(times[i], 0.25), quantile(times[i], 0.75),
			vs[0].name, quantile(diff, 0.5), quantile(diff, 0.25), quantile(diff, 0.75))
	}
}

func quantile(x []float64, q float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "abrun:", err)
	if work != "" {
		os.RemoveAll(work)
	}
	os.Exit(1)
}
