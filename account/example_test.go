package account_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// A server mounts the account routes; a client registers, logs in on a
// fresh device with its name and passphrase only, and trades a signed
// request for a session token.
func Example() {
	ctx := context.Background()

	// Server: the Service over the stores, its Handler below httplimit.
	db, err := sqlite.OpenMemory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	stores := db.Stores()
	tokenKey, _ := identity.GenerateKey()
	pepper := make([]byte, keystore.MinPepperSize) // a secret kept apart from the database
	rand.Read(pepper)
	svc, err := account.New(account.Config{Stores: stores, Pepper: pepper,
		Tokens: &identity.TokenIssuer{Key: tokenKey, Issuer: "example"}, TokenAudience: "example"})
	if err != nil {
		log.Fatal(err)
	}
	auth := &identity.Authenticator{
		Signatures: &identity.Verifier{Registry: stores.KeyRegistry, Replay: stores.Replay},
		Tokens:     &identity.TokenVerifier{Key: tokenKey.Public(), Issuer: "example", Audience: "example", Registry: stores.KeyRegistry},
		Admit:      func(r *http.Request, e identity.KeyEntry) error { return httplimit.Admit(r, e.Owner) },
	}
	limits, _ := httplimit.New(httplimit.Config{WriteError: account.WriteError})
	h := account.NewHandler("/api", svc, auth)
	mux := http.NewServeMux()
	for _, rt := range account.Routes() {
		mux.Handle(rt.Method+" /api"+rt.Path, limits.Route(rt.Limits(), h))
	}
	srv := httptest.NewTLSServer(limits.Handler(mux))
	defer srv.Close()
	anon := &account.Client{BaseURL: srv.URL + "/api", HTTPClient: srv.Client()}

	// Client: every key is made here and sealed under the passphrase.
	const passphrase = "correct horse battery staple"
	acct, ks, _, err := keystore.NewAccount("alice", passphrase, keystore.BrowserPolicy())
	if err != nil {
		log.Fatal(err)
	}
	sigRec, _ := ks.GenerateKey("signing", keystore.Ed25519, 1)
	encRec, _ := ks.GenerateKey("encryption", keystore.MLKEM768X25519, 1)
	sk, _ := ks.OpenKey(sigRec)
	signer, _ := identity.NewPrivateKey(sk.Key().(ed25519.PrivateKey))
	ek, _ := ks.OpenKey(encRec)
	pub, _ := share.PublicKeyOf(ek.Key().(*envelope.HybridIdentity).Recipient())
	proof, _ := account.SignRegistration(signer, "alice")
	reg, err := anon.Register(ctx, &account.RegisterRequest{
		User: "alice", Account: acct.Bytes(), AuthKey: ks.AuthKey(),
		KeyRecords: [][]byte{sigRec.Bytes(), encRec.Bytes()},
		SigningKey: signer.Public().Bytes(),
		Directory:  &share.User{ID: "alice", Keys: []share.PublicKey{pub}, SigningKey: signer.Public().Bytes()},
		Proof:      proof,
	})
	fmt.Println("registered", reg.User, err)
	ks.Close()

	// Login on a fresh device: the account record, unlocked here, gives
	// the auth key that fetches the sealed key records.
	start, _ := anon.LoginStart(ctx, "alice")
	again, _ := keystore.ParseAccount(start.Account)
	ks, err = again.Unlock(passphrase, keystore.BrowserPolicy())
	if err != nil {
		log.Fatal(err)
	}
	defer ks.Close()
	keys, err := anon.Login(ctx, "alice", ks.AuthKey())
	fmt.Println("key records:", len(keys.KeyRecords), err)

	signed := &account.Client{BaseURL: anon.BaseURL, HTTPClient: &http.Client{
		Transport: &identity.Transport{Key: signer, Base: srv.Client().Transport}}}
	tok, err := signed.Token(ctx)
	fmt.Println("token:", tok.Token != "", err)

	_, err = anon.Login(ctx, "alice", make([]byte, 32))
	fmt.Println(err)
	// Output:
	// registered alice <nil>
	// key records: 2 <nil>
	// token: true <nil>
	// account: bad credentials (server answered 401 bad_credentials)
}
