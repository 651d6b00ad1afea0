package bench

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// A Contender is one implementation of a comparison's job. Op performs the
// job once; all set-up (keys, buffers, inputs) happens before.
type Contender struct {
	Name string
	Op   func() error
	// Prepare, if set, makes the next n calls of Op valid, outside the
	// timing: for operations that consume their input, such as a request
	// whose nonce a replay store remembers.
	Prepare func(n int) error
}

// A Rival is a contender that sealkit is measured against.
type Rival struct {
	Contender
	// Ratio names the machine-readable line: "ratio <Ratio> <value>".
	Ratio string
	// Target is the lowest acceptable ratio; 0 means none (informational).
	Target float64
	// Bare marks the bare primitive: the other rivals' times divided by its
	// time are the highest ratio sealkit could reach against them (its
	// ceiling) if it cost nothing over the primitive.
	Bare bool
}

// A Comparison is sealkit's operation beside its rivals.
type Comparison struct {
	Name  string // short name, e.g. "stream-seal/64MiB"
	Title string // the table's description of the row
	Bytes int64  // payload bytes per operation, 0 if throughput is meaningless
	// Series, if set, names the throughput series of ours and each rival
	// (in that order) for the plot: "throughput <series> <bytes> <MB/s>".
	Series []string
	Ours   Contender
	Rivals []Rival
	// MaxTime and MaxAllocs, if set, are limits on ours per operation,
	// reported as metrics "<Name>/time" and "<Name>/allocs" with targets.
	MaxTime   time.Duration
	MaxAllocs float64
}

// Settings say how long to measure.
type Settings struct {
	Rounds    int           // rounds; the median is reported
	RoundTime time.Duration // aim for each round to take this long in total
	MinIters  int           // iterations per contender per round, at least
}

// Stat is the median and spread of one figure over the rounds.
type Stat struct {
	Median, Min, Max float64
}

// Result is what Measure found. Times are per operation.
type Result struct {
	Comparison *Comparison
	Iters      int       // iterations per contender per round
	Rounds     int       // rounds measured
	Ours       Stat      // ns per operation
	Rivals     []Stat    // ns per operation, in Comparison.Rivals order
	Ratios     []Stat    // rival time ÷ ours, per round
	Allocs     []float64 // allocations per operation: ours, then rivals
	AllocBytes []float64 // bytes allocated per operation: ours, then rivals
	// PerRound holds ns per operation for each round: ours, then rivals.
	PerRound [][]float64
}

// ErrContender wraps the error of a contender's Op.
var ErrContender = errors.New("bench: contender failed")

// Measure warms every contender up once, then runs rounds in which each
// contender performs its operation Iters times, the order rotating at every
// iteration so that drift, caches and frequency changes fall on all alike.
// Allocations are counted afterwards, outside the timed rounds.
func Measure(c *Comparison, s Settings) (*Result, error) {
	all := append([]Contender{c.Ours}, rivalsOf(c)...)
	k := len(all)
	// Warm-up, and the cost of one iteration of everything.
	var once time.Duration
	if err := prepare(all, 2); err != nil {
		return nil, err
	}
	for _, ct := range all {
		if err := run(ct); err != nil {
			return nil, err
		}
	}
	for _, ct := range all {
		t0 := time.Now()
		if err := run(ct); err != nil {
			return nil, err
		}
		once += time.Since(t0)
	}
	iters := max(s.MinIters, 1)
	if once > 0 && s.RoundTime > 0 {
		iters = max(iters, int(s.RoundTime/once))
	}
	rounds := max(s.Rounds, 1)
	per := make([][]float64, k) // per contender, ns/op per round
	ratios := make([][]float64, k-1)
	d := make([]time.Duration, k)
	for r := range rounds {
		if err := prepare(all, iters); err != nil {
			return nil, err
		}
		runtime.GC()
		clear(d)
		for i := range iters {
			for j := range k {
				x := (j + r*iters + i) % k
				t0 := time.Now()
				err := all[x].Op()
				d[x] += time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%w: %s: %s: %w", ErrContender, c.Name, all[x].Name, err)
				}
			}
		}
		for j := range k {
			per[j] = append(per[j], float64(d[j].Nanoseconds())/float64(iters))
		}
		for j := 1; j < k; j++ {
			ratios[j-1] = append(ratios[j-1], float64(d[j])/float64(max(d[0], 1)))
		}
	}
	res := &Result{Comparison: c, Iters: iters, Rounds: rounds, Ours: stat(per[0]), PerRound: per}
	for j := 1; j < k; j++ {
		res.Rivals = append(res.Rivals, stat(per[j]))
		res.Ratios = append(res.Ratios, stat(ratios[j-1]))
	}
	n := min(iters, 3)
	if err := prepare(all, n); err != nil {
		return nil, err
	}
	for _, ct := range all {
		a, b, err := allocs(ct, n)
		if err != nil {
			return nil, err
		}
		res.Allocs = append(res.Allocs, a)
		res.AllocBytes = append(res.AllocBytes, b)
	}
	return res, nil
}

func rivalsOf(c *Comparison) []Contender {
	out := make([]Contender, len(c.Rivals))
	for i, r := range c.Rivals {
		out[i] = r.Contender
	}
	return out
}

func prepare(all []Contender, n int) error {
	for _, ct := range all {
		if ct.Prepare != nil {
			if err := ct.Prepare(n); err != nil {
				return fmt.Errorf("%w: %s: prepare: %w", ErrContender, ct.Name, err)
			}
		}
	}
	return nil
}

func run(ct Contender) error {
	if err := ct.Op(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrContender, ct.Name, err)
	}
	return nil
}

// allocs returns the mean allocations and allocated bytes of n operations.
// Background goroutines of other contenders may add a little noise.
func allocs(ct Contender, n int) (count, bytes float64, err error) {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	for range n {
		if err := run(ct); err != nil {
			return 0, 0, err
		}
	}
	runtime.ReadMemStats(&b)
	return float64(b.Mallocs-a.Mallocs) / float64(n), float64(b.TotalAlloc-a.TotalAlloc) / float64(n), nil
}

// stat returns the median, minimum and maximum of xs (len ≥ 1).
func stat(xs []float64) Stat {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// Median returns the median of xs, NaN if xs is empty.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return stat(xs).Median
}
