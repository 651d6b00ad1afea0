package server

import (
	"errors"
	"log/slog"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Defaults for Config fields left zero.
const (
	DefaultQuota         = 1 << 30  // 1 GiB per user
	DefaultMaxObjectSize = 64 << 20 // 64 MiB per file: signed bodies are buffered to be digested
	DefaultTokenTTL      = 15 * time.Minute
)

// DefaultMaxDownloadsPerUser caps the downloads one user has open at once
// when Config.MaxDownloadsPerUser is 0.
const DefaultMaxDownloadsPerUser = 8

const (
	// TokenAudience is the "aud" of the session tokens this server issues.
	TokenAudience = "sealkit-vault"
)

// Rate is a token bucket: Burst attempts at once, refilled at Burst per
// Per. The zero Rate means the default of the field it sets.
type Rate = httplimit.Rate

// Default rates (API.md, "Rate limits").
var (
	DefaultLoginRate = account.DefaultLoginRate          // per user; account.AddrFactor times that per client address
	DefaultLinkRate  = Rate{Burst: 20, Per: time.Minute} // per client address and per link
	DefaultSlotRate  = Rate{Burst: 10, Per: time.Hour}   // storageauth slots per client address
)

// DefaultMaxSlots caps the storageauth slots of a server: with storageauth's
// 64 KiB of ciphertext per slot, at most 1 GiB of it (one user's DefaultQuota).
const DefaultMaxSlots = 16_384

// Config configures New. Stores and Pepper are required.
type Config struct {
	// Stores are the durable stores (OpenSQLite, OpenPostgres, or in memory).
	Stores *Stores
	// Pepper is the server-wide secret of keystore's login verifier: at
	// least keystore.MinPepperSize bytes, kept apart from the database and
	// the same across restarts (else nobody can log in).
	Pepper []byte
	// StaticDir is served at "/" (the web client); "" serves nothing.
	StaticDir string
	// Authority is the host[:port] clients address and sign. With
	// InsecureLoopback it is required; otherwise "" means the request's Host.
	Authority string
	// InsecureLoopback accepts plain-HTTP requests from loopback peers (tests,
	// local development). Without it, signed requests must arrive over TLS.
	InsecureLoopback bool
	// Quota is each user's storage in bytes (DefaultQuota).
	Quota int64
	// MaxObjectSize caps one file's ciphertext (DefaultMaxObjectSize).
	MaxObjectSize int64
	// MaxItems caps the items each user owns; 0 means DefaultMaxItems.
	// Quota bytes alone would let a user fill the stores with tiny items.
	MaxItems int
	// MaxUsers caps the accounts registered in all; 0 means
	// account.DefaultMaxUsers. A registration beyond it is refused (403
	// user_limit), so that the stores stay bounded by MaxUsers times a
	// user's Quota and uncharged records (API.md, "Rate limits and
	// quotas").
	MaxUsers int
	// LoginRate and LinkRate bound login and public-link attempts.
	LoginRate, LinkRate Rate
	// SlotRate bounds the storageauth slots one client address creates
	// (DefaultSlotRate); MaxSlots caps the slots created in all
	// (DefaultMaxSlots). API.md, "Rate limits and quotas".
	SlotRate Rate
	MaxSlots int64
	// ResponseKey signs the server's answers (API.md, "Signed responses");
	// clients pin its public half, so keep it across restarts. nil makes
	// one in New.
	ResponseKey *identity.PrivateKey
	// TokenTTL is the lifetime of session tokens (DefaultTokenTTL).
	TokenTTL time.Duration

	// Limits are the connection, request, body and transfer limits
	// (httplimit.Config; zero fields mean httplimit's defaults, but for
	// the body budgets': API.md, "Limits"). Server.Serve applies the
	// connection limits; a caller running its own http.Server sets its own.
	Limits httplimit.Config
	// MaxDownloadsPerUser caps the downloads one user, or one client
	// address through links, has open at once (sharehttp.MaxDownloads;
	// DefaultMaxDownloadsPerUser).
	MaxDownloadsPerUser int
	// ShutdownGrace is how long Server.Serve lets requests in flight
	// finish at shutdown (0: httplimit.DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// KDFPolicy is the floor registered accounts must meet; nil means
	// keystore's floors (any KDF at or above OWASP's minimum). Tests pass a
	// policy with InsecureAllowWeak.
	KDFPolicy *keystore.Policy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives request failures (never secrets); nil discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.Stores == nil {
		return errors.New("vault: Config.Stores is required")
	}
	if len(c.Pepper) < keystore.MinPepperSize {
		return errors.New("vault: Config.Pepper must be at least 32 bytes")
	}
	if c.InsecureLoopback && c.Authority == "" {
		return errors.New("vault: Config.Authority is required with InsecureLoopback")
	}
	orDefault(&c.MaxItems, DefaultMaxItems)
	orDefault(&c.MaxDownloadsPerUser, DefaultMaxDownloadsPerUser)
	orDefault(&c.Quota, DefaultQuota)
	orDefault(&c.MaxObjectSize, DefaultMaxObjectSize)
	orDefault(&c.MaxSlots, DefaultMaxSlots)
	orDefault(&c.TokenTTL, DefaultTokenTTL)
	for _, r := range []struct{ rate, def *Rate }{
		{&c.LoginRate, &DefaultLoginRate}, {&c.LinkRate, &DefaultLinkRate}, {&c.SlotRate, &DefaultSlotRate},
	} {
		if r.rate.Burst <= 0 || r.rate.Per <= 0 {
			*r.rate = *r.def
		}
	}
	l := &c.Limits
	upload := c.maxUploadBody()
	if l.MaxInflightBytesPerUser <= 0 {
		l.MaxInflightBytesPerUser = 2 * upload
	}
	if l.MaxInflightBytes <= 0 {
		l.MaxInflightBytes = max(httplimit.DefaultMaxInflightBytes, 2*l.MaxInflightBytesPerUser)
	}
	if l.MaxInflightBytesPerUser < upload {
		return errors.New("vault: Config.Limits.MaxInflightBytesPerUser must admit the largest upload (MaxObjectSize + 8 MiB)")
	}
	if l.MaxAnonInflightBytesPerAddr > 0 && l.MaxAnonInflightBytesPerAddr < maxAnonBody ||
		l.MaxAnonInflightBytes > 0 && l.MaxAnonInflightBytes < maxAnonBody {
		return errors.New("vault: Config.Limits.MaxAnonInflightBytes and MaxAnonInflightBytesPerAddr must each admit the largest anonymous body (256 KiB)")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// orDefault sets a field left zero (or negative) to its default.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// maxUploadBody is the largest upload request body: share's frame around
// one object of MaxObjectSize.
func (c *Config) maxUploadBody() int64 {
	return c.MaxObjectSize + share.MaxUploadRecord + 4
}
