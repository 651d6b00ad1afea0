package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

const testURL = "https://api.example/v1/items?id=7"

var testBody = []byte(`{"name":"doc"}`)

func TestVerifierAccepts(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		key   *identity.PrivateKey
		body  []byte
		tweak func(*identity.Transport, *http.Request)
	}{
		{"ed25519", f.ed, testBody, nil},
		{"ecdsa-p256", f.ec, testBody, nil},
		{"no body", f.ed, nil, nil},
		{"split target", f.ed, testBody, func(tr *identity.Transport, _ *http.Request) { tr.SplitTarget = true }},
		{"sha-512", f.ed, testBody, func(tr *identity.Transport, _ *http.Request) { tr.Digest = identity.DigestSHA512 }},
		{"extra header", f.ed, testBody, func(tr *identity.Transport, r *http.Request) {
			tr.Headers = []string{"x-request-id"}
			r.Header.Set("X-Request-Id", "abc")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signed(t, tt.key, "POST", testURL, tt.body, tt.tweak)
			v, err := f.verifier.Verify(r)
			if err != nil {
				t.Fatal(err)
			}
			if v.KeyID() != tt.key.KeyID() || v.Owner() != "alice" || !v.HasPermission("read") || v.HasPermission("write") {
				t.Fatalf("verified %s %s %v", v.KeyID(), v.Owner(), v.Permissions())
			}
			got, _ := io.ReadAll(r.Body)
			if string(got) != string(tt.body) {
				t.Fatalf("body after Check = %q", got)
			}
		})
	}
}

func TestVerifierRejects(t *testing.T) {
	tests := []struct {
		name   string
		want   error
		status int
		// setup may change the fixture (verifier config, registry) and
		// returns the request to check.
		setup func(t *testing.T, f *fixture) *http.Request
	}{
		{"unsigned", identity.ErrMissingSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			return httptest.NewRequest("GET", testURL, nil)
		}},
		{"plain http", identity.ErrInsecureTransport, 403, func(t *testing.T, f *fixture) *http.Request {
			return signed(t, f.ed, "GET", "http://api.example/", nil, nil)
		}},
		{"proxy not allowed", identity.ErrInsecureTransport, 403, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.TrustedProxy = &identity.TrustedProxy{Authority: "api.example", Allow: func(*http.Request) bool { return false }}
			return signed(t, f.ed, "GET", "http://api.example/", nil, nil)
		}},
		{"host rewritten without config", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Host = "backend.internal:8443"
			return r
		}},
		{"signature only", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Del("Signature-Input")
			return r
		}},
		{"malformed input", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri";created=1`)
			return r
		}},
		{"malformed signature", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature", `sig1="not bytes"`)
			return r
		}},
		{"duplicate label", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Add("Signature-Input", r.Header.Get("Signature-Input"))
			r.Header.Add("Signature", r.Header.Get("Signature"))
			return r
		}},
		{"duplicate component", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `("@method"`, `("@method" "@method"`, 1))
			return r
		}},
		{"two labels, none chosen", identity.ErrMalformed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", r.Header.Get("Signature-Input")+", "+strings.Replace(r.Header.Get("Signature-Input"), "sig1=", "sig2=", 1))
			r.Header.Set("Signature", r.Header.Get("Signature")+", "+strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
			return r
		}},
		{"unknown alg", identity.ErrUnknownAlgorithm, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `alg="ed25519"`, `alg="hmac-sha256"`, 1))
			return r
		}},
		{"alg of another key type", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `alg="ed25519"`, `alg="ecdsa-p256-sha256"`, 1))
			return r
		}},
		{"unknown key", identity.ErrUnknownKey, 401, func(t *testing.T, f *fixture) *http.Request {
			return signed(t, mustKey(t, identity.Ed25519), "GET", testURL, nil, nil)
		}},
		{"revoked key", identity.ErrRevokedKey, 403, func(t *testing.T, f *fixture) *http.Request {
			if err := f.reg.Revoke(context.Background(), f.ed.KeyID()); err != nil {
				t.Fatal(err)
			}
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
		{"bad signature", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature", "sig1=:"+strings.Repeat("A", 86)+"==:")
			return r
		}},
		{"changed method", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "POST", testURL, testBody, nil)
			r.Method = "PUT"
			return r
		}},
		{"changed query", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.URL.RawQuery = "id=8"
			return r
		}},
		{"changed content-type", identity.ErrBadSignature, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "POST", testURL, testBody, nil)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}},
		{"changed body", identity.ErrDigestMismatch, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "POST", testURL, testBody, nil)
			return serverRequest(r, []byte(`{"name":"evil"}`))
		}},
		{"digest not covered", identity.ErrPolicy, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), ` "content-digest"`, "", 1))
			return r
		}},
		{"required header not covered", identity.ErrPolicy, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.RequiredHeaders = []string{"x-tenant"}
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
		{"stale", identity.ErrStale, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.Now = func() time.Time { return testNow.Add(10 * time.Minute) }
			return signed(t, f.ed, "GET", testURL, nil, func(tr *identity.Transport, _ *http.Request) { tr.Validity = time.Hour })
		}},
		{"expired", identity.ErrStale, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.Now = func() time.Time { return testNow.Add(2 * time.Minute) }
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
		{"from the future", identity.ErrStale, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.Now = func() time.Time { return testNow.Add(-time.Minute) }
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
		{"body too large", identity.ErrBodyTooLarge, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.MaxBodyBytes = 8
			return signed(t, f.ed, "POST", testURL, testBody, nil)
		}},
		{"body too large, no length", identity.ErrBodyTooLarge, 401, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.MaxBodyBytes = 8
			r := signed(t, f.ed, "POST", testURL, testBody, nil)
			r.ContentLength = -1
			return r
		}},
		{"short nonce", identity.ErrPolicy, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			in := r.Header.Get("Signature-Input")
			i := strings.Index(in, `nonce="`) + len(`nonce="`)
			r.Header.Set("Signature-Input", in[:i]+"short"+in[i+22:])
			return r
		}},
		{"replayed", identity.ErrReplayed, 401, func(t *testing.T, f *fixture) *http.Request {
			r := signed(t, f.ed, "GET", testURL, nil, nil)
			if err := f.verifier.Check(r.Clone(r.Context())); err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"replay store full", identity.ErrUnavailable, 503, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.Replay = &identity.MemoryReplayStore{Max: 1, Now: fixedNow}
			if err := f.verifier.Check(signed(t, f.ed, "GET", testURL, nil, nil)); err != nil {
				t.Fatal(err)
			}
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
		{"no registry", identity.ErrUnavailable, 503, func(t *testing.T, f *fixture) *http.Request {
			f.verifier.Registry = nil
			return signed(t, f.ed, "GET", testURL, nil, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := tt.setup(t, f)
			err := f.verifier.Check(r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			var re *identity.RejectError
			if !errors.As(err, &re) || re.StatusCode() != tt.status {
				t.Fatalf("status of %v, want %d", err, tt.status)
			}
			// The same through Handler: status and JSON reason, next not called.
			w := httptest.NewRecorder()
			f2 := newFixture(t)
			r2 := tt.setup(t, f2)
			f2.verifier.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				t.Error("handler reached")
			})).ServeHTTP(w, r2)
			var body identity.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status || body.Error != re.Reason {
				t.Fatalf("Handler: %d %q, want %d %q", w.Code, body.Error, tt.status, re.Reason)
			}
		})
	}
}

func TestVerifierTrustedProxy(t *testing.T) {
	f := newFixture(t)
	f.verifier.TrustedProxy = &identity.TrustedProxy{Authority: "api.example"}
	// The client signed https://api.example/…; the proxy forwards plain
	// HTTP to backend.internal:8080.
	r := signed(t, f.ed, "GET", testURL, nil, nil)
	r.TLS = nil
	r.Host = "backend.internal:8080"
	if err := f.verifier.Check(r); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerContextAndPermissions(t *testing.T) {
	f := newFixture(t)
	var gotID string
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotID, _ = identity.KeyIDFromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	tests := []struct {
		perm string
		want int
	}{{"read", 204}, {"write", 403}}
	for _, tt := range tests {
		t.Run(tt.perm, func(t *testing.T) {
			gotID = ""
			w := httptest.NewRecorder()
			f.verifier.Handler(identity.RequirePermission(tt.perm)(ok)).ServeHTTP(w, signed(t, f.ed, "GET", testURL, nil, nil))
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
			if tt.want == 204 && gotID != f.ed.KeyID() {
				t.Fatalf("KeyIDFromContext = %q", gotID)
			}
		})
	}
	if _, ok := identity.KeyIDFromContext(context.Background()); ok {
		t.Fatal("key ID in an empty context")
	}
	w := httptest.NewRecorder()
	identity.RequirePermission("read")(ok).ServeHTTP(w, httptest.NewRequest("GET", testURL, nil))
	if w.Code != 401 {
		t.Fatalf("RequirePermission without Verifier: %d", w.Code)
	}
}
