package bench

import (
	"crypto/fips140"
	"fmt"
	"io"
	"time"
)

// Options select what Run measures.
type Options struct {
	Config Config
	// Match, if set, selects comparisons and probes by name (the Def or
	// Probe name, or the comparison's, e.g. "stream", "seal/64MiB").
	Match func(name string) bool
	// Progress, if set, receives one line per comparison as it finishes.
	Progress io.Writer
}

// Run measures every selected comparison and probe, one after another in
// this process, and returns the report. Under GODEBUG=fips140=only the
// comparisons that need what FIPS mode refuses are skipped and listed.
func Run(o Options) (*Report, error) {
	start := time.Now()
	cfg := o.Config
	rep := &Report{Machine: ThisMachine(), Mode: cfg.Mode, LoadStart: LoadAvg()}
	match := o.Match
	if match == nil {
		match = func(string) bool { return true }
	}
	logf := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format, args...)
		}
	}
	for _, d := range Defs() {
		if fips140.Enforced() && d.NotFIPS != "" {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (FIPS 140-only mode: %s)", d.Name, d.NotFIPS))
			continue
		}
		pending, err := d.Build(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
		for _, p := range pending {
			if !match(d.Name) && !match(p.Name) {
				continue
			}
			t0 := time.Now()
			c, err := p.Make()
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", d.Name, p.Name, err)
			}
			res, err := Measure(c, cfg.Settings())
			if err != nil {
				return nil, err
			}
			rep.Results = append(rep.Results, res)
			rep.Metrics = append(rep.Metrics, limits(res)...)
			logf("%-28s %6.1fs", p.Name, time.Since(t0).Seconds())
			for i, rv := range c.Rivals {
				logf("  %s %.2f", rv.Ratio, res.Ratios[i].Median)
			}
			logf("\n")
		}
	}
	for _, p := range Probes() {
		if !match(p.Name) {
			continue
		}
		if fips140.Enforced() && p.NotFIPS != "" {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (FIPS 140-only mode: %s)", p.Name, p.NotFIPS))
			continue
		}
		t0 := time.Now()
		ms, err := p.Run(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		rep.Metrics = append(rep.Metrics, ms...)
		logf("%-28s %6.1fs\n", p.Name, time.Since(t0).Seconds())
	}
	rep.Elapsed = time.Since(start)
	rep.LoadEnd = LoadAvg()
	return rep, nil
}

// limits turns a comparison's limits on sealkit's own cost into metrics.
func limits(res *Result) []Metric {
	c := res.Comparison
	var out []Metric
	if c.MaxTime > 0 {
		us := res.Ours.Median / 1e3
		limit := float64(c.MaxTime.Nanoseconds()) / 1e3
		out = append(out, Metric{Name: c.Name + "/time", Title: c.Title + ": time", Value: us, Unit: "µs",
			Target: fmt.Sprintf("≤ %g", limit), Met: us <= limit})
	}
	if c.MaxAllocs > 0 {
		a := res.Allocs[0]
		out = append(out, Metric{Name: c.Name + "/allocs", Title: c.Title + ": allocations", Value: a, Unit: "allocs",
			Target: fmt.Sprintf("≤ %g", c.MaxAllocs), Met: a <= c.MaxAllocs})
	}
	return out
}
