package identity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/benchutil"
)

// BenchmarkVerifyRequest1KiB: Verifier.Check of a signed POST with a 1 KiB
// body (parse, coverage, registry, signature, replay store, body read and
// SHA-256 as it arrives) against bare ed25519.Verify of the same signature
// base plus SHA-256 of the body. Each iteration checks a distinct
// pre-signed request, so the replay store works as in production.
func BenchmarkVerifyRequest1KiB(b *testing.B) { benchVerifyRequest(b, 1<<10) }

// BenchmarkVerifyRequest1MiB is BenchmarkVerifyRequest1KiB with a 1 MiB
// body, where reading and hashing the body dominate.
func BenchmarkVerifyRequest1MiB(b *testing.B) { benchVerifyRequest(b, 1<<20) }

func benchVerifyRequest(b *testing.B, size int) {
	f := newFixture(b)
	f.verifier.Now = fixedNow
	f.verifier.MaxBodyBytes = int64(size)
	body := make([]byte, size)
	pub := ed25519.PublicKey(f.ed.Public().Bytes())
	// Each request is signed just before it is verified (untimed), as a
	// server receives it: a request verifies only once. The raw side
	// verifies that same request's signature over its signature base, so
	// both verify a fresh signature each time.
	var (
		req       *http.Request
		base, sig []byte
	)
	benchutil.ComparePrepared(b, int64(len(body)), func() {
		req = signed(b, f.ed, "POST", testURL, body, nil)
		p, err := identity.VerifyRequestSignature(clientView(req), "", f.ed.Public())
		if err != nil {
			b.Fatal(err)
		}
		base, _ = identity.RequestSignatureBase(clientView(req), *p)
		sig, _ = f.ed.Sign(base) // Ed25519 is deterministic: the request's own signature
	}, func() {
		if err := f.verifier.Check(req); err != nil {
			b.Fatal(err)
		}
	}, func() {
		sha256.Sum256(body)
		if !ed25519.Verify(pub, base, sig) {
			b.Fatal("raw verify")
		}
	})
}

// clientView turns a server-side test request into the client's view
// (absolute URL) for the low-level functions.
func clientView(r *http.Request) *http.Request {
	c := r.Clone(context.Background())
	c.URL.Scheme, c.URL.Host = "https", r.Host
	return c
}

// BenchmarkReplayStore reports MemoryReplayStore inserts/s under 2
// goroutines (b.RunParallel with GOMAXPROCS 2 on the reference machine).
// Entries live 100 ms, so the store reaches a steady state in which it
// drops expired entries while inserting, as in production.
func BenchmarkReplayStore(b *testing.B) {
	s := &identity.MemoryReplayStore{}
	ctx := context.Background()
	var g atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(1)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		id := strconv.FormatInt(g.Add(1), 10)
		n := 0
		var exp time.Time
		for pb.Next() {
			if n%256 == 0 {
				exp = time.Now().Add(100 * time.Millisecond)
			}
			if err := s.Remember(ctx, id, strconv.Itoa(n), exp); err != nil {
				b.Error(err)
				return
			}
			n++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
}
