package bench_test

import (
	"bytes"
	"crypto/fips140"
	"crypto/sha256"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/bench/bench"
)

var tiny = bench.Config{Mode: bench.Tiny}

// TestEveryComparison runs one tiny round of every comparison, so that none
// can rot: each builds, each contender runs without error, and each rival
// yields a finite positive ratio.
func TestEveryComparison(t *testing.T) {
	for _, d := range bench.Defs() {
		t.Run(d.Name, func(t *testing.T) {
			if fips140.Enforced() && d.NotFIPS != "" {
				t.Skipf("FIPS 140-only mode: %s", d.NotFIPS)
			}
			pending, err := d.Build(tiny)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) == 0 {
				t.Fatal("no comparisons")
			}
			for _, p := range pending {
				t.Run(p.Name, func(t *testing.T) {
					c, err := p.Make()
					if err != nil {
						t.Fatal(err)
					}
					res, err := bench.Measure(c, tiny.Settings())
					if err != nil {
						t.Fatal(err)
					}
					if len(res.Ratios) != len(c.Rivals) || len(res.Rivals) != len(c.Rivals) {
						t.Fatalf("%d ratios, %d rival times for %d rivals", len(res.Ratios), len(res.Rivals), len(c.Rivals))
					}
					if !positive(res.Ours.Median) {
						t.Errorf("sealkit time %v", res.Ours.Median)
					}
					for i, r := range res.Ratios {
						if !positive(r.Median) {
							t.Errorf("%s: ratio %v", c.Rivals[i].Ratio, r.Median)
						}
						if !strings.HasPrefix(c.Rivals[i].Ratio, p.Name) {
							t.Errorf("ratio name %q does not start with %q", c.Rivals[i].Ratio, p.Name)
						}
					}
				})
			}
		})
	}
}

// TestProbes runs every probe at its tiny size.
func TestProbes(t *testing.T) {
	for _, p := range bench.Probes() {
		t.Run(p.Name, func(t *testing.T) {
			if fips140.Enforced() && p.NotFIPS != "" {
				t.Skipf("FIPS 140-only mode: %s", p.NotFIPS)
			}
			ms, err := p.Run(tiny)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				t.Fatal("no metrics")
			}
			for _, m := range ms {
				if m.Value < 0 || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) || m.Name == "" || m.Unit == "" {
					t.Errorf("bad metric %+v", m)
				}
			}
		})
	}
}

// TestReport checks the report carries one ratio line per rival, a
// throughput line per series and size, and parses back for the plot.
func TestReport(t *testing.T) {
	match := func(name string) bool { return name == "rsa" || name == "parallel" || name == "allocs" }
	rep, err := bench.Run(bench.Options{Config: tiny, Match: match})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| comparison | sealkit |",
		"\nratio rsa2048-unwrap/vs-decrypt-oaep ",
		"\nratio parallel-seal/256KiB/vs-one-goroutine ",
		"\nratio parallel-open/256KiB/vs-one-goroutine ",
		"\nmetric allocs-per-segment/seal/concurrency-1 ",
		"\ntargets missed: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if len(rep.Results) != 3 {
		t.Errorf("%d results, want 3", len(rep.Results))
	}
}

// TestMissed checks that a ratio under its target is reported missed
// outside tiny mode and that a metric's verdict is honoured.
func TestMissed(t *testing.T) {
	c := &bench.Comparison{Name: "x", Title: "x", Ours: bench.Contender{Name: "ours", Op: work(64)},
		Rivals: []bench.Rival{{Contender: bench.Contender{Name: "cheap", Op: work(1)}, Ratio: "x/vs-cheap", Target: 1}}}
	res, err := bench.Measure(c, bench.Settings{Rounds: 3, MinIters: 5})
	if err != nil {
		t.Fatal(err)
	}
	rep := &bench.Report{Mode: bench.Quick, Results: []*bench.Result{res},
		Metrics: []bench.Metric{{Name: "m", Title: "m", Unit: "x", Target: "0", Met: false}}}
	if got := rep.Missed(); len(got) != 2 || got[0] != "x/vs-cheap" || got[1] != "m" {
		t.Errorf("Missed() = %q, want [x/vs-cheap m]", got)
	}
	rep.Mode = bench.Tiny
	if got := rep.Missed(); len(got) != 0 {
		t.Errorf("tiny Missed() = %q, want none", got)
	}
}

// work returns an operation hashing n KiB.
func work(n int) func() error {
	buf := make([]byte, n<<10)
	return func() error {
		sha256.Sum256(buf)
		return nil
	}
}

// TestMeasureOrdersByCost checks the direction of the ratio: a rival doing
// 64 times the work of ours must come out well above 1, a rival doing 1/64
// of it well below.
func TestMeasureOrdersByCost(t *testing.T) {
	tests := []struct {
		name       string
		ours, them int
		above      bool
	}{
		{"rival-slower", 1, 64, true},
		{"rival-faster", 64, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &bench.Comparison{Name: tt.name, Ours: bench.Contender{Name: "ours", Op: work(tt.ours)},
				Rivals: []bench.Rival{{Contender: bench.Contender{Name: "them", Op: work(tt.them)}, Ratio: tt.name}}}
			res, err := bench.Measure(c, bench.Settings{Rounds: 3, MinIters: 5})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Ratios[0].Median
			if tt.above && r < 4 || !tt.above && r > 0.25 {
				t.Errorf("ratio %.3f for %d KiB vs %d KiB of hashing", r, tt.ours, tt.them)
			}
		})
	}
}

var errBoom = errors.New("boom")

// TestMeasureFails checks that a failing contender stops the measurement
// with an error naming it.
func TestMeasureFails(t *testing.T) {
	calls := 0
	failLater := func() error {
		calls++
		if calls > 2 {
			return errBoom
		}
		return nil
	}
	tests := []struct {
		name string
		ours func() error
		them func() error
	}{
		{"ours-fails", func() error { return errBoom }, work(1)},
		{"rival-fails", work(1), func() error { return errBoom }},
		{"rival-fails-in-round", work(1), failLater},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &bench.Comparison{Name: tt.name, Ours: bench.Contender{Name: "ours", Op: tt.ours},
				Rivals: []bench.Rival{{Contender: bench.Contender{Name: "them", Op: tt.them}, Ratio: "r"}}}
			_, err := bench.Measure(c, bench.Settings{Rounds: 2, MinIters: 2})
			if !errors.Is(err, bench.ErrContender) || !errors.Is(err, errBoom) {
				t.Fatalf("err = %v, want ErrContender wrapping errBoom", err)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 100}, 1},
	}
	for _, tt := range tests {
		if got := bench.Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := bench.Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestParseThroughput(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		series int
		err    bool
	}{
		{"empty", "", 0, false},
		{"other-lines", "ratio a 1.0\n| x |\n", 0, false},
		{"two-series", "throughput a/seal 1024 5.5\nthroughput b/seal 1024 6\nthroughput a/seal 64 1\n", 2, false},
		{"fields", "throughput a 1024\n", 0, true},
		{"size", "throughput a -1 3\n", 0, true},
		{"nan", "throughput a 10 NaN\n", 0, true},
		{"inf", "throughput a 10 +Inf\n", 0, true},
		{"long-line", "throughput a 10 " + strings.Repeat("1", 5000) + "\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := bench.ParseThroughput(strings.NewReader(tt.in))
			if tt.err {
				if err == nil {
					t.Fatalf("no error, got %v", s)
				}
				if !errors.Is(err, bench.ErrBadReport) {
					t.Fatalf("err = %v, want ErrBadReport", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s) != tt.series {
				t.Fatalf("%d series, want %d", len(s), tt.series)
			}
		})
	}
	var many strings.Builder
	for i := range bench.MaxSeries + 1 {
		fmt.Fprintf(&many, "throughput s%d 1 1\n", i)
	}
	if _, err := bench.ParseThroughput(strings.NewReader(many.String())); !errors.Is(err, bench.ErrBadReport) {
		t.Errorf("%d series: err = %v, want ErrBadReport", bench.MaxSeries+1, err)
	}
}

// TestPlot draws the sample report and decodes the PNG.
func TestPlot(t *testing.T) {
	f, err := os.Open("testdata/quick-report.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	series, err := bench.ParseThroughput(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 8 {
		t.Fatalf("%d series, want 8", len(series))
	}
	var b bytes.Buffer
	if err := bench.DrawPNG(&b, "test", series); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() < 400 || r.Dy() < 300 {
		t.Errorf("image %v", r)
	}
	if err := bench.DrawPNG(&b, "empty", nil); err == nil {
		t.Error("no error plotting nothing")
	}
}

// FuzzParseThroughput feeds arbitrary reports to the parser and the plot:
// neither may panic or run away.
func FuzzParseThroughput(f *testing.F) {
	sample, err := os.ReadFile("testdata/quick-report.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("throughput a 1 0\nthroughput a 9223372036854775807 1e300\n"))
	f.Add([]byte("throughput a 1 1\nthroughput b 1 1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := bench.ParseThroughput(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(s) > bench.MaxSeries {
			t.Fatalf("%d series", len(s))
		}
		var b bytes.Buffer
		bench.DrawPNG(&b, "fuzz", s)
	})
}

func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }
