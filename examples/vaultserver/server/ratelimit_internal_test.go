package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
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
	l := newLimiter(Rate{Burst: 1, Per: time.Hour}, 3, clk.now)
	for _, k := range []string{"a", "b", "c"} {
		if ok, _ := l.allow(k); !ok {
			t.Fatalf("%s refused", k)
		}
	}
	if ok, _ := l.allow("a"); ok { // a is now the most recently used
		t.Fatal("a's second attempt admitted")
	}
	if ok, _ := l.allow("d"); !ok {
		t.Fatal("a new visitor is refused by a full limiter")
	}
	if n := l.buckets.len(); n != 3 {
		t.Fatalf("%d buckets, want 3", n)
	}
	// b was the least recently used: forgotten, so admitted afresh; a and
	// d were kept, so still exhausted.
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("b was not the key forgotten")
	}
	for _, k := range []string{"a", "d"} {
		if ok, _ := l.allow(k); ok {
			t.Fatalf("%s was forgotten out of order", k)
		}
	}
}

// TestBackoffBounds: the delay doubles up to loginMaxDelay, a success
// clears it, and a count idle for loginForget is forgotten.
func TestBackoffBounds(t *testing.T) {
	clk := &fixedClock{time.Unix(1e9, 0)}
	b := newBackoff(Rate{Burst: 2, Per: 2 * time.Minute}, 10, clk.now) // first delay 1 min
	wait := func() time.Duration {
		t.Helper()
		ok, d := b.attempt("bob a")
		if ok {
			t.Fatal("admitted during the back-off")
		}
		return d
	}
	for range 2 {
		if ok, _ := b.attempt("bob a"); !ok {
			t.Fatal("free attempt refused")
		}
	}
	var delays []time.Duration
	for range 9 {
		d := wait()
		delays = append(delays, d)
		clk.t = clk.t.Add(d)
		if ok, _ := b.attempt("bob a"); !ok {
			t.Fatal("refused after waiting the delay")
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if delays[i] != want[i]*time.Minute {
			t.Fatalf("delays %v, want %v minutes", delays, want)
		}
	}
	if ok, _ := b.attempt("bob b"); !ok {
		t.Fatal("another address is held back")
	}
	b.succeeded("bob a")
	if ok, _ := b.attempt("bob a"); !ok {
		t.Fatal("refused after a success")
	}

	b.attempt("bob a")
	wait()
	clk.t = clk.t.Add(loginForget)
	for range 2 {
		if ok, _ := b.attempt("bob a"); !ok {
			t.Fatal("an idle count was not forgotten")
		}
	}
}

// TestClientAddr: IPv4 as is, IPv6 by /64, IPv4-mapped as IPv4.
func TestClientAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:80":              "192.0.2.1",
		"[::ffff:192.0.2.1]:80":     "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:80": "2001:db8:1:2::/64",
		"[2001:db8:1:2::]:80":       "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":         "fe80::/64",
		"not an address":            "not an address",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := clientAddr(r); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", remote, got, want)
		}
	}
}

// TestUnknownLinkCreatesNoBucket: only the client's address is charged for
// a link ID that does not exist.
func TestUnknownLinkCreatesNoBucket(t *testing.T) {
	stores, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	s, err := New(Config{Stores: stores, Pepper: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r := httptest.NewRequest("GET", "/api/v1/links/nosuchlink"+strconv.Itoa(i), nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Fatalf("%d %s, want 404", w.Code, w.Body)
		}
	}
	if n := s.linkRate.buckets.len(); n != 1 {
		t.Fatalf("%d link buckets, want 1 (the client's address)", n)
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
			if ok, _ := b.attempt("bob a"); ok {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 3 {
		t.Fatalf("%d of 50 concurrent attempts admitted, want 3", n)
	}
}
