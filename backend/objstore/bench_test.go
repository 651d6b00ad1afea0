package objstore_test

import (
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend/objstore"
)

// benchSize is the blob the put and get benchmarks stream: 64 MiB, eight
// parts, so that a store that buffered whole blobs would show it in the
// peak heap.
const benchSize = 64 << 20

// pattern yields n bytes without holding them, so the source adds nothing
// to the heap being measured.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(b)), p.n))
	for i := range b[:k] {
		b[i] = byte(i)
	}
	p.n -= int64(k)
	return k, nil
}

// peakHeap samples the live heap while it runs; stop reports the highest
// sample above the heap at start, in MiB. The sampling (ReadMemStats every
// 5 ms) is what the figure costs; it is not a wall-clock threshold.
func peakHeap(b *testing.B) (stop func()) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
	}
}

// benchBackends are the stores the benchmarks run on: fileblob always, S3
// when the environment names a server (memblob holds every blob in memory,
// so its heap says nothing).
var benchBackends = backends[1:]

// BenchmarkPut streams a 64 MiB blob through Put, beside a bare gocloud
// io.Copy into bucket.NewWriter with gocloud's default options.
func BenchmarkPut(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name+"/objstore", func(b *testing.B) {
			s := be.open(b)
			benchLoop(b, func() error {
				_, err := s.Put(b.Context(), "bench", &pattern{n: benchSize})
				return err
			})
		})
		b.Run(be.name+"/bare", func(b *testing.B) {
			bucket := be.open(b).Bucket()
			benchLoop(b, func() error {
				w, err := bucket.NewWriter(b.Context(), "bench", nil)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, &pattern{n: benchSize}); err != nil {
					w.Close()
					return err
				}
				return w.Close()
			})
		})
	}
}

// BenchmarkGet streams a 64 MiB blob out through Get, beside a bare gocloud
// bucket.NewReader.
func BenchmarkGet(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name+"/objstore", func(b *testing.B) {
			s := be.open(b)
			put(b, s)
			benchLoop(b, func() error {
				rc, err := s.Get(b.Context(), "bench")
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.Copy(io.Discard, rc)
				return err
			})
		})
		b.Run(be.name+"/bare", func(b *testing.B) {
			s := be.open(b)
			put(b, s)
			bucket := s.Bucket()
			benchLoop(b, func() error {
				r, err := bucket.NewReader(b.Context(), "bench", nil)
				if err != nil {
					return err
				}
				defer r.Close()
				_, err = io.Copy(io.Discard, r)
				return err
			})
		})
	}
}

func put(b *testing.B, s *objstore.Blobs) {
	if _, err := s.Put(b.Context(), "bench", &pattern{n: benchSize}); err != nil {
		b.Fatal(err)
	}
}

func benchLoop(b *testing.B, op func() error) {
	b.SetBytes(benchSize)
	b.ReportAllocs()
	stop := peakHeap(b)
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	stop()
}
