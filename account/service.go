package account

import (
	"errors"
	"log/slog"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
)

// Where an account lives in the keystore, under its user's name.
// "account" and "key/…" are keystore's layout (keystore SPEC §5); the
// login verifier and the account count keep the IDs of the reference
// vault server, which stored them first, so its databases open unchanged.
const (
	idAccount  = "account"
	keyPrefix  = "key/"
	idVerifier = "vault/verifier"
	// UserCounter is the durable count of accounts ([backend.Stores.Increment]).
	UserCounter = "vault/users"
)

// authKeySize is the size of keystore's auth key (Session.AuthKey).
const authKeySize = 32

// DefaultMaxUsers caps the accounts of a service when Config.MaxUsers is 0.
const DefaultMaxUsers = 10_000

// DefaultLoginRate is Config.LoginRate when it is zero.
var DefaultLoginRate = httplimit.Rate{Burst: 10, Per: time.Minute}

// AddrFactor is how many times LoginRate of login attempts, and as many
// registrations, a client address may make ([Handler]): more than one
// user's, so that many users behind one address are not locked out by one
// of them.
const AddrFactor = 10

// Config configures [New]. Stores, Pepper and Tokens are required.
type Config struct {
	// Stores hold the accounts, signing keys and directory entries.
	Stores *backend.Stores
	// Pepper is the server-wide secret of keystore's login verifier: at
	// least keystore.MinPepperSize bytes, kept apart from the database and
	// the same across restarts (else nobody can log in).
	Pepper []byte
	// LoginRate is the login back-off per user and client address
	// (httplimit.Backoff); zero means DefaultLoginRate.
	LoginRate httplimit.Rate
	// MaxUsers caps the accounts registered in all (0: DefaultMaxUsers).
	// The count is durable and only grows.
	MaxUsers int64
	// InsecureAllowWeakKDF accepts accounts whose KDF is below keystore's
	// floors. Tests only: a weak account leaks its passphrase.
	InsecureAllowWeakKDF bool
	// Tokens issues the session tokens.
	Tokens *identity.TokenIssuer
	// TokenAudience is the "aud" of the tokens (the TokenVerifier's Audience).
	TokenAudience string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives why registrations were refused (never secrets); nil
	// discards.
	Logger *slog.Logger
}

// Service is the server side of sealkit's zero-knowledge accounts: it
// stores what clients made (keystore records, public keys), checks logins
// against a peppered verifier of the auth key, and issues tokens. It
// never sees a passphrase or a key that opens a user's data.
type Service struct {
	cfg       Config
	verifier  *keystore.Verifier
	loginRate *httplimit.Backoff
}

// New returns a Service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Stores == nil || cfg.Tokens == nil {
		return nil, errors.New("account: Config.Stores and Config.Tokens are required")
	}
	if cfg.LoginRate.Burst <= 0 || cfg.LoginRate.Per <= 0 {
		cfg.LoginRate = DefaultLoginRate
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = DefaultMaxUsers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, loginRate: httplimit.NewBackoff(cfg.LoginRate, cfg.Now)}
	var err error
	if s.verifier, err = keystore.NewVerifier(cfg.Pepper, s.loginRate); err != nil {
		return nil, err
	}
	return s, nil
}
