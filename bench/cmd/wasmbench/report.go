package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// stat summarizes the samples of one measurement.
type stat struct {
	Section string  `json:"section"`
	Name    string  `json:"name"`
	Unit    string  `json:"unit"`
	N       int     `json:"n"`
	Median  float64 `json:"median"`
	P90     float64 `json:"p90"`
	Min     float64 `json:"min"`
}

// ratio compares the medians of two stats (or holds a derived figure).
type ratio struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Of     string  `json:"of"`
	Over   string  `json:"over,omitempty"`
	Target float64 `json:"target,omitempty"`
	Better string  `json:"better"` // "lower" or "higher": which way meets the target
	Met    *bool   `json:"met,omitempty"`
	Unit   string  `json:"unit,omitempty"` // "x" for ratios, else an absolute target's unit
	Method string  `json:"method,omitempty"`
}

type meta struct {
	Date      string            `json:"date"`
	Host      string            `json:"host"`
	Kernel    string            `json:"kernel"`
	CPUs      int               `json:"cpus"`
	LoadStart string            `json:"load_start"`
	LoadEnd   string            `json:"load_end"`
	Versions  map[string]string `json:"versions"`
	Params    map[string]int    `json:"params"`
	Seconds   float64           `json:"seconds"`
	Notes     []string          `json:"notes,omitempty"`
}

type results struct {
	Meta   meta    `json:"meta"`
	Stats  []stat  `json:"stats"`
	Ratios []ratio `json:"ratios"`
}

// collector gathers samples in the order measurements first appear.
type collector struct {
	order   []string
	section map[string]string
	unit    map[string]string
	samples map[string][]float64
}

func newCollector() *collector {
	return &collector{section: map[string]string{}, unit: map[string]string{}, samples: map[string][]float64{}}
}

func (c *collector) add(section, name, unit string, v float64) {
	if _, ok := c.samples[name]; !ok {
		c.order = append(c.order, name)
		c.section[name] = section
		c.unit[name] = unit
	}
	c.samples[name] = append(c.samples[name], v)
}

func (c *collector) has(name string) bool { return len(c.samples[name]) > 0 }

func (c *collector) median(name string) float64 { return summarize(c.samples[name]).Median }

func (c *collector) stats() []stat {
	out := make([]stat, 0, len(c.order))
	for _, name := range c.order {
		s := summarize(c.samples[name])
		s.Section, s.Name, s.Unit = c.section[name], name, c.unit[name]
		s.Median, s.P90, s.Min = round3(s.Median), round3(s.P90), round3(s.Min)
		out = append(out, s)
	}
	return out
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func summarize(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	p90 := s[int(math.Ceil(0.9*float64(len(s))))-1]
	return stat{N: len(s), Median: med, P90: p90, Min: s[0]}
}

// ratioOf compares of with over, judged against target. Samples taken in
// the same round (same count, same order) are paired: the ratio is the
// median of the per-round ratios, which cancels load that shifts between
// rounds. Otherwise it is the ratio of the medians.
func (c *collector) ratioOf(name, of, over string, target float64, better string) (ratio, bool) {
	a, b := c.samples[of], c.samples[over]
	if len(a) == 0 || len(b) == 0 || c.median(over) == 0 {
		return ratio{}, false
	}
	r := ratio{Name: name, Of: of, Over: over, Target: target, Better: better, Unit: "x", Method: "ratio of medians"}
	r.Value = c.median(of) / c.median(over)
	if len(a) == len(b) && len(a) > 1 {
		per := make([]float64, len(a))
		for i := range a {
			if b[i] == 0 {
				return ratio{}, false
			}
			per[i] = a[i] / b[i]
		}
		r.Value, r.Method = summarize(per).Median, "median of paired ratios"
	}
	r.Value = round3(r.Value)
	r.judge()
	return r, true
}

// absolute is a figure judged against an absolute limit (e.g. MiB).
func (c *collector) absolute(name, of string, target float64, better string) (ratio, bool) {
	if !c.has(of) {
		return ratio{}, false
	}
	r := ratio{Name: name, Value: round3(c.median(of)), Of: of, Target: target, Better: better, Unit: c.unit[of]}
	r.judge()
	return r, true
}

func (r *ratio) judge() {
	if r.Target == 0 {
		return
	}
	met := r.Value <= r.Target
	if r.Better == "higher" {
		met = r.Value >= r.Target
	}
	r.Met = &met
}

func (r ratio) targetText() string {
	if r.Target == 0 {
		return ""
	}
	op := "<="
	if r.Better == "higher" {
		op = ">="
	}
	if r.Unit == "x" {
		return fmt.Sprintf("%s %gx", op, r.Target)
	}
	return fmt.Sprintf("%s %g %s", op, r.Target, r.Unit)
}

func (r ratio) valueText() string {
	if r.Unit == "x" {
		return fmt.Sprintf("%.2fx", r.Value)
	}
	return fmt.Sprintf("%.1f %s", r.Value, r.Unit)
}

func (r ratio) verdict() string {
	switch {
	case r.Met == nil:
		return ""
	case *r.Met:
		return "met"
	default:
		return "MISSED"
	}
}

// text renders the results as the table in results.txt.
func (res *results) text() string {
	var b strings.Builder
	m := res.Meta
	fmt.Fprintf(&b, "wasm-runc benchmark, %s, %s (kernel %s, %d CPUs), %.0f s\n", m.Date, m.Host, m.Kernel, m.CPUs, m.Seconds)
	fmt.Fprintf(&b, "load average at start: %s; at end: %s\n", m.LoadStart, m.LoadEnd)
	names := make([]string, 0, len(m.Versions))
	for k := range m.Versions {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", k, m.Versions[k])
	}
	params := make([]string, 0, len(m.Params))
	for k, v := range m.Params {
		params = append(params, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(params)
	fmt.Fprintf(&b, "parameters: %s\n", strings.Join(params, " "))
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	var sections []string
	seen := map[string]bool{}
	for _, s := range res.Stats {
		if !seen[s.Section] {
			seen[s.Section] = true
			sections = append(sections, s.Section)
		}
	}
	for _, section := range sections {
		fmt.Fprintf(&b, "\n%-58s %10s %10s %10s %4s\n", "## "+section, "median", "p90", "min", "n")
		for _, s := range res.Stats {
			if s.Section == section {
				fmt.Fprintf(&b, "%-58s %10s %10s %10s %4d\n", s.Name, num(s.Median, s.Unit), num(s.P90, s.Unit), num(s.Min, s.Unit), s.N)
			}
		}
	}
	fmt.Fprintf(&b, "\n%-58s %10s %12s %7s\n", "## ratios (median of per-round ratios) and targets", "value", "target", "")
	for _, r := range res.Ratios {
		fmt.Fprintf(&b, "%-58s %10s %12s %7s\n", r.Name, r.valueText(), r.targetText(), r.verdict())
	}
	return b.String()
}

func num(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "MiB":
		return fmt.Sprintf("%.1f MiB", v)
	case "/s":
		return fmt.Sprintf("%.1f /s", v)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

func (res *results) writeJSON(path string) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
