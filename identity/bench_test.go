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

	"github.com/dunglas/httpsfv"

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
	// both verify a fresh signature each time. The base is rebuilt from
	// the request's own Signature-Input, without verifying it: a
	// verification in the untimed step would warm the raw side's caches
	// for exactly the computation it then times.
	var (
		req       *http.Request
		base, sig []byte
	)
	benchutil.ComparePrepared(b, int64(len(body)), func() {
		req = signed(b, f.ed, "POST", testURL, body, nil)
		var err error
		if base, err = identity.RequestSignatureBase(clientView(req), signatureParamsOf(b, req)); err != nil {
			b.Fatal(err)
		}
		sig = signatureOf(b, req)
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

// signatureParamsOf reads the only signature's parameters from r's
// Signature-Input with the general structured-field parser.
func signatureParamsOf(tb testing.TB, r *http.Request) identity.SignatureParams {
	tb.Helper()
	d, err := httpsfv.UnmarshalDictionary(r.Header.Values("Signature-Input"))
	if err != nil || len(d.Names()) != 1 {
		tb.Fatalf("Signature-Input: %v", err)
	}
	m, _ := d.Get(d.Names()[0])
	il := m.(httpsfv.InnerList)
	var p identity.SignatureParams
	for _, it := range il.Items {
		p.Components = append(p.Components, it.Value.(string))
	}
	for _, n := range il.Params.Names() {
		v, _ := il.Params.Get(n)
		switch n {
		case "created":
			p.Created = time.Unix(v.(int64), 0)
		case "expires":
			p.Expires = time.Unix(v.(int64), 0)
		case "nonce":
			p.Nonce = v.(string)
		case "alg":
			p.Alg = identity.Algorithm(v.(string))
		case "keyid":
			p.KeyID = v.(string)
		case "tag":
			p.Tag = v.(string)
		}
	}
	return p
}

// signatureOf returns the bytes of r's only signature.
func signatureOf(tb testing.TB, r *http.Request) []byte {
	tb.Helper()
	d, err := httpsfv.UnmarshalDictionary(r.Header.Values("Signature"))
	if err != nil || len(d.Names()) != 1 {
		tb.Fatalf("Signature: %v", err)
	}
	m, _ := d.Get(d.Names()[0])
	return m.(httpsfv.Item).Value.([]byte)
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
