package account_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

var ctx = context.Background()

// weakPolicy keeps account KDFs cheap (the service is told to accept them).
var weakPolicy = &keystore.Policy{
	Params:            keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000},
	InsecureAllowWeak: true,
}

const audience = "sealkit-account-test"

// env is a Service over in-memory SQLite, served over HTTP below
// httplimit's handler as a server mounts it.
type env struct {
	cfg     account.Config
	srv     *httptest.Server
	handler http.Handler    // what srv serves, for requests in process
	anon    *account.Client // the anonymous routes
}

func openStores(t testing.TB) *backend.Stores {
	t.Helper()
	db, err := sqlite.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Stores()
}

// newEnv starts a Service on stores (nil: new ones) with tweak applied to
// its Config.
func newEnv(t testing.TB, stores *backend.Stores, tweak func(*account.Config)) *env {
	t.Helper()
	if stores == nil {
		stores = openStores(t)
	}
	tokenKey, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pepper := make([]byte, keystore.MinPepperSize)
	rand.Read(pepper)
	cfg := account.Config{Stores: stores, Pepper: pepper, InsecureAllowWeakKDF: true,
		Tokens: &identity.TokenIssuer{Key: tokenKey, Issuer: "test"}, TokenAudience: audience}
	if tweak != nil {
		tweak(&cfg)
	}
	svc, err := account.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	limits, err := httplimit.New(httplimit.Config{WriteError: account.WriteError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	authority := srv.Listener.Addr().String()
	proxy := &identity.TrustedProxy{Authority: authority} // plain HTTP in tests
	auth := &identity.Authenticator{
		Signatures: &identity.Verifier{Registry: stores.KeyRegistry, Replay: stores.Replay, Authority: authority, TrustedProxy: proxy, Now: cfg.Now},
		Tokens: &identity.TokenVerifier{Key: tokenKey.Public(), Issuer: "test", Audience: audience,
			Registry: stores.KeyRegistry, TrustedProxy: proxy, Now: cfg.Now},
		Admit: func(r *http.Request, e identity.KeyEntry) error { return httplimit.Admit(r, e.Owner) },
	}
	h := account.NewHandler("/api", svc, auth)
	mux := http.NewServeMux()
	for _, rt := range account.Routes() {
		mux.Handle(rt.Method+" /api"+rt.Path, limits.Route(rt.Limits(), h))
	}
	srv.Config.Handler = limits.Handler(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{cfg: cfg, srv: srv, handler: srv.Config.Handler, anon: &account.Client{BaseURL: srv.URL + "/api", HTTPClient: srv.Client()}}
}

// signed returns a client of the account routes whose requests key signs.
func (e *env) signed(key *identity.PrivateKey) *account.Client {
	hc := &http.Client{Transport: &identity.Transport{Key: key, Base: e.srv.Client().Transport, SplitTarget: true}}
	return &account.Client{BaseURL: e.srv.URL + "/api", HTTPClient: hc}
}

// registration is what a client makes to register user: the request, the
// unlocked keystore session and the signing key.
type registration struct {
	req    *account.RegisterRequest
	ks     *keystore.Session
	signer *identity.PrivateKey
}

// newRegistration makes a valid registration of user, as a client does.
func newRegistration(t testing.TB, user string) *registration {
	t.Helper()
	acct, ks, _, err := keystore.NewAccount(user, "correct horse "+user, weakPolicy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ks.Close)
	sigRec, err := ks.GenerateKey("signing", keystore.Ed25519, 1)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := ks.OpenKey(sigRec)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := identity.NewPrivateKey(sk.Key().(ed25519.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	encRec, err := ks.GenerateKey("encryption", keystore.MLKEM768X25519, 1)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ks.OpenKey(encRec)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := share.PublicKeyOf(ek.Key().(*envelope.HybridIdentity).Recipient())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := account.SignRegistration(signer, user)
	if err != nil {
		t.Fatal(err)
	}
	sig := signer.Public().Bytes()
	return &registration{ks: ks, signer: signer, req: &account.RegisterRequest{
		User: user, Account: acct.Bytes(), AuthKey: ks.AuthKey(),
		KeyRecords: [][]byte{sigRec.Bytes(), encRec.Bytes()},
		SigningKey: sig,
		Directory:  &share.User{ID: user, Keys: []share.PublicKey{pk}, SigningKey: sig},
		Proof:      proof,
	}}
}

// clock is a settable Config.Now, starting at the real time (registration
// proofs are signed with it).
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
