package httplimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

// TestLimiterFullAdmitsNewVisitor: a limiter at capacity forgets its least
// recently used key to admit a new one, instead of refusing everyone.
func TestLimiterFullAdmitsNewVisitor(t *testing.T) {
	clk := &fixedClock{time.Unix(1e9, 0)}
	l := newRateLimiter(Rate{Burst: 1, Per: time.Hour}, 3, clk.now)
	for _, k := range []string{"a", "b", "c"} {
		if ok, _ := l.Allow(k); !ok {
			t.Fatalf("%s refused", k)
		}
	}
	if ok, _ := l.Allow("a"); ok { // a is now the most recently used
		t.Fatal("a's second attempt admitted")
	}
	if ok, _ := l.Allow("d"); !ok {
		t.Fatal("a new visitor is refused by a full limiter")
	}
	if n := l.buckets.len(); n != 3 {
		t.Fatalf("%d buckets, want 3", n)
	}
	// b was the least recently used: forgotten, so admitted afresh; a and
	// d were kept, so still exhausted.
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("b was not the key forgotten")
	}
	for _, k := range []string{"a", "d"} {
		if ok, _ := l.Allow(k); ok {
			t.Fatalf("%s was forgotten out of order", k)
		}
	}
}

// TestBackoffBounds: the delay doubles up to BackoffMaxDelay, a success
// clears it, and a count idle for BackoffForget is forgotten.
func TestBackoffBounds(t *testing.T) {
	clk := &fixedClock{time.Unix(1e9, 0)}
	b := newBackoff(Rate{Burst: 2, Per: 2 * time.Minute}, 10, clk.now) // first delay 1 min
	wait := func() time.Duration {
		t.Helper()
		ok, d := b.Attempt("bob a")
		if ok {
			t.Fatal("admitted during the back-off")
		}
		return d
	}
	for range 2 {
		if ok, _ := b.Attempt("bob a"); !ok {
			t.Fatal("free attempt refused")
		}
	}
	var delays []time.Duration
	for range 9 {
		d := wait()
		delays = append(delays, d)
		clk.t = clk.t.Add(d)
		if ok, _ := b.Attempt("bob a"); !ok {
			t.Fatal("refused after waiting the delay")
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if delays[i] != want[i]*time.Minute {
			t.Fatalf("delays %v, want %v minutes", delays, want)
		}
	}
	if ok, _ := b.Attempt("bob b"); !ok {
		t.Fatal("another address is held back")
	}
	b.Succeeded("bob a")
	if ok, _ := b.Attempt("bob a"); !ok {
		t.Fatal("refused after a success")
	}

	b.Attempt("bob a")
	wait()
	clk.t = clk.t.Add(BackoffForget)
	for range 2 {
		if ok, _ := b.Attempt("bob a"); !ok {
			t.Fatal("an idle count was not forgotten")
		}
	}
}

// TestBackoffConcurrent: attempts are counted as they are admitted, so
// guesses sent at once get the free attempts and no more.
func TestBackoffConcurrent(t *testing.T) {
	clk := &fixedClock{time.Unix(1e9, 0)}
	b := newBackoff(Rate{Burst: 3, Per: time.Minute}, 10, clk.now)
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if ok, _ := b.Attempt("bob a"); ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 3 {
		t.Fatalf("%d of 50 concurrent attempts admitted, want 3", n)
	}
}
