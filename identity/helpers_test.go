package identity_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

// testNow is the fixed clock of the unit tests.
var testNow = time.Unix(1_700_000_000, 0)

func fixedNow() time.Time { return testNow }

// fixture is a registry with one Ed25519 and one ECDSA client key, a
// verifier on the fixed clock, and the matching signing transports.
type fixture struct {
	reg      *identity.MemoryKeyRegistry
	ed, ec   *identity.PrivateKey
	verifier *identity.Verifier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{reg: identity.NewMemoryKeyRegistry(), ed: mustKey(t, identity.Ed25519), ec: mustKey(t, identity.ECDSAP256SHA256)}
	for _, k := range []*identity.PrivateKey{f.ed, f.ec} {
		if err := f.reg.Register(context.Background(), identity.KeyEntry{PublicKey: k.Public(), Owner: "alice", Permissions: []string{"read"}}); err != nil {
			t.Fatal(err)
		}
	}
	f.verifier = &identity.Verifier{Registry: f.reg, Now: fixedNow}
	return f
}

// captureTransport records the request a Transport hands to its Base.
type captureTransport struct {
	req  *http.Request
	body []byte
	err  error
	resp func(*http.Request) *http.Response
}

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	if r.Body != nil {
		c.body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.resp != nil {
		return c.resp(r), nil
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// signed returns the server-side view of a request signed by key through
// a Transport (configured by tweak), as it would arrive over TLS.
func signed(t testing.TB, key *identity.PrivateKey, method, url string, body []byte, tweak func(*identity.Transport, *http.Request)) *http.Request {
	t.Helper()
	cap := &captureTransport{}
	tr := &identity.Transport{Key: key, Base: cap, Now: fixedNow}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tweak != nil {
		tweak(tr, req)
	}
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	return serverRequest(cap.req, cap.body)
}

// serverRequest rebuilds r as a server handler would receive it.
func serverRequest(r *http.Request, body []byte) *http.Request {
	sr := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
	sr.Header = r.Header.Clone()
	if r.Host != "" {
		sr.Host = r.Host
	}
	return sr
}
