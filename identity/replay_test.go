package identity_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/sealkit/sealkit/identity"
)

// MemoryReplayStore drops exactly the expired entries, in any insertion
// order of their expiries, and keeps refusing the unexpired ones.
func TestMemoryReplayStoreExpiryOrder(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := &identity.MemoryReplayStore{Now: func() time.Time { return now }}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1000
	exp := make([]time.Time, n)
	for i := range n {
		exp[i] = now.Add(time.Duration(1+rng.IntN(500)) * time.Second)
		if err := s.Remember(ctx, "k", strconv.Itoa(i), exp[i]); err != nil {
			t.Fatal(err)
		}
	}
	for step := 0; step <= 500; step += 37 {
		now = time.Unix(1_700_000_000+int64(step), 0)
		live := 0
		for i := range n {
			if exp[i].After(now) {
				live++
			}
		}
		// A Remember of a new pair runs the expiry sweep.
		if err := s.Remember(ctx, "sweep", strconv.Itoa(step), now.Add(time.Nanosecond)); err != nil {
			t.Fatal(err)
		}
		if got := s.Len() - 1; got != live { // the sweep pair of this step is live
			t.Fatalf("at +%ds: %d entries, want %d unexpired", step, got, live)
		}
		for i := range n {
			err := s.Remember(ctx, "k", strconv.Itoa(i), exp[i])
			if exp[i].After(now) != errors.Is(err, identity.ErrExists) {
				t.Fatalf("at +%ds: entry %d (expires +%s): %v", step, i, exp[i].Sub(now), err)
			}
			if !exp[i].After(now) && err != nil {
				t.Fatal(err)
			}
		}
	}
}

// MemoryReplayStore keeps its own copy of a nonce, not the string it was
// cut from: the Verifier's nonce is a slice of the request's
// Signature-Input field, which a client can pad to
// MaxSignatureHeaderBytes, so keeping it would let every entry hold 8 KiB
// instead of the nonce's length.
func TestMemoryReplayStoreKeepsNoCallerString(t *testing.T) {
	s := &identity.MemoryReplayStore{Now: fixedNow}
	field := strings.Repeat(";tag=\"x\"", identity.MaxSignatureHeaderBytes/8) + identity.NewNonce()
	w := weak.Make(unsafe.StringData(field))
	keyID, nonce := field[:8], field[len(field)-22:]
	ctx, exp := context.Background(), testNow.Add(time.Minute)
	if err := s.Remember(ctx, keyID, nonce, exp); err != nil {
		t.Fatal(err)
	}
	if err := s.Remember(ctx, "", nonce, exp); err != nil { // nothing to concatenate with
		t.Fatal(err)
	}
	field, keyID, nonce = "", "", ""
	runtime.GC()
	if w.Value() != nil {
		t.Fatal("the store keeps the whole string its key ID and nonce were cut from")
	}
	if s.Len() != 2 {
		t.Fatalf("%d entries, want 2", s.Len()) // and the store is still alive
	}
}

// MemoryReplayStore works on any clock, not only near the Unix epoch
// (it keeps times relative to its first use): far in the future, and with
// an expiry centuries ahead.
func TestMemoryReplayStoreFarClocks(t *testing.T) {
	ctx := context.Background()
	for _, start := range []time.Time{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		now := start
		s := &identity.MemoryReplayStore{Now: func() time.Time { return now }}
		for _, exp := range []time.Time{now.Add(time.Minute), now.AddDate(500, 0, 0)} {
			n := exp.String()
			if err := s.Remember(ctx, "k", n, exp); err != nil {
				t.Fatal(err)
			}
			if err := s.Remember(ctx, "k", n, exp); !errors.Is(err, identity.ErrExists) {
				t.Fatalf("%v, expiry %v: replay: %v", start, exp, err)
			}
		}
		now = now.Add(time.Minute)
		if err := s.Remember(ctx, "k", start.Add(time.Minute).String(), now.Add(time.Minute)); err != nil {
			t.Fatalf("%v: an expired nonce is refused: %v", start, err)
		}
		if err := s.Remember(ctx, "k", start.AddDate(500, 0, 0).String(), now.Add(time.Minute)); !errors.Is(err, identity.ErrExists) {
			t.Fatalf("%v: a nonce remembered for 500 years is forgotten: %v", start, err)
		}
	}
}
