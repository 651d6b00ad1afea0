package drivertest

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
)

// Benchmark measures put, get and compare-and-swap of a 1 KiB record, and
// streaming a 256 MiB blob in and out with the peak Go heap reported
// (it must stay constant, not grow with the blob).
func Benchmark(b *testing.B, open func(b *testing.B) driver.Driver) {
	body := make([]byte, 1024)
	b.Run("Put", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		i := 0
		for b.Loop() {
			if _, err := s.Create(context.Background(), driver.Record{Kind: "bench", ID: strconv.Itoa(i), Data: body}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Get", func(b *testing.B) {
		s := open(b)
		s.Create(context.Background(), driver.Record{Kind: "bench", ID: "x", Data: body})
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := s.Get(context.Background(), "bench", "x"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CAS", func(b *testing.B) {
		s := open(b)
		r, _ := s.Create(context.Background(), driver.Record{Kind: "bench", ID: "x", Data: body})
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var err error
			if r, err = s.Update(context.Background(), r, r.Version); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Blob256MiB", func(b *testing.B) {
		s := open(b)
		const size = 256 << 20
		b.SetBytes(2 * size) // in and out
		var peak atomic.Uint64
		stop := sampleHeap(&peak)
		base := heapBytes()
		i := 0
		for b.Loop() {
			id := "blob" + strconv.Itoa(i)
			i++
			in := sha256.New()
			src := io.TeeReader(io.LimitReader(&pseudoRandom{r: rand.NewChaCha8([32]byte{})}, size), in)
			if _, err := s.PutBlob(context.Background(), id, src); err != nil {
				b.Fatal(err)
			}
			rc, err := openBlob(context.Background(), s, id, 0, -1)
			if err != nil {
				b.Fatal(err)
			}
			out := sha256.New()
			if n, err := io.Copy(out, rc); err != nil || n != size {
				b.Fatalf("read back %d bytes: %v", n, err)
			}
			if string(in.Sum(nil)) != string(out.Sum(nil)) {
				b.Fatal("the blob read back differs from what was written")
			}
			s.DeleteBlob(context.Background(), id)
		}
		stop()
		b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MiB")
	})
}

type pseudoRandom struct{ r *rand.ChaCha8 }

func (p *pseudoRandom) Read(b []byte) (int, error) { return p.r.Read(b) }

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() uint64 {
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64()
}

// sampleHeap records the largest live-heap reading every millisecond until
// the returned stop is called.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	runtime.GC()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
