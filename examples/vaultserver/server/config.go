package server

import (
	"errors"
	"log/slog"
	"time"

	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Defaults for Config fields left zero.
const (
	DefaultQuota         = 1 << 30  // 1 GiB per user
	DefaultMaxObjectSize = 64 << 20 // 64 MiB per file: signed bodies are buffered to be digested
	DefaultTokenTTL      = 15 * time.Minute
	DefaultShutdownGrace = 10 * time.Second
)

// Default connection and request limits (API.md, "Limits").
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultReadTimeout       = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultMinTransferRate   = 64 << 10 // bytes per second
	DefaultMaxConnsPerAddr   = 32
	DefaultMaxInflightBytes  = 512 << 20
	// Anonymous requests (register, login, storageauth, link routes) have
	// a pool of their own, apart from the users' MaxInflightBytes.
	DefaultMaxAnonInflightBytes        = 32 << 20
	DefaultMaxAnonInflightBytesPerAddr = 2 << 20
	DefaultMaxRequestsPerAddr          = 64
	DefaultMaxDownloadsPerUser         = 8
)

const (
	// TokenAudience is the "aud" of the session tokens this server issues.
	TokenAudience = "sealkit-vault"
	// RegisterPurpose is the purpose of the signed message that proves, at
	// registration, that the client holds the signing key it registers.
	RegisterPurpose = "sealkit-vault-register"
)

// ipFactor: a client address gets this many times a user's login rate, so
// that many users behind one address are not locked out by one of them.
const ipFactor = 10

// Default rates (API.md, "Rate limits").
var (
	DefaultLoginRate = Rate{Burst: 10, Per: time.Minute} // per user; ten times that per client address
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
	// DefaultMaxUsers. A registration beyond it is refused (403
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
	// TokenTTL is the lifetime of session tokens (DefaultTokenTTL).
	TokenTTL time.Duration

	// ReadHeaderTimeout bounds reading a request's headers and IdleTimeout
	// how long a keep-alive connection may wait for the next request
	// (DefaultReadHeaderTimeout, DefaultIdleTimeout). Server.Serve applies
	// them; a caller running its own http.Server sets its own.
	ReadHeaderTimeout, IdleTimeout time.Duration
	// ReadTimeout is how long, from the end of its headers, a request may
	// take to send its body, and WriteTimeout by when its response must
	// be written (DefaultReadTimeout, DefaultWriteTimeout). A slower
	// client is cut off.
	ReadTimeout, WriteTimeout time.Duration
	// MinTransferRate (bytes per second) is the slowest transfer kept
	// (DefaultMinTransferRate): an upload's read deadline and a
	// download's write deadline start ReadTimeout and WriteTimeout away
	// and move by each byte's share of a second at this rate, never more
	// than ReadTimeout (WriteTimeout) ahead. A transfer that stalls or
	// falls that far behind the rate is cut off.
	MinTransferRate int64
	// MaxConnsPerAddr caps the open connections of one client address
	// (IPv4 address or IPv6 /64) in Server.Serve; more are closed as they
	// are accepted (DefaultMaxConnsPerAddr). Behind a reverse proxy every
	// connection comes from the proxy: raise it there, and limit per
	// client at the proxy.
	MaxConnsPerAddr int
	// MaxInflightBytes caps the request body bytes authenticated
	// requests in flight may hold, and MaxInflightBytesPerUser those of
	// one user. Body bytes are charged as they arrive and given back when
	// the request is answered; a request whose Content-Length does not
	// fit is refused before its body is read, and one that runs over
	// while sending is cut off; either way with Retry-After: 503 busy
	// globally, 429 rate_limited per user. Defaults: twice the largest
	// upload body per user, and DefaultMaxInflightBytes or twice the
	// per-user budget, whichever is more, in all. Each must admit one
	// largest upload.
	MaxInflightBytes, MaxInflightBytesPerUser int64
	// MaxAnonInflightBytes and MaxAnonInflightBytesPerAddr are the same
	// for anonymous requests, in all and per client address, in a pool
	// apart from the users' (DefaultMaxAnonInflightBytes,
	// DefaultMaxAnonInflightBytesPerAddr). Each must admit the largest
	// anonymous body (the register route's). Behind a reverse proxy raise
	// the per-address one, as MaxConnsPerAddr.
	MaxAnonInflightBytes, MaxAnonInflightBytesPerAddr int64
	// MaxRequestsPerAddr caps the requests one client address has in
	// flight (DefaultMaxRequestsPerAddr); more are refused with 429
	// rate_limited. HTTP/2 multiplexes requests on a connection, so
	// MaxConnsPerAddr alone does not bound them. Behind a reverse proxy
	// raise it, as MaxConnsPerAddr.
	MaxRequestsPerAddr int
	// MaxDownloadsPerUser caps the downloads one user, or one client
	// address downloading through links, has open at once
	// (DefaultMaxDownloadsPerUser): each holds a blob chunk in memory
	// until its client reads it. More are refused with 429 rate_limited.
	MaxDownloadsPerUser int
	// ShutdownGrace is how long Server.Serve lets requests in flight
	// finish at shutdown (DefaultShutdownGrace).
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
	if c.Quota <= 0 {
		c.Quota = DefaultQuota
	}
	if c.MaxObjectSize <= 0 {
		c.MaxObjectSize = DefaultMaxObjectSize
	}
	if c.LoginRate.Burst <= 0 || c.LoginRate.Per <= 0 {
		c.LoginRate = DefaultLoginRate
	}
	if c.LinkRate.Burst <= 0 || c.LinkRate.Per <= 0 {
		c.LinkRate = DefaultLinkRate
	}
	if c.SlotRate.Burst <= 0 || c.SlotRate.Per <= 0 {
		c.SlotRate = DefaultSlotRate
	}
	if c.MaxSlots <= 0 {
		c.MaxSlots = DefaultMaxSlots
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	c.setServeDefaults()
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MinTransferRate <= 0 {
		c.MinTransferRate = DefaultMinTransferRate
	}
	upload := c.maxUploadBody()
	if c.MaxInflightBytesPerUser <= 0 {
		c.MaxInflightBytesPerUser = 2 * upload
	}
	if c.MaxInflightBytes <= 0 {
		c.MaxInflightBytes = max(DefaultMaxInflightBytes, 2*c.MaxInflightBytesPerUser)
	}
	if c.MaxInflightBytesPerUser < upload || c.MaxInflightBytes < c.MaxInflightBytesPerUser {
		return errors.New("vault: Config.MaxInflightBytes and MaxInflightBytesPerUser must each admit the largest upload (MaxObjectSize + 8 MiB)")
	}
	if c.MaxAnonInflightBytesPerAddr <= 0 {
		c.MaxAnonInflightBytesPerAddr = DefaultMaxAnonInflightBytesPerAddr
		if c.MaxAnonInflightBytes > 0 {
			c.MaxAnonInflightBytesPerAddr = min(c.MaxAnonInflightBytesPerAddr, c.MaxAnonInflightBytes)
		}
	}
	if c.MaxAnonInflightBytes <= 0 {
		c.MaxAnonInflightBytes = max(DefaultMaxAnonInflightBytes, c.MaxAnonInflightBytesPerAddr)
	}
	if c.MaxAnonInflightBytesPerAddr < maxAnonBody || c.MaxAnonInflightBytes < c.MaxAnonInflightBytesPerAddr {
		return errors.New("vault: Config.MaxAnonInflightBytes and MaxAnonInflightBytesPerAddr must each admit the largest anonymous body (256 KiB)")
	}
	if c.MaxRequestsPerAddr <= 0 {
		c.MaxRequestsPerAddr = DefaultMaxRequestsPerAddr
	}
	if c.MaxDownloadsPerUser <= 0 {
		c.MaxDownloadsPerUser = DefaultMaxDownloadsPerUser
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// setServeDefaults fills in what Serve needs; it is also used for the
// package-level Serve, which has no Config.
func (c *Config) setServeDefaults() {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxConnsPerAddr <= 0 {
		c.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
}

// maxUploadBody is the largest upload request body: share's frame around
// one object of MaxObjectSize.
func (c *Config) maxUploadBody() int64 {
	return c.MaxObjectSize + share.MaxUploadRecord + 4
}
