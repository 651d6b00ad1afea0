package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// vault is the server side: share's HTTP API over SQLite, authenticated by
// identity's RFC 9421 verifier. It never sees a plaintext or a usable key.
type vault struct {
	db       *sqlite.DB
	srv      *httptest.Server
	keystore *keystore.Keystore
	registry identity.KeyRegistry

	mu         sync.Mutex
	lastRefuse error // the verifier's reason for the last refused request
}

func newVault(db *sqlite.DB) *vault {
	v := &vault{db: db, registry: db.KeyRegistry()}
	// Browser clients must be able to unlock too: PBKDF2-SHA256, 600,000
	// iterations. Go clients may use keystore.DefaultPolicy (Argon2id).
	v.keystore = keystore.New(db.Keystore(), keystore.BrowserPolicy())
	// The Authenticator puts the verified owner in each request's
	// context; share's handler reads it (Owner), and refusals are
	// answered {"error": reason} after the quickstart notes why.
	auth := &identity.Authenticator{
		Signatures: &identity.Verifier{Registry: v.registry, Replay: db.ReplayStore()},
		Optional:   true, // share's handler refuses anonymous calls to user routes
		Deny:       v.refused,
	}
	api := sharehttp.NewHandler(share.NewService(db.Share(), db.Blobs()), auth.Owner)
	v.srv = httptest.NewTLSServer(auth.Handler(api))
	return v
}

func (v *vault) Close() { v.srv.Close() }

// refused notes why the verifier refused a request, then answers it.
func (v *vault) refused(w http.ResponseWriter, r *http.Request, err error) {
	v.mu.Lock()
	v.lastRefuse = err
	v.mu.Unlock()
	identity.WriteError(w, err)
}

// recorder keeps a copy of the last request a client sent, so that the
// quickstart can play the eavesdropper who replays it.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last *http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.last = req.Clone(req.Context())
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// user is everything one person's device holds after logging in.
type user struct {
	*share.Client
	wire *recorder
}

// register creates an account in the keystore (only encrypted records
// reach the server), makes an ML-KEM-768+X25519 inbox key and an Ed25519
// signing key, registers the signing key for request signatures and
// publishes the public keys. It returns the printed recovery key.
func (v *vault) register(ctx context.Context, name, passphrase string) (*keystore.RecoveryKey, error) {
	sess, rk, err := v.keystore.Register(ctx, name, passphrase)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if _, err := v.keystore.CreateKey(ctx, sess, "inbox", keystore.MLKEM768X25519); err != nil {
		return nil, err
	}
	if _, err := v.keystore.CreateKey(ctx, sess, "signing", keystore.Ed25519); err != nil {
		return nil, err
	}
	u, err := v.login(ctx, name, passphrase)
	if err != nil {
		return nil, err
	}
	pub, err := identity.NewPrivateKey(u.SigningKey)
	if err != nil {
		return nil, err
	}
	if err := v.registry.Register(ctx, identity.KeyEntry{PublicKey: pub.Public(), Owner: name}); err != nil {
		return nil, err
	}
	return rk, u.Register(ctx)
}

// login unlocks the account with the passphrase and opens the keys the
// client needs; every later request is signed with the signing key.
func (v *vault) login(ctx context.Context, name, passphrase string) (*user, error) {
	sess, err := v.keystore.Unlock(ctx, name, passphrase)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	inbox, err := v.keystore.OpenKey(ctx, sess, "inbox", 0)
	if err != nil {
		return nil, err
	}
	inboxID, err := inbox.Identity()
	if err != nil {
		return nil, err
	}
	signing, err := v.keystore.OpenKey(ctx, sess, "signing", 0)
	if err != nil {
		return nil, err
	}
	sk, ok := signing.Key().(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("signing key is not Ed25519")
	}
	idKey, err := identity.NewPrivateKey(sk)
	if err != nil {
		return nil, err
	}
	kek, err := sess.KEK()
	if err != nil {
		return nil, err
	}
	wire := &recorder{base: v.srv.Client().Transport}
	return &user{
		Client: &share.Client{
			User: name,
			Transport: &sharehttp.Client{BaseURL: v.srv.URL, HTTPClient: &http.Client{
				Transport: &identity.Transport{Key: idKey, Base: wire},
			}},
			Identities:     []envelope.Identity{inboxID},
			KEK:            kek,
			SigningKey:     sk,
			ConnectionKeys: &share.MemoryConnectionKeys{},
			Pins:           &share.MemoryPins{},
		},
		wire: wire,
	}, nil
}

// vaultFlows runs the vault's flows: register, upload, share, read, a
// lying server's substituted key refused, revoke, public links,
// connections and encryption spaces, the audit trail and a replayed
// request.
func vaultFlows(ctx context.Context, s *steps, db *sqlite.DB) error {
	s.section("A zero-knowledge vault: SQLite, HTTPS, every request signed")
	v := newVault(db)
	defer v.Close()

	rk, err := v.register(ctx, "alice", "correct horse battery staple")
	if err != nil {
		return err
	}
	if _, err := v.register(ctx, "bob", "bob's long and secret passphrase"); err != nil {
		return err
	}
	s.say("Alice and Bob registered. The server stores their account records (salt, PBKDF2 cost, wrapped master KEK) and encrypted private keys, never a passphrase.")
	s.detail("Alice's recovery key, shown once: %s…", rk.Phrase()[:14])

	if _, err := v.login(ctx, "alice", "Tr0ub4dor&3"); !errors.Is(err, keystore.ErrUnlock) {
		return fmt.Errorf("a wrong passphrase was not refused: %v", err)
	}
	s.say("A login with the wrong passphrase fails after the full key-stretching cost, with one opaque error.")
	alice, err := v.login(ctx, "alice", "correct horse battery staple")
	if err != nil {
		return err
	}
	bob, err := v.login(ctx, "bob", "bob's long and secret passphrase")
	if err != nil {
		return err
	}
	s.say("Both logged in: their devices unlocked their keys; from now on each request carries an Ed25519 HTTP signature (RFC 9421).")

	doc := "Contract: Alice sells Bob one (1) bicycle for 120 EUR."
	it, err := alice.Upload(ctx, strings.NewReader(doc), &envelope.Metadata{Name: "contract.txt", ContentType: "text/plain"})
	if err != nil {
		return err
	}
	stored, err := db.Share().Items.Item(ctx, it.ID)
	if err != nil {
		return err
	}
	if bytes.Contains(stored.Header, []byte("contract")) {
		return errors.New("the server's item record shows the file name")
	}
	s.say("Alice uploaded a document under a fresh DEK: the server holds %d bytes of ciphertext and a %d-byte header; the name is encrypted.", stored.Size, len(stored.Header))

	if _, err := alice.Share(ctx, it.ID, "bob"); err != nil {
		return err
	}
	received, err := bob.Received(ctx)
	if err != nil || len(received) != 1 {
		return fmt.Errorf("bob's received shares: %v, %v", received, err)
	}
	var got bytes.Buffer
	meta, err := bob.Read(ctx, received[0].Item, &got)
	if err != nil || got.String() != doc {
		return fmt.Errorf("bob read %q: %v", got.String(), err)
	}
	s.say("Alice shared it with Bob (the DEK wrapped to his ML-KEM-768+X25519 key); Bob listed his received shares and read %q: %q.", meta.Name, got.String())
	if err := keySubstitution(ctx, s, alice, it.ID); err != nil {
		return err
	}

	if err := bob.Delete(ctx, it.ID); !errors.Is(err, share.ErrPermission) {
		return fmt.Errorf("bob deleted alice's document: %v", err)
	}
	s.say("Bob tried to delete Alice's document: refused (%v). A shared user may only read.", share.ErrPermission)

	if err := replay(bob.wire, v); err != nil {
		return err
	}
	s.say("An eavesdropper replayed Bob's last signed request byte for byte: refused with 401 (%v).", v.lastRefuse)

	if err := alice.Revoke(ctx, it.ID, "bob", true); err != nil {
		return err
	}
	if _, err := bob.ReadAll(ctx, it.ID); err == nil {
		return errors.New("bob still reads after revocation")
	}
	s.say("Alice revoked Bob and rotated: the document is re-sealed under a new DEK, so even a DEK Bob kept opens nothing new.")

	link, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: 7 * 24 * time.Hour, MaxDownloads: 2})
	if err != nil {
		return err
	}
	anyone := &sharehttp.Client{BaseURL: v.srv.URL, HTTPClient: v.srv.Client()}
	s.say("Alice made a public link: 7 days, 2 downloads; its 128-bit secret travels in the URL fragment (#%s…), never to the server.", link.Secret[:6])
	if _, err := share.OpenLink(ctx, anyone, share.LinkSecret{ID: link.ID, Secret: "guessed-wrong"}, io.Discard); !errors.Is(err, share.ErrBadProof) {
		return fmt.Errorf("a wrong link secret: %v", err)
	}
	s.say("A visitor with a wrong secret is refused (and counted towards a lockout).")
	for i := 1; i <= 2; i++ {
		got.Reset()
		if _, err := share.OpenLink(ctx, anyone, link, &got); err != nil || got.String() != doc {
			return fmt.Errorf("link download %d: %v", i, err)
		}
	}
	if _, err := share.OpenLink(ctx, anyone, link, io.Discard); !errors.Is(err, share.ErrExhausted) {
		return fmt.Errorf("a third download was not refused: %v", err)
	}
	s.say("Two anonymous downloads decrypted in the visitor's client; the third was refused: %v.", share.ErrExhausted)

	inv, err := alice.Invite(ctx, "bob", time.Hour)
	if err != nil {
		return err
	}
	conn, err := bob.Accept(ctx, inv)
	if err != nil {
		return err
	}
	s.say("Alice invited Bob to connect; Bob accepted with the single-use token. Each made a key pair for this connection alone.")
	card, err := alice.Upload(ctx, strings.NewReader("Passport 123456789, valid to 2031"), &envelope.Metadata{Name: "passport.card"})
	if err != nil {
		return err
	}
	if _, err := alice.ShareViaConnection(ctx, card.ID, conn.ID, share.ModeReencrypt); err != nil {
		return err
	}
	received, err = bob.Received(ctx)
	if err != nil || len(received) != 1 {
		return fmt.Errorf("bob's received shares: %v, %v", received, err)
	}
	if err := bob.Claim(ctx, received[0]); err != nil {
		return err
	}
	pt, err := bob.ReadAll(ctx, received[0].Item)
	if err != nil {
		return err
	}
	s.say("Alice shared a card through an encryption space (re-encrypted under a share DEK); Bob claimed the DEK under his own KEK and read %q.", pt)

	entries, _, err := alice.Audit(ctx, it.ID, nil)
	if err != nil {
		return err
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Event.Actor+" "+e.Event.Action)
	}
	s.say("The document's audit trail verifies: %d signed, hash-chained entries (%s).", len(entries), strings.Join(actions, ", "))
	return nil
}

// replay sends the last request u made again, as an eavesdropper would.
func replay(wire *recorder, v *vault) error {
	wire.mu.Lock()
	req := wire.last.Clone(context.Background())
	wire.mu.Unlock()
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return err
		}
		req.Body = body
	}
	resp, err := v.srv.Client().Transport.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !errors.Is(v.lastRefuse, identity.ErrReplayed) {
		return fmt.Errorf("a replayed request got %d (%v)", resp.StatusCode, v.lastRefuse)
	}
	return nil
}
