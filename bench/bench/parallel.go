package bench

import (
	"bytes"
	"io"

	"github.com/sealkit/sealkit/envelope"
)

// Performance targets: speed-up of two goroutines over one, on two cores.
const (
	targetParallelSeal = 1.7
	targetParallelOpen = 1.7
)

// buildParallel compares streaming with Concurrency 2 against the same
// envelope with one goroutine. Both run in every mode, FIPS included.
func buildParallel(cfg Config) ([]Pending, error) {
	size := cfg.StreamSize()
	name := sizeName(size)
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	seal := func(pt []byte, workers int) func() error {
		return func() error {
			w, err := envelope.NewWriter(io.Discard, nil, &envelope.SealOptions{Concurrency: workers}, kek)
			if err != nil {
				return err
			}
			return writeAll(w, pt)
		}
	}
	open := func(env []byte, size, workers int) func() error {
		return func() error {
			r, err := envelope.NewReader(bytes.NewReader(env), nil, &envelope.OpenOptions{Concurrency: workers}, kek)
			if err != nil {
				return err
			}
			return drainWant(r, size)
		}
	}
	return []Pending{
		lazy("parallel-seal/"+name, func() (*Comparison, error) {
			pt := randomBytes(size)
			return &Comparison{
				Name:  "parallel-seal/" + name,
				Title: "parallel streaming seal (Concurrency 2), " + name,
				Bytes: int64(size),
				Ours:  Contender{Name: "sealkit, 2 goroutines", Op: seal(pt, 2)},
				Rivals: []Rival{{Contender: Contender{Name: "sealkit, 1 goroutine", Op: seal(pt, 1)},
					Ratio: "parallel-seal/" + name + "/vs-one-goroutine", Target: targetParallelSeal}},
			}, nil
		}),
		lazy("parallel-open/"+name, func() (*Comparison, error) {
			env, err := envelope.Seal(randomBytes(size), nil, nil, kek)
			if err != nil {
				return nil, err
			}
			return &Comparison{
				Name:  "parallel-open/" + name,
				Title: "parallel streaming open (Concurrency 2), " + name,
				Bytes: int64(size),
				Ours:  Contender{Name: "sealkit, 2 goroutines", Op: open(env, size, 2)},
				Rivals: []Rival{{Contender: Contender{Name: "sealkit, 1 goroutine", Op: open(env, size, 1)},
					Ratio: "parallel-open/" + name + "/vs-one-goroutine", Target: targetParallelOpen}},
			}, nil
		}),
	}, nil
}
