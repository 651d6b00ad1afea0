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

// authFixture is an Authenticator over the fixture's registry with a
// token issued to its Ed25519 key, and the admissions it made.
type authFixture struct {
	*fixture
	auth     *identity.Authenticator
	token    string
	admitted []string
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	f := &authFixture{fixture: newFixture(t)}
	serverKey := mustKey(t, identity.Ed25519)
	mv := &identity.MessageVerifier{Registry: f.reg, Now: fixedNow}
	challenge := identity.NewChallenge()
	login, err := identity.SignMessage(f.ed, identity.LoginPurpose, []byte(challenge))
	if err != nil {
		t.Fatal(err)
	}
	login.Created = testNow
	if login.Signature, err = f.ed.Sign(login.SignedBytes()); err != nil {
		t.Fatal(err)
	}
	ver, err := mv.VerifyLogin(context.Background(), login, challenge)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &identity.TokenIssuer{Key: serverKey, Issuer: "test", Now: fixedNow}
	if f.token, err = issuer.Issue(ver, "api"); err != nil {
		t.Fatal(err)
	}
	f.auth = &identity.Authenticator{
		Signatures: f.verifier,
		Tokens:     &identity.TokenVerifier{Key: serverKey.Public(), Issuer: "test", Audience: "api", Registry: f.reg, Now: fixedNow},
		Admit: func(r *http.Request, e identity.KeyEntry) error {
			f.admitted = append(f.admitted, e.Owner)
			return nil
		},
	}
	return f
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest("GET", testURL, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestAuthenticatorPrincipal(t *testing.T) {
	f := newAuthFixture(t)
	p, err := f.auth.Authenticate(signed(t, f.ed, "POST", testURL, testBody, nil))
	if err != nil || p.Owner != "alice" || p.KeyID != f.ed.KeyID() || p.Verified == nil || p.Token != nil || !p.HasPermission("read") {
		t.Fatalf("signed request: %+v, %v", p, err)
	}
	p, err = f.auth.Authenticate(bearer(f.token))
	if err != nil || p.Owner != "alice" || p.KeyID != f.ed.KeyID() || p.Verified != nil || p.Token == nil || !p.HasPermission("read") {
		t.Fatalf("bearer token: %+v, %v", p, err)
	}
	if len(f.admitted) != 2 || f.admitted[0] != "alice" || f.admitted[1] != "alice" {
		t.Fatalf("admitted %q, want both credentials admitted for alice", f.admitted)
	}
}

func TestAuthenticatorRefuses(t *testing.T) {
	f := newAuthFixture(t)
	tampered := signed(t, f.ed, "POST", testURL, testBody, nil)
	tampered.Header.Set("Authorization", "Bearer "+f.token) // a good token does not rescue a bad signature
	tampered.Body = io.NopCloser(jsonBody(`{"name":"other"}`))
	plain := bearer(f.token)
	plain.TLS = nil
	emptySig := httptest.NewRequest("GET", testURL, nil)
	emptySig.Header["Signature-Input"] = []string{""}
	twoTokens := bearer(f.token)
	twoTokens.Header.Add("Authorization", "Bearer "+f.token)
	basic := httptest.NewRequest("GET", testURL, nil)
	basic.Header.Set("Authorization", "Basic eDp5")
	for _, tc := range []struct {
		name   string
		auth   identity.Authenticator
		r      *http.Request
		want   error
		status int
	}{
		{"no credentials", *f.auth, httptest.NewRequest("GET", testURL, nil), identity.ErrNoCredentials, 401},
		{"signature judged alone", *f.auth, tampered, identity.ErrDigestMismatch, 401},
		{"empty signature field", *f.auth, emptySig, identity.ErrMalformed, 401},
		{"basic scheme", *f.auth, basic, identity.ErrBadToken, 401},
		{"two tokens", *f.auth, twoTokens, identity.ErrBadToken, 401},
		{"bad token", *f.auth, bearer(f.token + "x"), identity.ErrBadToken, 401},
		{"token over plain HTTP", *f.auth, plain, identity.ErrInsecureTransport, 403},
		{"tokens not accepted", identity.Authenticator{Signatures: f.verifier}, bearer(f.token), identity.ErrBadToken, 401},
		{"signatures not accepted", identity.Authenticator{Tokens: f.auth.Tokens}, signed(t, f.ed, "GET", testURL, nil, nil), identity.ErrPolicy, 401},
		{"token without registry", identity.Authenticator{Tokens: &identity.TokenVerifier{Key: f.auth.Tokens.Key, Issuer: "test", Audience: "api", Now: fixedNow}}, bearer(f.token), identity.ErrUnavailable, 503},
		{"zero value", identity.Authenticator{}, bearer(f.token), identity.ErrBadToken, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.auth.Authenticate(tc.r); !errors.Is(err, tc.want) {
				t.Fatalf("Authenticate: %v, want %v", err, tc.want)
			}
			w := httptest.NewRecorder()
			tc.r.Body = http.NoBody
			tc.auth.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("refused request reached the handler") })).ServeHTTP(w, tc.r)
			var body identity.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != tc.status {
				t.Fatalf("Handler answered %d %s, want %d", w.Code, w.Body, tc.status)
			}
		})
	}
	f.reg.Revoke(context.Background(), f.ed.KeyID())
	if _, err := f.auth.Authenticate(bearer(f.token)); !errors.Is(err, identity.ErrRevokedKey) {
		t.Fatalf("token of a revoked key: %v", err)
	}
}

func TestAuthenticatorHandler(t *testing.T) {
	f := newAuthFixture(t)
	var got []identity.Principal
	var owners []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := identity.PrincipalFrom(r.Context())
		if ok {
			got = append(got, p)
		}
		// Owner reads the principal Handler stored: it does not verify
		// the signature again (which would be refused as a replay).
		owner, err := f.auth.Owner(r)
		if ok && err != nil {
			t.Errorf("Owner after Handler: %v", err)
		}
		owners = append(owners, owner)
	})
	f.auth.Handler(next).ServeHTTP(httptest.NewRecorder(), signed(t, f.ed, "POST", testURL, testBody, nil))
	f.auth.Handler(next).ServeHTTP(httptest.NewRecorder(), bearer(f.token))
	if len(got) != 2 || got[0].Verified == nil || got[1].Token == nil || owners[0] != "alice" || owners[1] != "alice" {
		t.Fatalf("principals %+v, owners %q", got, owners)
	}

	// Optional passes a request without credentials on, with no principal,
	// and still refuses bad ones.
	opt := *f.auth
	opt.Optional = true
	w := httptest.NewRecorder()
	opt.Handler(next).ServeHTTP(w, httptest.NewRequest("GET", testURL, nil))
	if w.Code != 200 || len(got) != 2 || owners[2] != "" {
		t.Fatalf("anonymous request: %d, principals %d", w.Code, len(got))
	}
	w = httptest.NewRecorder()
	opt.Handler(next).ServeHTTP(w, bearer("x"))
	if w.Code != 401 || len(owners) != 3 {
		t.Fatalf("bad token with Optional: %d", w.Code)
	}

	// Admit's error reaches Deny as is, and nothing is handled.
	busy := errors.New("busy")
	var denied error
	f.auth.Admit = func(*http.Request, identity.KeyEntry) error { return busy }
	f.auth.Deny = func(w http.ResponseWriter, r *http.Request, err error) { denied = err; w.WriteHeader(503) }
	for _, r := range []*http.Request{signed(t, f.ed, "POST", testURL, testBody, nil), bearer(f.token)} {
		denied = nil
		w = httptest.NewRecorder()
		f.auth.Handler(next).ServeHTTP(w, r)
		if w.Code != 503 || denied != busy || len(owners) != 3 {
			t.Fatalf("Admit refusal: %d, %v", w.Code, denied)
		}
	}
}

func TestRequirePermissionAfterAuthenticator(t *testing.T) {
	f := newAuthFixture(t)
	for _, tc := range []struct {
		perm string
		want int
	}{{"read", 200}, {"write", 403}} {
		h := f.auth.Handler(identity.RequirePermission(tc.perm)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, bearer(f.token))
		if w.Code != tc.want {
			t.Fatalf("%s: %d, want %d", tc.perm, w.Code, tc.want)
		}
	}
	w := httptest.NewRecorder()
	identity.RequirePermission("read")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, bearer(f.token))
	if w.Code != 401 {
		t.Fatalf("without authentication: %d", w.Code)
	}
}

func TestVerifyMessage(t *testing.T) {
	key := mustKey(t, identity.Ed25519)
	other := mustKey(t, identity.Ed25519)
	sign := func(k *identity.PrivateKey, purpose string, created time.Time) *identity.SignedMessage {
		m, err := identity.SignMessage(k, purpose, []byte("alice"))
		if err != nil {
			t.Fatal(err)
		}
		m.Created = created
		if m.Signature, err = k.Sign(m.SignedBytes()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	good := sign(key, "register", testNow)
	tampered := sign(key, "register", testNow)
	tampered.Payload = []byte("mallory")
	wrongAlg := sign(key, "register", testNow)
	wrongAlg.Alg = identity.ECDSAP256SHA256
	for _, tc := range []struct {
		name string
		m    *identity.SignedMessage
		key  *identity.PublicKey
		want error
	}{
		{"ok", good, key.Public(), nil},
		{"purpose", sign(key, "login", testNow), key.Public(), identity.ErrPolicy},
		{"another key", good, other.Public(), identity.ErrUnknownKey},
		{"signed by another key", sign(other, "register", testNow), key.Public(), identity.ErrUnknownKey},
		{"nil key", good, nil, identity.ErrUnknownKey},
		{"alg mismatch", wrongAlg, key.Public(), identity.ErrBadSignature},
		{"tampered payload", tampered, key.Public(), identity.ErrBadSignature},
		{"too old", sign(key, "register", testNow.Add(-identity.DefaultMaxAge-identity.DefaultMaxSkew)), key.Public(), identity.ErrStale},
		{"from the future", sign(key, "register", testNow.Add(identity.DefaultMaxSkew+time.Second)), key.Public(), identity.ErrStale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := identity.VerifyMessage(tc.m, tc.key, "register", testNow)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifyMessage: %v, want %v", err, tc.want)
			}
		})
	}
}

func jsonBody(s string) io.Reader { return strings.NewReader(s) }
