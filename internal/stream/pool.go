package stream

import (
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	// batchPerWorker is how many segments each worker has per batch when
	// sealing or opening concurrently. Small batches measured fastest: they
	// keep each core's working set in its own cache.
	batchPerWorker = 2
	// inFlight is how many batches are sealed or opened at once with workers.
	inFlight = 2
)

// job is one segment of a batch for a worker to seal or open.
type job struct {
	b *batch
	i int
}

// batch is a run of consecutive segments sealed or opened together. With
// workers, inFlight batches are in flight at once, so the workers start on
// the next batch while the caller's goroutine writes out (or reads in) the
// previous one, instead of waiting for it: waking a parked worker costs
// tens of microseconds in a VM, as much as sealing a segment.
type batch struct {
	plain  []byte // Writer: the plaintext being sealed
	buf    []byte // Writer: owned plaintext buffer; Reader: sealed bytes, opened in place
	out    []byte // Writer: sealed output
	segs   int
	first  uint64 // index of the first segment
	final  bool   // the last segment of this batch is the payload's last
	lastN  int    // Reader: sealed length of the batch's last segment
	failed []bool // Reader: per segment

	direct  bool          // Writer: plain is the caller's slice, not buf
	pending bool          // submitted and not yet collected
	left    atomic.Int32  // segments not yet processed
	done    chan struct{} // receives one token when left reaches zero
}

func newBatch(segs int) *batch {
	return &batch{failed: make([]bool, segs), done: make(chan struct{}, 1)}
}

// wait blocks until every segment of b has been processed. Only the worker
// that finishes the last segment wakes the waiter: one wake-up per batch,
// not one per segment.
func (b *batch) wait(p *pool) {
	if p != nil {
		<-b.done
	}
}

// pool runs segment jobs on goroutines started once per stream, so that
// parallel sealing and opening allocate nothing per segment.
type pool struct {
	jobs chan job
}

// newPool starts workers goroutines calling fn for each job; each goroutine
// passes its own index so it can own scratch space. It returns nil when
// workers <= 1: callers then run jobs inline.
func newPool(workers, depth int, fn func(worker int, j job)) *pool {
	if workers <= 1 {
		return nil
	}
	p := &pool{jobs: make(chan job, depth)}
	for w := range workers {
		go func() {
			for j := range p.jobs {
				fn(w, j)
				if j.b.left.Add(-1) == 0 {
					j.b.done <- struct{}{}
					// The waiter was just readied on this processor's
					// run-next slot, which other processors do not steal
					// from promptly; yield so it hands out the next batch
					// now rather than when this worker runs dry.
					runtime.Gosched()
				}
			}
		}()
	}
	return p
}

// submit runs fn over every segment of b, on the workers if there are any.
func (p *pool) submit(b *batch, fn func(worker int, j job)) {
	b.pending = true
	if p == nil {
		for i := range b.segs {
			fn(0, job{b, i})
		}
		return
	}
	b.left.Store(int32(b.segs))
	for i := range b.segs {
		p.jobs <- job{b, i}
	}
}

// stop ends the workers. It is safe on a nil pool.
func (p *pool) stop() {
	if p != nil {
		close(p.jobs)
	}
}

// Workers clamps a requested concurrency to a usable worker count.
func Workers(n int) int {
	return max(n, 1)
}

// parallel runs fn over [0, n) split among up to workers goroutines, for
// one-shot calls where starting goroutines per call is cheap enough.
func parallel(n, workers int, fn func(worker, lo, hi int)) {
	workers = min(Workers(workers), n)
	if workers <= 1 {
		fn(0, 0, n)
		return
	}
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	wg.Wait()
}

// buffers recycles the batch buffers of parallel streams, one sync.Pool
// per length. A parallel stream's batches hold several segments each (a
// few hundred KiB), and allocating and zeroing them for every object is a
// visible share of sealing a few MiB on two cores. Buffers that held
// plaintext are cleared before they are put back. Single-goroutine streams
// allocate their one-segment buffers with make: pooling those measured
// slower (benchcmp seal/64MiB 0.70–0.76 of the bare loop instead of
// 0.93–1.00).
var buffers sync.Map // int -> *sync.Pool of *[]byte

func bufferPool(n int) *sync.Pool {
	if p, ok := buffers.Load(n); ok {
		return p.(*sync.Pool)
	}
	p, _ := buffers.LoadOrStore(n, &sync.Pool{New: func() any {
		b := make([]byte, n)
		return &b
	}})
	return p.(*sync.Pool)
}

// newBuffer returns a buffer of length n for a stream with workers
// goroutines: pooled when workers > 1.
func newBuffer(workers, n int) []byte {
	if workers > 1 {
		return *bufferPool(n).Get().(*[]byte)
	}
	return make([]byte, n)
}

// freeBuffer returns a buffer from newBuffer to its pool, if it has one.
// The caller clears it first if it held plaintext.
func freeBuffer(workers int, b []byte) {
	if workers > 1 {
		putPooled(b)
	}
}

// putPooled is freeBuffer's pool path, apart so that b escapes only there.
func putPooled(b []byte) {
	b = b[:cap(b)]
	bufferPool(len(b)).Put(&b)
}
