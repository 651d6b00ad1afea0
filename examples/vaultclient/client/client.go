package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// Key names in the user's keystore.
const (
	KeySigning    = "signing"    // Ed25519: HTTP signatures and audit events
	KeyEncryption = "encryption" // MLKEM768-X25519: shares to this user, and its KEK
)

// maxSignedBody caps what identity.Transport buffers to digest a request.
const maxSignedBody = 1 << 30

// Options say how to reach the server.
type Options struct {
	// URL is the server's base URL, e.g. "https://127.0.0.1:8443".
	URL string
	// HTTPClient carries TLS settings (the server's certificate) and
	// timeouts; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Policy is the KDF of new accounts and the floor at unlock; nil means
	// keystore.DefaultPolicy (Argon2id). Use keystore.BrowserPolicy for
	// accounts a browser must open too.
	Policy *keystore.Policy
	// ResponseKey is the server's pinned response key (API.md, "Signed
	// responses"): answers it did not sign are refused with a
	// *ResponseError. nil means fetch it with [FetchServerKey] at
	// Register, Login or Resume, trusting it on first use; pin
	// [Session.ResponseKey] for later runs.
	ResponseKey *identity.PublicKey
}

// plain returns the configured client, which does not check answers.
func (o *Options) plain() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return http.DefaultClient
}

// base returns the client that checks answers against ResponseKey.
func (o *Options) base() *http.Client { return verifying(o.plain(), o.ResponseKey) }

// pin fetches the response key if none is pinned.
func (o *Options) pin(ctx context.Context) error {
	if o.ResponseKey != nil {
		return nil
	}
	k, err := FetchServerKey(ctx, o.plain(), o.URL)
	o.ResponseKey = k
	return err
}

func (o *Options) url(path string) string { return strings.TrimRight(o.URL, "/") + path }

// accounts returns the client of the account routes over hc.
func (o *Options) accounts(hc *http.Client) *account.Client {
	return &account.Client{BaseURL: o.url("/api"), HTTPClient: hc}
}

// Session is a logged-in user: its unlocked keys, a signing HTTP client and
// a share.Client. Close it to clear the keys.
type Session struct {
	opts   Options
	user   string
	acct   *keystore.Account // the account record ks unlocked
	ks     *keystore.Session
	signer *identity.PrivateKey
	enc    *envelope.HybridIdentity
	signed *http.Client
	share  *share.Client

	mu        sync.Mutex
	token     string
	expires   time.Time
	maxObject int64
}

// ResponseKey returns the server's response key the session checks
// answers against, for the caller to pin.
func (s *Session) ResponseKey() *identity.PublicKey { return s.opts.ResponseKey }

// User returns the session's user name.
func (s *Session) User() string { return s.user }

// Share returns the session's share.Client, for flows this package does
// not wrap (connections, encryption spaces, audit).
func (s *Session) Share() *share.Client { return s.share }

// HTTPClient returns the client that signs every request with the user's
// key (RFC 9421), for routes this package does not wrap.
func (s *Session) HTTPClient() *http.Client { return s.signed }

// Token returns the session token from the last login and its expiry.
func (s *Session) Token() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.expires
}

// Close clears the unlocked keys (best effort).
func (s *Session) Close() { s.ks.Close() }

// ChangePassphrase wraps the master KEK under newPassphrase and has the
// server store the new account record with the new login verifier, in one
// step. The key records and items stay as they are; the old passphrase
// stops working. The session signs the request with its key.
func (s *Session) ChangePassphrase(ctx context.Context, newPassphrase string) error {
	old := s.ks.AuthKey()
	na, err := s.ks.ChangePassphrase(s.acct, newPassphrase, s.opts.Policy)
	if err != nil {
		return err
	}
	req := &account.ChangePassphraseRequest{OldAuthKey: old, Account: na.Bytes(), AuthKey: s.ks.AuthKey()}
	if err := s.opts.accounts(s.signed).ChangePassphrase(ctx, req); err != nil {
		return err
	}
	s.acct = na
	return nil
}

// Register creates the account: the keystore account and two key records
// made here, sealed under a master KEK that only passphrase unwraps; the
// server gets those records, the auth key, and the public keys. It returns
// the logged-in session and the recovery key to show the user once.
func Register(ctx context.Context, opts Options, user, passphrase string) (*Session, *keystore.RecoveryKey, error) {
	if err := opts.pin(ctx); err != nil {
		return nil, nil, err
	}
	acct, ks, rk, err := keystore.NewAccount(user, passphrase, opts.Policy)
	if err != nil {
		return nil, nil, err
	}
	sigRec, err := ks.GenerateKey(KeySigning, keystore.Ed25519, 1)
	if err != nil {
		ks.Close()
		return nil, nil, err
	}
	encRec, err := ks.GenerateKey(KeyEncryption, keystore.MLKEM768X25519, 1)
	if err != nil {
		ks.Close()
		return nil, nil, err
	}
	s, err := newSession(opts, user, ks, []*keystore.KeyRecord{sigRec, encRec})
	if err != nil {
		ks.Close()
		return nil, nil, err
	}
	s.acct = acct
	pk, err := share.PublicKeyOf(s.enc.Recipient())
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	sigPub := s.signer.Public().Bytes()
	proof, err := account.SignRegistration(s.signer, user)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	req := account.RegisterRequest{
		User: user, Account: acct.Bytes(), AuthKey: ks.AuthKey(),
		KeyRecords: [][]byte{sigRec.Bytes(), encRec.Bytes()},
		SigningKey: sigPub,
		Directory:  &share.User{ID: user, Keys: []share.PublicKey{pk}, SigningKey: sigPub},
		Proof:      proof,
	}
	if _, err := opts.accounts(opts.base()).Register(ctx, &req); err != nil {
		s.Close()
		return nil, nil, err
	}
	if err := s.refreshToken(ctx); err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, rk, nil
}

// Login unlocks the account with passphrase: it fetches the account record,
// derives the auth key here, presents it for the sealed key records, opens
// them, and exchanges a signed request for a session token.
func Login(ctx context.Context, opts Options, user, passphrase string) (*Session, error) {
	if err := opts.pin(ctx); err != nil {
		return nil, err
	}
	accounts := opts.accounts(opts.base())
	start, err := accounts.LoginStart(ctx, user)
	if err != nil {
		return nil, err
	}
	acct, err := keystore.ParseAccount(start.Account)
	if err != nil {
		return nil, err
	}
	if acct.Owner() != user {
		return nil, keystore.ErrCorrupt
	}
	ks, err := acct.Unlock(passphrase, opts.Policy)
	if err != nil {
		return nil, err
	}
	keys, err := accounts.Login(ctx, user, ks.AuthKey())
	if err != nil {
		ks.Close()
		return nil, err
	}
	s, err := sessionFromRecords(opts, user, ks, keys.KeyRecords)
	if err != nil {
		return nil, err
	}
	s.acct = acct
	if err := s.refreshToken(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Resume is Login with a cached session token instead of the auth-key
// round trip: the token fetches the records, the passphrase opens them.
// An expired or unknown token is an *account.HTTPError with status 401
// (IsStatus); call Login.
func Resume(ctx context.Context, opts Options, user, passphrase, token string) (*Session, error) {
	if err := opts.pin(ctx); err != nil {
		return nil, err
	}
	keys, err := opts.accounts(opts.base()).Keys(ctx, token)
	if err != nil {
		return nil, err
	}
	acct, err := keystore.ParseAccount(keys.Account)
	if err != nil {
		return nil, err
	}
	if acct.Owner() != user {
		return nil, keystore.ErrCorrupt
	}
	ks, err := acct.Unlock(passphrase, opts.Policy)
	if err != nil {
		return nil, err
	}
	s, err := sessionFromRecords(opts, user, ks, keys.KeyRecords)
	if err != nil {
		return nil, err
	}
	s.acct = acct
	s.token = token
	return s, nil
}

func sessionFromRecords(opts Options, user string, ks *keystore.Session, raw [][]byte) (*Session, error) {
	latest := map[string]*keystore.KeyRecord{}
	for _, b := range raw {
		r, err := keystore.ParseKeyRecord(b)
		if err != nil {
			ks.Close()
			return nil, err
		}
		if cur, ok := latest[r.Name()]; !ok || r.Version() > cur.Version() {
			latest[r.Name()] = r
		}
	}
	s, err := newSession(opts, user, ks, []*keystore.KeyRecord{latest[KeySigning], latest[KeyEncryption]})
	if err != nil {
		ks.Close()
		return nil, err
	}
	return s, nil
}

// newSession opens the signing and encryption key records (nil records
// are an error) and wires the share client.
func newSession(opts Options, user string, ks *keystore.Session, recs []*keystore.KeyRecord) (*Session, error) {
	if recs[0] == nil || recs[1] == nil {
		return nil, fmt.Errorf("%w: account lacks its %s or %s key", keystore.ErrCorrupt, KeySigning, KeyEncryption)
	}
	sk, err := ks.OpenKey(recs[0])
	if err != nil {
		return nil, err
	}
	ek, err := ks.OpenKey(recs[1])
	if err != nil {
		return nil, err
	}
	ed, ok1 := sk.Key().(ed25519.PrivateKey)
	hy, ok2 := ek.Key().(*envelope.HybridIdentity)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: unexpected key kinds", keystore.ErrCorrupt)
	}
	signer, err := identity.NewPrivateKey(ed)
	if err != nil {
		return nil, err
	}
	base := opts.base()
	rt := base.Transport // checks answers under the request signer
	signed := &http.Client{
		Transport: &identity.Transport{Key: signer, Base: rt, SplitTarget: true, MaxBodyBytes: maxSignedBody},
		Timeout:   base.Timeout,
	}
	s := &Session{opts: opts, user: user, ks: ks, signer: signer, enc: hy, signed: signed}
	s.share = &share.Client{
		User:           user,
		Transport:      &sharehttp.Client{BaseURL: opts.url("/api"), HTTPClient: signed},
		Identities:     []envelope.Identity{hy},
		KEK:            selfKEK{hy},
		SigningKey:     ed,
		ConnectionKeys: &share.MemoryConnectionKeys{},
	}
	return s, nil
}

// selfKEK wraps keys to the user's own encryption key: the user's KEK for
// share.Client, opened only by the passphrase-protected private key.
type selfKEK struct{ id *envelope.HybridIdentity }

var _ share.KeyWrapper = selfKEK{}

func (k selfKEK) Wrap(fileKey []byte) ([]*envelope.Stanza, error) {
	return k.id.Recipient().Wrap(fileKey)
}
func (k selfKEK) Unwrap(st []*envelope.Stanza) ([]byte, error) { return k.id.Unwrap(st) }

// refreshToken exchanges a signed request for a session token.
func (s *Session) refreshToken(ctx context.Context) error {
	tr, err := s.opts.accounts(s.signed).Token(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.token, s.expires = tr.Token, tr.ExpiresAt
	s.mu.Unlock()
	return nil
}
