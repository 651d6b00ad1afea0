// Package benchutil measures an operation beside the raw primitive it builds
// on, in the same benchmark run, and reports the ratio of their costs. The
// two are interleaved iteration by iteration so that machine drift (other
// load, frequency scaling) affects both alike; a ratio, not an absolute
// time, says how close an operation is to its limit.
package benchutil

import (
	"testing"
	"time"
)

// Compare runs ours and raw alternately b.N times each and reports:
//
//	ours-ns/op  the mean cost of ours
//	raw-ns/op   the mean cost of raw
//	cost-ratio  ours / raw (1.20 means ours costs 20% more than the primitive)
//
// If bytes > 0, b.SetBytes(bytes) is applied so MB/s refers to ours+raw
// per iteration; the two cost metrics are the ones to read. Allocations
// reported by -benchmem cover both functions.
func Compare(b *testing.B, bytes int64, ours, raw func()) {
	b.Helper()
	ComparePrepared(b, bytes, nil, ours, raw)
}

// ComparePrepared is Compare with an untimed prepare step before each pair,
// for operations that consume their input (a signed request can be
// verified only once): the input is made fresh, as a server receives it,
// rather than all b.N of them up front and cold in memory.
func ComparePrepared(b *testing.B, bytes int64, prepare, ours, raw func()) {
	b.Helper()
	if prepare == nil {
		prepare = func() {}
	}
	b.ReportAllocs()
	if bytes > 0 {
		b.SetBytes(bytes)
	}
	// One warm-up call each, outside the measurement.
	prepare()
	ours()
	raw()
	var tOurs, tRaw time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		prepare()
		t0 := time.Now()
		raw()
		t1 := time.Now()
		ours()
		t2 := time.Now()
		tRaw += t1.Sub(t0)
		tOurs += t2.Sub(t1)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tOurs.Nanoseconds())/n, "ours-ns/op")
	b.ReportMetric(float64(tRaw.Nanoseconds())/n, "raw-ns/op")
	if tRaw > 0 {
		b.ReportMetric(float64(tOurs)/float64(tRaw), "cost-ratio")
	}
}
