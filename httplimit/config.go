package httplimit

import (
	"errors"
	"net/http"
	"time"
)

// Defaults of the Config fields left zero.
const (
	DefaultReadHeaderTimeout  = 10 * time.Second
	DefaultIdleTimeout        = 2 * time.Minute
	DefaultReadTimeout        = 10 * time.Second
	DefaultWriteTimeout       = 30 * time.Second
	DefaultMinTransferRate    = 64 << 10 // bytes per second
	DefaultMaxHeaderBytes     = 64 << 10
	DefaultMaxStreamsPerConn  = 16
	DefaultMaxConnsPerAddr    = 32
	DefaultMaxRequestsPerAddr = 64

	DefaultMaxInflightBytes        = 512 << 20
	DefaultMaxInflightBytesPerUser = 64 << 20
	// Anonymous requests have a pool of their own, apart from the users'.
	DefaultMaxAnonInflightBytes        = 32 << 20
	DefaultMaxAnonInflightBytesPerAddr = 2 << 20
)

// Config configures New. Every field is optional: zero means its default.
// "Client address" is [ClientAddr]: an IPv4 address or an IPv6 /64. Behind
// a reverse proxy every client has the proxy's address: raise the
// per-address limits there and limit per client at the proxy.
type Config struct {
	// ReadHeaderTimeout bounds reading a request's headers, IdleTimeout
	// how long a keep-alive connection may wait for its next request,
	// MaxHeaderBytes the size of the headers, and MaxStreamsPerConn the
	// HTTP/2 requests one connection carries at once. [Limits.Server]
	// applies them.
	ReadHeaderTimeout, IdleTimeout    time.Duration
	MaxHeaderBytes, MaxStreamsPerConn int
	// MaxConnsPerAddr caps the open connections of one client address;
	// [Limits.Listener] closes more as they are accepted.
	MaxConnsPerAddr int
	// MaxRequestsPerAddr caps the requests one client address has in
	// flight in [Limits.Handler]: HTTP/2 carries many requests on one
	// connection, so counting connections does not bound them.
	MaxRequestsPerAddr int

	// ReadTimeout is how long, from the end of its headers, a request may
	// take to send its body, and WriteTimeout by when its response must
	// be written; a slower client is cut off.
	ReadTimeout, WriteTimeout time.Duration
	// MinTransferRate (bytes per second) is the slowest transfer kept on
	// an [Upload] or [Download] route: its read (write) deadline starts
	// ReadTimeout (WriteTimeout) away and moves by each byte's share of a
	// second at this rate, never to more than ReadTimeout (WriteTimeout)
	// ahead of now. A transfer that stalls, or falls that far behind the
	// rate, is cut off; one that keeps it may take as long as it needs.
	MinTransferRate int64

	// MaxInflightBytes caps the request body bytes that requests admitted
	// for a user ([Admit]) hold at once, and MaxInflightBytesPerUser those
	// of one user. MaxAnonInflightBytes and MaxAnonInflightBytesPerAddr
	// are the same for anonymous requests, in a pool apart from the
	// users', per client address. Bytes are charged as they arrive, not as
	// declared. A per-key cap above its pool's is an error; a per-address
	// cap left zero is at most the pool's.
	MaxInflightBytes, MaxInflightBytesPerUser         int64
	MaxAnonInflightBytes, MaxAnonInflightBytesPerAddr int64

	// WriteError answers a request the limits refuse. err is ErrTooLarge,
	// ErrNotAdmitted, or a *RetryError around ErrBusy or ErrRateLimited;
	// Retry-After and Connection are set already ([PrepareRefusal]). nil
	// answers {"error": code}: CodeTooLarge (413), CodeBusy (503),
	// CodeRateLimited (429), or "internal" (500).
	WriteError func(w http.ResponseWriter, err error)
}

// withDefaults returns c with its zero fields set, or an error for caps
// that contradict each other.
func (c Config) withDefaults() (Config, error) {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	defInt(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	defInt(&c.MaxStreamsPerConn, DefaultMaxStreamsPerConn)
	defInt(&c.MaxConnsPerAddr, DefaultMaxConnsPerAddr)
	defInt(&c.MaxRequestsPerAddr, DefaultMaxRequestsPerAddr)
	defInt(&c.MinTransferRate, DefaultMinTransferRate)
	if c.MaxInflightBytesPerUser <= 0 {
		c.MaxInflightBytesPerUser = DefaultMaxInflightBytesPerUser
		if c.MaxInflightBytes > 0 {
			c.MaxInflightBytesPerUser = min(c.MaxInflightBytesPerUser, c.MaxInflightBytes)
		}
	}
	defInt(&c.MaxInflightBytes, max(DefaultMaxInflightBytes, c.MaxInflightBytesPerUser))
	if c.MaxAnonInflightBytesPerAddr <= 0 {
		c.MaxAnonInflightBytesPerAddr = DefaultMaxAnonInflightBytesPerAddr
		if c.MaxAnonInflightBytes > 0 {
			c.MaxAnonInflightBytesPerAddr = min(c.MaxAnonInflightBytesPerAddr, c.MaxAnonInflightBytes)
		}
	}
	defInt(&c.MaxAnonInflightBytes, max(DefaultMaxAnonInflightBytes, c.MaxAnonInflightBytesPerAddr))
	if c.MaxInflightBytesPerUser > c.MaxInflightBytes || c.MaxAnonInflightBytesPerAddr > c.MaxAnonInflightBytes {
		return c, errors.New("httplimit: a per-user or per-address body budget is above its pool's")
	}
	return c, nil
}

func defInt[T int | int64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// transferTime is how long n bytes take at rate bytes per second.
func transferTime(n, rate int64) time.Duration {
	return time.Duration(float64(n) / float64(rate) * float64(time.Second))
}
