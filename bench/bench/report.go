package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	GoVersion  string
	OS, Arch   string
	CPU        string
	NumCPU     int
	GOMAXPROCS int
	Date       time.Time
}

// ThisMachine describes the running machine.
func ThisMachine() Machine {
	return Machine{
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPU:        cpuModel(),
		NumCPU:     runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Date:       time.Now().UTC(),
	}
}

// LoadAvg returns the first three fields of /proc/loadavg, or "unknown".
func LoadAvg() string {
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

// cpuModel reads the CPU model from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Report is a whole run: results, probe figures, and what was skipped.
type Report struct {
	Machine Machine
	Mode    Mode
	Elapsed time.Duration
	// LoadStart and LoadEnd are /proc/loadavg at the start and end: other
	// work on the machine disturbs above all the parallel rows.
	LoadStart, LoadEnd string
	Results            []*Result
	Metrics            []Metric
	Skipped            []string
}

// Missed lists the ratio and metric names whose targets were not met.
// Tiny runs measure nothing worth a verdict and miss nothing.
func (r *Report) Missed() []string {
	if r.Mode == Tiny {
		return nil
	}
	var out []string
	for _, res := range r.Results {
		for i, rv := range res.Comparison.Rivals {
			if rv.Target > 0 && res.Ratios[i].Median < rv.Target {
				out = append(out, rv.Ratio)
			}
		}
	}
	for _, m := range r.Metrics {
		if m.Target != "" && !m.Met {
			out = append(out, m.Name)
		}
	}
	return out
}

// Write prints the report: a header, a markdown table of comparisons, one
// of probe figures, then the machine-readable lines
//
//	ratio <name> <value>          rival time ÷ sealkit time (> 1: sealkit faster)
//	metric <name> <value> <unit>  a probe figure
//	throughput <series> <bytes> <MB/s>  for the plot
func (r *Report) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m := r.Machine
	fmt.Fprintf(bw, "# sealkit side-by-side benchmarks (%s mode)\n\n", r.Mode)
	fmt.Fprintf(bw, "- machine: %s, %d CPUs, GOMAXPROCS %d, %s/%s\n", m.CPU, m.NumCPU, m.GOMAXPROCS, m.OS, m.Arch)
	fmt.Fprintf(bw, "- Go: %s\n- date: %s\n- elapsed: %s\n", m.GoVersion, m.Date.Format(time.RFC3339), r.Elapsed.Round(time.Second))
	fmt.Fprintf(bw, "- load average (1, 5, 15 min) at start: %s; at end: %s\n", r.LoadStart, r.LoadEnd)
	fmt.Fprintf(bw, "- ratio = contender's time ÷ sealkit's time, median of %d rounds (min–max); above 1 means sealkit is faster\n", r.rounds())
	fmt.Fprintf(bw, "- ceiling = contender's time ÷ the bare primitive's time in the same rounds: the ratio sealkit would reach at zero overhead\n\n")

	fmt.Fprintln(bw, "| comparison | sealkit | contender | contender's | ratio | ceiling | target | met |")
	fmt.Fprintln(bw, "|---|---|---|---|---|---|---|---|")
	for _, res := range r.Results {
		c := res.Comparison
		ours := cell(c.Bytes, res.Ours.Median, res.Allocs[0])
		if len(c.Rivals) == 0 {
			fmt.Fprintf(bw, "| %s | %s | | | | | | |\n", c.Title, ours)
		}
		for i, rv := range c.Rivals {
			st := res.Ratios[i]
			tgt, met := "", ""
			if rv.Target > 0 {
				tgt = fmt.Sprintf("≥ %.2f", rv.Target)
				met = "yes"
				switch {
				case r.Mode == Tiny:
					met = "n/a (tiny)"
				case st.Median < rv.Target:
					met = "**no**"
				}
			}
			ceil := ""
			if x, ok := res.Ceiling(i); ok {
				ceil = fmt.Sprintf("%.2f", x)
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %.2f (%.2f–%.2f) | %s | %s | %s |\n",
				c.Title, ours, rv.Name, cell(c.Bytes, res.Rivals[i].Median, res.Allocs[i+1]),
				st.Median, st.Min, st.Max, ceil, tgt, met)
		}
	}
	if len(r.Metrics) > 0 {
		fmt.Fprintln(bw, "\n| probe | value | target | met |")
		fmt.Fprintln(bw, "|---|---|---|---|")
		for _, x := range r.Metrics {
			met := ""
			if x.Target != "" {
				met = "yes"
				if !x.Met {
					met = "**no**"
				}
			}
			fmt.Fprintf(bw, "| %s | %s %s | %s | %s |\n", x.Title, number(x.Value), x.Unit, x.Target, met)
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(bw, "\nskipped: %s\n", s)
	}
	missed := r.Missed()
	fmt.Fprintf(bw, "\ntargets missed: %d", len(missed))
	if len(missed) > 0 {
		fmt.Fprintf(bw, " (%s)", strings.Join(missed, ", "))
	}
	fmt.Fprint(bw, "\n\n")
	for _, res := range r.Results {
		for i, rv := range res.Comparison.Rivals {
			fmt.Fprintf(bw, "ratio %s %.3f\n", rv.Ratio, res.Ratios[i].Median)
		}
	}
	for _, res := range r.Results {
		for i, rv := range res.Comparison.Rivals {
			if x, ok := res.Ceiling(i); ok {
				fmt.Fprintf(bw, "ceiling %s %.3f\n", rv.Ratio, x)
			}
		}
	}
	for _, x := range r.Metrics {
		fmt.Fprintf(bw, "metric %s %s %s\n", x.Name, strings.ReplaceAll(number(x.Value), ",", ""), x.Unit)
	}
	for _, res := range r.Results {
		c := res.Comparison
		if c.Bytes == 0 || len(c.Series) == 0 {
			continue
		}
		times := append([]Stat{res.Ours}, res.Rivals...)
		for i, s := range c.Series {
			if i < len(times) {
				fmt.Fprintf(bw, "throughput %s %d %.1f\n", s, c.Bytes, mbps(c.Bytes, times[i].Median))
			}
		}
	}
	return bw.Flush()
}

// Ceiling returns, for rival i, the median over rounds of rival i's time
// divided by the bare primitive's: the ratio sealkit would reach if it
// cost exactly what the primitive does. ok is false for the bare rival
// itself and for comparisons without one.
func (res *Result) Ceiling(i int) (float64, bool) {
	c := res.Comparison
	for j, rv := range c.Rivals {
		if rv.Bare && j != i {
			xs := make([]float64, len(res.PerRound[i+1]))
			for r := range xs {
				xs[r] = res.PerRound[i+1][r] / res.PerRound[j+1][r]
			}
			return Median(xs), true
		}
	}
	return 0, false
}

func (r *Report) rounds() int {
	if len(r.Results) == 0 {
		return 0
	}
	return r.Results[0].Rounds
}

func mbps(bytes int64, ns float64) float64 {
	if ns <= 0 {
		return math.Inf(1)
	}
	return float64(bytes) / ns * 1e3
}

// cell renders a contender's median: throughput if bytes matter, else time;
// then its allocations per operation.
func cell(bytes int64, ns, allocs float64) string {
	var s string
	switch {
	case bytes > 0:
		s = fmt.Sprintf("%s MB/s", number(mbps(bytes, ns)))
	case ns >= 1e6:
		s = fmt.Sprintf("%.2f ms", ns/1e6)
	default:
		s = fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%s, %s allocs", s, number(allocs))
}

// number prints x with thousands separators and sensible precision.
func number(x float64) string {
	switch {
	case math.IsInf(x, 0) || math.IsNaN(x):
		return fmt.Sprint(x)
	case x >= 100:
		s := fmt.Sprintf("%.0f", x)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case x >= 10 || x == math.Trunc(x):
		return fmt.Sprintf("%.0f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}
