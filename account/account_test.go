package account_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// A registration, then the login round trips, the keys fetch with the
// token, and a token that cannot renew itself.
func TestRegisterLogin(t *testing.T) {
	e := newEnv(t, nil, nil)
	reg := newRegistration(t, "alice")
	resp, err := e.anon.Register(ctx, reg.req)
	if err != nil || resp.User != "alice" || resp.KeyID != reg.signer.Public().KeyID() {
		t.Fatalf("Register = %+v, %v", resp, err)
	}
	start, err := e.anon.LoginStart(ctx, "alice")
	if err != nil || string(start.Account) != string(reg.req.Account) {
		t.Fatalf("LoginStart: %v", err)
	}
	keys, err := e.anon.Login(ctx, "alice", reg.ks.AuthKey())
	if err != nil || string(keys.Account) != string(reg.req.Account) || len(keys.KeyRecords) != 2 {
		t.Fatalf("Login = %d records, %v", len(keys.KeyRecords), err)
	}
	tok, err := e.signed(reg.signer).Token(ctx)
	if err != nil || tok.Token == "" || !tok.ExpiresAt.After(time.Now()) {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	keys, err = e.anon.Keys(ctx, tok.Token)
	if err != nil || len(keys.KeyRecords) != 2 {
		t.Fatalf("Keys with the token: %v", err)
	}
	if _, err := e.signed(reg.signer).Keys(ctx, ""); err != nil {
		t.Fatalf("Keys signed: %v", err)
	}
	// A token does not buy a token, and the keys route needs credentials.
	tc := &account.Client{BaseURL: e.anon.BaseURL, HTTPClient: &http.Client{Transport: bearer{tok.Token}}}
	if _, err := tc.Token(ctx); !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("Token with a token: %v, want 401", err)
	}
	if _, err := e.anon.Keys(ctx, ""); !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("Keys without credentials: %v, want 401", err)
	}
}

// bearer sends every request with a bearer token.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func isStatus(err error, status int) bool {
	e, ok := errors.AsType[*account.HTTPError](err)
	return ok && e.Status == status
}

// Wrong and unknown credentials are one answer, 401 bad_credentials; an
// unknown account is 404 at login/start; malformed logins are 400.
func TestLoginRefusals(t *testing.T) {
	e := newEnv(t, nil, nil)
	reg := newRegistration(t, "alice")
	if _, err := e.anon.Register(ctx, reg.req); err != nil {
		t.Fatal(err)
	}
	wrong := make([]byte, 32)
	for _, user := range []string{"alice", "nobody"} {
		if _, err := e.anon.Login(ctx, user, wrong); !errors.Is(err, account.ErrBadCredentials) || !isStatus(err, http.StatusUnauthorized) {
			t.Fatalf("login %s with a wrong key: %v, want 401 bad_credentials", user, err)
		}
	}
	if _, err := e.anon.LoginStart(ctx, "nobody"); !errors.Is(err, account.ErrNotFound) || !isStatus(err, http.StatusNotFound) {
		t.Fatalf("login/start of nobody: %v, want 404 not_found", err)
	}
	for _, bad := range []struct {
		user string
		key  []byte
	}{{"alice", wrong[:31]}, {"", wrong}, {".alice", wrong}} {
		if _, err := e.anon.Login(ctx, bad.user, bad.key); !errors.Is(err, account.ErrInvalid) {
			t.Fatalf("login %q with %d bytes: %v, want invalid", bad.user, len(bad.key), err)
		}
	}
	if _, err := e.anon.LoginStart(ctx, strings.Repeat("a", 65)); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("login/start of a bad name: %v, want invalid", err)
	}
	// The right key still works: refusals do not lock the account.
	if _, err := e.anon.Login(ctx, "alice", reg.ks.AuthKey()); err != nil {
		t.Fatal(err)
	}
}

// Past LoginRate.Burst wrong attempts for a user from one address, the
// next is 429 with Retry-After and is not checked (the right key too).
func TestLoginBackoff(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, nil, func(c *account.Config) {
		c.Now = clk.now
		c.LoginRate = httplimit.Rate{Burst: 3, Per: 30 * time.Second}
	})
	reg := newRegistration(t, "alice")
	if _, err := e.anon.Register(ctx, reg.req); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.anon.Login(ctx, "alice", make([]byte, 32)); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("wrong login: %v", err)
		}
	}
	_, err := e.anon.Login(ctx, "alice", reg.ks.AuthKey())
	if !errors.Is(err, httplimit.ErrRateLimited) || !isStatus(err, http.StatusTooManyRequests) {
		t.Fatalf("login during the back-off: %v, want 429 rate_limited", err)
	}
	clk.t = clk.t.Add(10 * time.Second) // the first delay: Per / Burst
	if _, err := e.anon.Login(ctx, "alice", reg.ks.AuthKey()); err != nil {
		t.Fatalf("login after the delay: %v", err)
	}
}

// The anonymous routes are limited per client address to AddrFactor ×
// LoginRate each: the one over it is 429 with Retry-After.
func TestAddressRate(t *testing.T) {
	e := newEnv(t, nil, func(c *account.Config) { c.LoginRate = httplimit.Rate{Burst: 1, Per: time.Hour} })
	for range account.AddrFactor {
		if _, err := e.anon.LoginStart(ctx, "nobody"); !errors.Is(err, account.ErrNotFound) {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest("POST", e.anon.BaseURL+"/v1/login/start", strings.NewReader(`{"user":"nobody"}`))
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("login/start over the address rate: %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Registrations are counted apart.
	if _, err := e.anon.Register(ctx, newRegistration(t, "alice").req); err != nil {
		t.Fatalf("register after the logins: %v", err)
	}
}

// Every check of a registration refuses with 400 invalid, and a refused
// registration stores nothing: the same name then registers.
func TestRegisterChecks(t *testing.T) {
	e := newEnv(t, nil, func(c *account.Config) { c.InsecureAllowWeakKDF = false })
	weak := newEnv(t, nil, nil)
	other := newRegistration(t, "bob")
	cases := map[string]func(r *account.RegisterRequest){
		"bad name":            func(r *account.RegisterRequest) { r.User = "a/b" },
		"no account":          func(r *account.RegisterRequest) { r.Account = nil },
		"account of another":  func(r *account.RegisterRequest) { r.Account = other.req.Account },
		"short auth key":      func(r *account.RegisterRequest) { r.AuthKey = r.AuthKey[:31] },
		"too many records":    func(r *account.RegisterRequest) { r.KeyRecords = make([][]byte, account.MaxKeyRecords+1) },
		"bad record":          func(r *account.RegisterRequest) { r.KeyRecords[0] = []byte("{}") },
		"record of another":   func(r *account.RegisterRequest) { r.KeyRecords[1] = other.req.KeyRecords[1] },
		"duplicate record":    func(r *account.RegisterRequest) { r.KeyRecords[1] = r.KeyRecords[0] },
		"bad signing key":     func(r *account.RegisterRequest) { r.SigningKey = r.SigningKey[:31] },
		"proof by another":    func(r *account.RegisterRequest) { r.Proof = other.req.Proof },
		"no proof":            func(r *account.RegisterRequest) { r.Proof = nil },
		"no directory":        func(r *account.RegisterRequest) { r.Directory = nil },
		"directory of other":  func(r *account.RegisterRequest) { r.Directory.ID = "bob" },
		"directory other key": func(r *account.RegisterRequest) { r.Directory.SigningKey = other.req.SigningKey },
		"directory no keys":   func(r *account.RegisterRequest) { r.Directory.Keys = nil },
	}
	for name, mutate := range cases {
		reg := newRegistration(t, "alice")
		mutate(reg.req)
		if _, err := weak.anon.Register(ctx, reg.req); !errors.Is(err, account.ErrInvalid) || !isStatus(err, http.StatusBadRequest) {
			t.Errorf("%s: %v, want 400 invalid", name, err)
		}
	}
	// Proofs of another purpose, or of another name, do not register.
	reg := newRegistration(t, "alice")
	for _, p := range []struct{ purpose, payload string }{{"sealkit-other", "alice"}, {account.RegisterPurpose, "bob"}} {
		m, err := identity.SignMessage(reg.signer, p.purpose, []byte(p.payload))
		if err != nil {
			t.Fatal(err)
		}
		if reg.req.Proof, err = m.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
		if _, err := weak.anon.Register(ctx, reg.req); !errors.Is(err, account.ErrInvalid) {
			t.Errorf("proof %+v: %v, want invalid", p, err)
		}
	}
	// The KDF floor holds unless the service lowers it.
	if _, err := e.anon.Register(ctx, newRegistration(t, "alice").req); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("a weak account: %v, want invalid", err)
	}
	if _, err := weak.anon.Register(ctx, newRegistration(t, "alice").req); err != nil {
		t.Fatalf("alice after the refusals: %v", err)
	}
	if n, err := weak.cfg.Stores.Count(ctx, account.UserCounter); err != nil || n != 1 {
		t.Fatalf("account count %d, %v; want 1", n, err)
	}
}

// A registration whose last write fails (the directory entry, which
// share refuses) leaves nothing: no account, key, verifier, count or
// signing key; the same name and key register afterwards.
func TestRegisterAtomic(t *testing.T) {
	e := newEnv(t, nil, nil)
	reg := newRegistration(t, "alice")
	good := reg.req.Directory.Keys
	reg.req.Directory.Keys = []share.PublicKey{{Kind: share.KindRSA, Bytes: []byte("not an RSA key")}}
	if _, err := e.anon.Register(ctx, reg.req); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("unusable directory key: %v, want invalid", err)
	}
	s := e.cfg.Stores
	if entries, err := s.Keystore.List(ctx, "alice"); err != nil || len(entries) != 0 {
		t.Fatalf("%d keystore entries left, %v", len(entries), err)
	}
	if _, err := s.KeyRegistry.Lookup(ctx, reg.signer.Public().KeyID()); !errors.Is(err, identity.ErrUnknownKey) && !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("signing key left registered: %v", err)
	}
	if n, _ := s.Count(ctx, account.UserCounter); n != 0 {
		t.Fatalf("account count %d after the failure", n)
	}
	reg.req.Directory.Keys = good
	if _, err := e.anon.Register(ctx, reg.req); err != nil {
		t.Fatal(err)
	}
}

// MaxUsers caps accounts durably: a taken name costs no count, and a new
// Service over the same stores (a restart, another process) goes on
// refusing.
func TestMaxUsers(t *testing.T) {
	stores := openStores(t)
	e := newEnv(t, stores, func(c *account.Config) { c.MaxUsers = 2 })
	if _, err := e.anon.Register(ctx, newRegistration(t, "alice").req); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.anon.Register(ctx, newRegistration(t, "alice").req); !errors.Is(err, account.ErrExists) || !isStatus(err, http.StatusConflict) {
			t.Fatalf("alice again: %v, want 409 exists", err)
		}
	}
	if _, err := e.anon.Register(ctx, newRegistration(t, "bob").req); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*env{e, newEnv(t, stores, func(c *account.Config) { c.MaxUsers = 2 })} {
		_, err := e.anon.Register(ctx, newRegistration(t, "carol").req)
		if !errors.Is(err, account.ErrUserLimit) || !isStatus(err, http.StatusForbidden) {
			t.Fatalf("carol beyond MaxUsers: %v, want 403 user_limit", err)
		}
	}
	if n, _ := stores.Count(ctx, account.UserCounter); n != 2 {
		t.Fatalf("account count %d, want 2", n)
	}
	// The count is the backend's counter: raising the cap admits more.
	if err := stores.Increment(ctx, account.UserCounter, 3); err != nil {
		t.Fatal(err)
	}
	if err := stores.Increment(ctx, account.UserCounter, 3); !errors.Is(err, backend.ErrCounterFull) {
		t.Fatalf("counter at 3 of 3: %v", err)
	}
}

// Bodies over a route's cap are 413 too_large; unknown fields and
// trailing data are 400 invalid.
func TestBodies(t *testing.T) {
	e := newEnv(t, nil, nil)
	post := func(path, body string) int {
		t.Helper()
		resp, err := e.srv.Client().Post(e.anon.BaseURL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/v1/login", `{"user":"`+strings.Repeat("a", account.MaxLoginBody)+`"}`); got != http.StatusRequestEntityTooLarge {
		t.Errorf("login body over its cap: %d, want 413", got)
	}
	if got := post("/v1/register", `{"user":"`+strings.Repeat("a", account.MaxRegisterBody)+`"}`); got != http.StatusRequestEntityTooLarge {
		t.Errorf("register body over its cap: %d, want 413", got)
	}
	for _, body := range []string{`{"user":"a","extra":1}`, `{"user":"a"} {}`, `[`} {
		if got := post("/v1/login/start", body); got != http.StatusBadRequest {
			t.Errorf("login/start %s: %d, want 400", body, got)
		}
	}
}
