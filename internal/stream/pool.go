package stream

import "sync"

// pool runs work over index ranges on a fixed set of goroutines. It exists so
// that parallel sealing and opening cost no allocation per batch: the workers
// are started once per stream and fed plain structs over a channel.
type pool struct {
	jobs []chan [2]int // one per goroutine, so each owns its scratch space
	wg   sync.WaitGroup
	fn   func(worker, lo, hi int)
}

// newPool starts workers-1 goroutines; the caller's goroutine is worker 0.
// It returns nil when workers <= 1.
func newPool(workers int, fn func(worker, lo, hi int)) *pool {
	if workers <= 1 {
		return nil
	}
	p := &pool{jobs: make([]chan [2]int, workers), fn: fn}
	for w := 1; w < workers; w++ {
		ch := make(chan [2]int, 1)
		p.jobs[w] = ch
		go func() {
			for j := range ch {
				p.fn(w, j[0], j[1])
				p.wg.Done()
			}
		}()
	}
	return p
}

// run calls fn over [0, n) split into one range per worker and waits.
func (p *pool) run(n int) {
	workers := len(p.jobs)
	per := (n + workers - 1) / workers
	// Hand out all ranges but the first; do the first on this goroutine.
	for w := 1; w < workers; w++ {
		l, h := w*per, min((w+1)*per, n)
		if l >= h {
			break
		}
		p.wg.Add(1)
		p.jobs[w] <- [2]int{l, h}
	}
	p.fn(0, 0, min(per, n))
	p.wg.Wait()
}

// stop ends the workers. It is safe on a nil pool.
func (p *pool) stop() {
	if p != nil {
		for _, ch := range p.jobs[1:] {
			close(ch)
		}
	}
}

// Workers clamps a requested concurrency to a usable worker count.
func Workers(n int) int {
	return max(n, 1)
}
