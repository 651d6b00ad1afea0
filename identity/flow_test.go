package identity_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/fips140"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

// trackingBody records Close.
type trackingBody struct {
	io.Reader
	closed bool
}

func (b *trackingBody) Close() error { b.closed = true; return nil }

// TestTransportClosesBody: the caller's body is closed on every path and
// the caller's request is never modified.
func TestTransportClosesBody(t *testing.T) {
	key := mustKey(t, identity.Ed25519)
	tests := []struct {
		name    string
		tr      *identity.Transport
		wantErr error
	}{
		{"ok", &identity.Transport{Key: key, Base: &captureTransport{}}, nil},
		{"no key", &identity.Transport{Base: &captureTransport{}}, identity.ErrNoKey},
		{"too large", &identity.Transport{Key: key, Base: &captureTransport{}, MaxBodyBytes: 4}, identity.ErrBodyTooLarge},
		{"base fails", &identity.Transport{Key: key, Base: &captureTransport{err: io.ErrUnexpectedEOF}}, io.ErrUnexpectedEOF},
		{"bad digest alg", &identity.Transport{Key: key, Base: &captureTransport{}, Digest: "md5"}, identity.ErrUnknownAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &trackingBody{Reader: bytes.NewReader(testBody)}
			req, _ := http.NewRequest("POST", testURL, body)
			req.Header.Set("Content-Type", "application/json")
			_, err := tt.tr.RoundTrip(req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !body.closed {
				t.Fatal("request body not closed")
			}
			if len(req.Header) != 1 {
				t.Fatalf("caller's request headers changed: %v", req.Header)
			}
		})
	}
}

// TestSignedRoundTrip: a Transport and a Verifier+ResponseSigner over real
// TLS; the client checks the signed response, and rejects a tampered one.
func TestSignedRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.verifier.Now = nil
	server := mustKey(t, identity.Ed25519)
	var tamper bool
	h := f.verifier.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.KeyIDFromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello "+id[:8]+" "+string(b))
	}))
	rs := &identity.ResponseSigner{Key: server}
	signedH := rs.Handler(h)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tamper {
			rec := httptest.NewRecorder()
			signedH.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(bytes.ToUpper(rec.Body.Bytes()))
			return
		}
		signedH.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &identity.Transport{Key: f.ed, Base: srv.Client().Transport, ServerKey: server.Public()}}
	resp, err := client.Post(srv.URL+"/x?y=1", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello "+f.ed.KeyID()[:8]+" body" {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
	tamper = true
	if _, err := client.Post(srv.URL+"/x", "text/plain", strings.NewReader("body")); !errors.Is(err, identity.ErrDigestMismatch) {
		t.Fatalf("tampered response: %v, want ErrDigestMismatch", err)
	}
	tamper = false
	other := &http.Client{Transport: &identity.Transport{Key: f.ed, Base: srv.Client().Transport, ServerKey: mustKey(t, identity.Ed25519).Public()}}
	if _, err := other.Get(srv.URL + "/x"); !errors.Is(err, identity.ErrUnknownKey) {
		t.Fatalf("response from another key: %v, want ErrUnknownKey", err)
	}
}

// TestResponseBoundToRequest: a signed response cannot be replayed as the
// answer to another request.
func TestResponseBoundToRequest(t *testing.T) {
	server := mustKey(t, identity.Ed25519)
	rs := &identity.ResponseSigner{Key: server}
	h := rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	req1 := signed(t, mustKey(t, identity.Ed25519), "GET", testURL, nil, nil)
	req2 := signed(t, mustKey(t, identity.Ed25519), "GET", testURL, nil, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req1)
	resp := rec.Result()
	resp.Request = req1
	if err := identity.VerifyResponse(resp, server.Public(), 0); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req1)
	resp = rec.Result()
	resp.Request = req2
	if err := identity.VerifyResponse(resp, server.Public(), 0); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("response to another request: %v, want ErrBadSignature", err)
	}
}

// TestResponseBoundToTarget: an answer to an unsigned (bearer) request is
// bound to its method, path and query, also when the signer sits behind
// http.StripPrefix, and refused as the answer to another target.
func TestResponseBoundToTarget(t *testing.T) {
	server := mustKey(t, identity.Ed25519)
	rs := &identity.ResponseSigner{Key: server}
	h := http.StripPrefix("/api", rs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Path)
	})))
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	get := func(target string) *http.Response {
		resp, err := srv.Client().Get(srv.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/api/items?page=1")
	defer resp.Body.Close()
	if err := identity.VerifyResponse(resp, server.Public(), 0); err != nil {
		t.Fatalf("answer behind StripPrefix: %v", err)
	}
	for _, other := range []string{"/api/items?page=2", "/api/shares?page=1", "/api/items"} {
		resp := get("/api/items?page=1")
		resp.Body.Close()
		r2, _ := http.NewRequest("GET", srv.URL+other, nil)
		resp.Request = r2
		resp.Body = io.NopCloser(strings.NewReader("/items"))
		if err := identity.VerifyResponse(resp, server.Public(), 0); !errors.Is(err, identity.ErrBadSignature) {
			t.Errorf("answer to /api/items?page=1 as one to %s: %v, want ErrBadSignature", other, err)
		}
	}
}

func TestSignedMessages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	newMV := func() *identity.MessageVerifier {
		return &identity.MessageVerifier{Registry: f.reg, Purpose: "vault/put", Now: time.Now}
	}
	m, err := identity.SignMessage(f.ed, "vault/put", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	mv := newMV()
	p, err := identity.ParseSignedMessage(j)
	if err != nil {
		t.Fatal(err)
	}
	v, err := mv.Verify(ctx, p)
	if err != nil || v.KeyID() != f.ed.KeyID() {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := mv.Verify(ctx, p); !errors.Is(err, identity.ErrReplayed) {
		t.Fatalf("second Verify: %v, want ErrReplayed", err)
	}
	mod := func(f func(*identity.SignedMessage)) *identity.SignedMessage {
		c, _ := identity.ParseSignedMessage(j)
		f(c)
		return c
	}
	tests := []struct {
		name string
		m    *identity.SignedMessage
		want error
	}{
		{"payload", mod(func(m *identity.SignedMessage) { m.Payload = []byte("other") }), identity.ErrBadSignature},
		{"purpose", mod(func(m *identity.SignedMessage) { m.Purpose = "vault/delete" }), identity.ErrPolicy},
		{"created", mod(func(m *identity.SignedMessage) { m.Created = m.Created.Add(-time.Second) }), identity.ErrBadSignature},
		{"stale", mod(func(m *identity.SignedMessage) { m.Created = m.Created.Add(-time.Hour) }), identity.ErrStale},
		{"alg", mod(func(m *identity.SignedMessage) { m.Alg = "rsa" }), identity.ErrUnknownAlgorithm},
		{"ecdsa alg on ed key", mod(func(m *identity.SignedMessage) { m.Alg = identity.ECDSAP256SHA256 }), identity.ErrBadSignature},
		{"unknown key", mod(func(m *identity.SignedMessage) { m.KeyID = mustKey(t, identity.Ed25519).KeyID() }), identity.ErrUnknownKey},
		{"nonce", mod(func(m *identity.SignedMessage) { m.Nonce = "x" }), identity.ErrPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newMV().Verify(ctx, tt.m); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, bad := range []string{``, `{}`, `[]`, string(j) + `{}`, strings.Replace(string(j), `"alg"`, `"alg2"`, 1), strings.Replace(string(j), `"signature":"`, `"signature":"*`, 1)} {
		if _, err := identity.ParseSignedMessage([]byte(bad)); !errors.Is(err, identity.ErrMalformed) {
			t.Errorf("ParseSignedMessage(%.40q) = %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := identity.ParseSignedMessage(make([]byte, identity.MaxMessageBytes+1)); !errors.Is(err, identity.ErrBodyTooLarge) {
		t.Errorf("oversized message: %v", err)
	}
}

func TestLoginAndTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	serverKey := mustKey(t, identity.Ed25519)
	mv := &identity.MessageVerifier{Registry: f.reg}
	issuer := &identity.TokenIssuer{Key: serverKey, Issuer: "sealkit-test", TTL: 10 * time.Minute}
	challenge := identity.NewChallenge()
	login, err := identity.SignMessage(f.ed, identity.LoginPurpose, []byte(challenge))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mv.VerifyLogin(ctx, login, identity.NewChallenge()); !errors.Is(err, identity.ErrBadSignature) {
		t.Fatalf("wrong challenge: %v", err)
	}
	ver, err := mv.VerifyLogin(ctx, login, challenge)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := issuer.Issue(&identity.Verified{}, "api"); !errors.Is(err, identity.ErrUnverified) {
		t.Fatalf("Issue without verification: %v", err)
	}
	tok, err := issuer.Issue(ver, "api")
	if err != nil {
		t.Fatal(err)
	}
	tv := &identity.TokenVerifier{Key: serverKey.Public(), Issuer: "sealkit-test", Audience: "api", Registry: f.reg}
	c, err := tv.Verify(tok)
	if err != nil || c.Subject != f.ed.KeyID() || c.Audience != "api" {
		t.Fatalf("Verify: %+v %v", c, err)
	}
	at := func(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }
	tests := []struct {
		name string
		tv   identity.TokenVerifier
		tok  string
		want error
	}{
		{"audience", identity.TokenVerifier{Key: serverKey.Public(), Issuer: "sealkit-test", Audience: "other"}, tok, identity.ErrBadToken},
		{"issuer", identity.TokenVerifier{Key: serverKey.Public(), Issuer: "x", Audience: "api"}, tok, identity.ErrBadToken},
		{"expired", identity.TokenVerifier{Key: serverKey.Public(), Issuer: "sealkit-test", Audience: "api", Now: at(time.Hour)}, tok, identity.ErrStale},
		{"not yet valid", identity.TokenVerifier{Key: serverKey.Public(), Issuer: "sealkit-test", Audience: "api", Now: at(-time.Hour)}, tok, identity.ErrStale},
		{"other key", identity.TokenVerifier{Key: mustKey(t, identity.Ed25519).Public(), Issuer: "sealkit-test", Audience: "api"}, tok, identity.ErrBadToken},
		{"tampered", *tv, tok[:len(tok)-4] + "AAAA", identity.ErrBadToken},
		{"garbage", *tv, "a.b.c", identity.ErrBadToken},
		{"alg none", *tv, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", identity.ErrBadToken},
		{"huge", *tv, strings.Repeat("a", identity.MaxTokenBytes+1), identity.ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.tv.Verify(tt.tok); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Middleware: context, revocation.
	var sub string
	h := tv.Handler(identity.RequirePermission("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := identity.TokenClaimsFromContext(r.Context())
		sub = c.Subject
	})))
	for _, tc := range []struct {
		name, auth string
		revoke     bool
		want       int
	}{{"ok", "Bearer " + tok, false, 200}, {"missing", "", false, 401}, {"basic", "Basic eDp5", false, 401}, {"revoked", "Bearer " + tok, true, 403}} {
		t.Run("handler/"+tc.name, func(t *testing.T) {
			if tc.revoke {
				f.reg.Revoke(ctx, f.ed.KeyID())
			}
			r := httptest.NewRequest("GET", testURL, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.want == 200 && sub != f.ed.KeyID() {
				t.Fatalf("subject %q", sub)
			}
		})
	}
	plain := httptest.NewRequest("GET", "http://api.example/", nil)
	plain.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, plain)
	if w.Code != 403 {
		t.Fatalf("token over plain HTTP: %d", w.Code)
	}
}

// TestDerivedKeys: client and server derive the same key; it differs per
// namespace and client; the server side needs a real *Verified.
func TestDerivedKeys(t *testing.T) {
	if fips140.Enforced() {
		t.Skip("X25519 is not allowed in FIPS 140-only mode")
	}
	f := newFixture(t)
	serverX, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("app-salt")
	if _, err := identity.DeriveServerKey(serverX, &identity.Verified{}, salt, "ns"); !errors.Is(err, identity.ErrUnverified) {
		t.Fatalf("unverified: %v", err)
	}
	if _, err := identity.DeriveServerKey(serverX, nil, salt, "ns"); !errors.Is(err, identity.ErrUnverified) {
		t.Fatalf("nil: %v", err)
	}
	v, err := f.verifier.Verify(signed(t, f.ed, "GET", testURL, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := identity.DeriveServerKey(serverX, v, salt, "vault/docs")
	if err != nil {
		t.Fatal(err)
	}
	ck, err := identity.DeriveClientKey(f.ed, serverX.PublicKey(), salt, "vault/docs")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sk, ck) || len(sk) != identity.AtRestKeySize {
		t.Fatal("client and server keys differ")
	}
	other, _ := identity.DeriveClientKey(f.ed, serverX.PublicKey(), salt, "vault/photos")
	if bytes.Equal(other, ck) {
		t.Fatal("namespaces share a key")
	}
	otherClient, _ := identity.DeriveClientKey(mustKey(t, identity.Ed25519), serverX.PublicKey(), salt, "vault/docs")
	if bytes.Equal(otherClient, ck) {
		t.Fatal("clients share a key")
	}
	ve, err := f.verifier.Verify(signed(t, f.ec, "GET", testURL, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.DeriveServerKey(serverX, ve, salt, "ns"); !errors.Is(err, identity.ErrNotEd25519) {
		t.Fatalf("ECDSA client: %v", err)
	}
}
