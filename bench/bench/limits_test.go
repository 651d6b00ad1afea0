package bench

import (
	"testing"
	"time"
)

// TestLimits checks that a comparison's limits on sealkit's own time and
// allocations become metrics with verdicts, which Missed then counts.
func TestLimits(t *testing.T) {
	res := &Result{
		Comparison: &Comparison{Name: "fixed-x", Title: "x", MaxTime: 3 * time.Microsecond, MaxAllocs: 25},
		Ours:       Stat{Median: 4000}, // ns
		Allocs:     []float64{12},
	}
	ms := limits(res)
	if len(ms) != 2 {
		t.Fatalf("%d metrics, want 2", len(ms))
	}
	if m := ms[0]; m.Name != "fixed-x/time" || m.Value != 4 || m.Unit != "µs" || m.Met {
		t.Errorf("time metric %+v: want fixed-x/time, 4 µs, missed", m)
	}
	if m := ms[1]; m.Name != "fixed-x/allocs" || m.Value != 12 || !m.Met {
		t.Errorf("allocs metric %+v: want fixed-x/allocs, 12, met", m)
	}
	rep := &Report{Mode: Quick, Metrics: ms}
	if got := rep.Missed(); len(got) != 1 || got[0] != "fixed-x/time" {
		t.Errorf("Missed() = %q, want [fixed-x/time]", got)
	}
	if ms := limits(&Result{Comparison: &Comparison{Name: "y"}, Allocs: []float64{1}}); len(ms) != 0 {
		t.Errorf("no limits gave %d metrics", len(ms))
	}
}
