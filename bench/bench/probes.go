package bench

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// copyChunk is the write size of the streaming probes: io.Copy's buffer.
const copyChunk = 32 << 10

// onlyReader hides a reader's WriteTo so io.CopyBuffer uses its buffer.
type onlyReader struct{ io.Reader }

// streamSeal seals size bytes from a repeating 1 MiB source, written in
// copyChunk pieces, into io.Discard.
func streamSeal(kek *envelope.KEK, src []byte, size int64, workers int, buf []byte) error {
	w, err := envelope.NewWriter(io.Discard, nil, &envelope.SealOptions{Concurrency: workers}, kek)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(w, onlyReader{&cycleReader{buf: src, left: size}}, buf); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// streamOpen opens env and reads it in copyChunk pieces.
func streamOpen(kek *envelope.KEK, env []byte, size int64, workers int, buf []byte) error {
	r, err := envelope.NewReader(bytes.NewReader(env), nil, &envelope.OpenOptions{Concurrency: workers}, kek)
	if err != nil {
		return err
	}
	n, err := io.CopyBuffer(io.Discard, onlyReader{r}, buf)
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, want %d", n, size)
	}
	return err
}

// sealEnvelope returns the envelope of size bytes of the repeating source.
func sealEnvelope(kek *envelope.KEK, src []byte, size int64) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(int(size + size/64 + 4096))
	w, err := envelope.NewWriter(&b, nil, nil, kek)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, onlyReader{&cycleReader{buf: src, left: size}}); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mallocs returns the allocations made by f.
func mallocs(f func() error) (uint64, error) {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	err := f()
	runtime.ReadMemStats(&b)
	return b.Mallocs - a.Mallocs, err
}

// probeAllocs measures allocations per segment in steady-state streaming:
// the allocations of a long stream minus those of a short one, divided by
// the extra segments, the lowest of three tries (background goroutines
// of the runtime can add a stray allocation).
func probeAllocs(cfg Config) ([]Metric, error) {
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	seg := int64(envelope.DefaultSegmentSize)
	short, long := int64(8), int64(520)
	if cfg.Mode == Tiny {
		long = 24
	}
	src := randomBytes(1 << 20)
	buf := make([]byte, copyChunk)
	envShort, err := sealEnvelope(kek, src, short*seg)
	if err != nil {
		return nil, err
	}
	envLong, err := sealEnvelope(kek, src, long*seg)
	if err != nil {
		return nil, err
	}
	var out []Metric
	for _, workers := range []int{1, 2} {
		for _, op := range []string{"seal", "open"} {
			run := func(segs int64) func() error {
				if op == "seal" {
					return func() error { return streamSeal(kek, src, segs*seg, workers, buf) }
				}
				env := envShort
				if segs == long {
					env = envLong
				}
				return func() error { return streamOpen(kek, env, segs*seg, workers, buf) }
			}
			best := -1.0
			for range 3 {
				a, err := mallocs(run(short))
				if err != nil {
					return nil, err
				}
				b, err := mallocs(run(long))
				if err != nil {
					return nil, err
				}
				per := (float64(b) - float64(a)) / float64(long-short)
				if best < 0 || per < best {
					best = per
				}
			}
			best = max(best, 0)
			out = append(out, Metric{
				Name:   fmt.Sprintf("allocs-per-segment/%s/concurrency-%d", op, workers),
				Title:  fmt.Sprintf("allocations per 64 KiB segment, steady-state streaming %s, Concurrency %d", op, workers),
				Value:  best,
				Unit:   "allocs",
				Target: "0",
				Met:    best < 0.005,
			})
		}
	}
	return out, nil
}

// heapSize is the payload of the peak-heap probe.
func heapSize(cfg Config) int64 {
	switch cfg.Mode {
	case Tiny:
		return 1 << 20
	case Quick:
		return 64 << 20
	}
	return 1 << 30
}

// heapMetrics sum to MemStats.HeapInuse: bytes in spans holding objects.
var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// peakHeap runs f while sampling the heap in use every 100 µs, and returns
// the peak above what was in use before f, and the bytes f allocated.
func peakHeap(f func() error) (peak, total uint64, err error) {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, n := range heapMetrics {
		samples[i].Name = n
	}
	read := func() uint64 {
		metrics.Read(samples)
		var s uint64
		for _, x := range samples {
			s += x.Value.Uint64()
		}
		return s
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := read()
	var top uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			top = max(top, read())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	err = f()
	close(stop)
	wg.Wait()
	top = max(top, read())
	runtime.ReadMemStats(&after)
	if top < base {
		top = base
	}
	return top - base, after.TotalAlloc - before.TotalAlloc, err
}

// probeHeap streams heapSize bytes through a Writer and a Reader (one
// goroutine and two) and reports the peak heap in use above the baseline
// and the bytes allocated: both must stay O(segment × concurrency).
func probeHeap(cfg Config) ([]Metric, error) {
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	size := heapSize(cfg)
	name := sizeName(int(size))
	src := randomBytes(1 << 20)
	buf := make([]byte, copyChunk)
	var out []Metric
	add := func(op string, workers int, f func() error) error {
		peak, total, err := peakHeap(f)
		if err != nil {
			return err
		}
		out = append(out,
			Metric{Name: fmt.Sprintf("peak-heap/%s/%s/concurrency-%d", op, name, workers),
				Title: fmt.Sprintf("peak heap in use, streaming %s of %s, Concurrency %d", op, name, workers),
				Value: float64(peak) / 1024, Unit: "KiB"},
			Metric{Name: fmt.Sprintf("alloc-total/%s/%s/concurrency-%d", op, name, workers),
				Title: fmt.Sprintf("bytes allocated, streaming %s of %s, Concurrency %d", op, name, workers),
				Value: float64(total) / 1024, Unit: "KiB"})
		return nil
	}
	for _, workers := range []int{1, 2} {
		if err := add("seal", workers, func() error { return streamSeal(kek, src, size, workers, buf) }); err != nil {
			return nil, err
		}
	}
	env, err := sealEnvelope(kek, src, size)
	if err != nil {
		return nil, err
	}
	for _, workers := range []int{1, 2} {
		if err := add("open", workers, func() error { return streamOpen(kek, env, size, workers, buf) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}
