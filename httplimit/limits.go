package httplimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sealkit/sealkit/internal/httpwire"
)

// Error codes of the default [Config.WriteError].
const (
	CodeBusy        = "busy"
	CodeRateLimited = "rate_limited"
	CodeTooLarge    = "too_large"
)

var (
	// ErrBusy: a pool (all users' or all anonymous bodies) holds as much
	// as it may; it is wrapped in a *RetryError.
	ErrBusy = errors.New("httplimit: server busy")
	// ErrRateLimited: this client (user or address) holds as much as it
	// may, or has used its attempts; it is wrapped in a *RetryError.
	ErrRateLimited = errors.New("httplimit: rate limited")
	// ErrTooLarge: a request declared a body over its route's cap.
	ErrTooLarge = errors.New("httplimit: request body too large")
	// ErrNotAdmitted: a request body was read before the request was
	// admitted to a budget ([Admit]), or outside a [Limits.Route]. It is
	// a wiring bug, refused rather than read unbudgeted.
	ErrNotAdmitted = errors.New("httplimit: request body read without admission")
)

// RetryError is a refusal that passes: Err (ErrBusy or ErrRateLimited) is
// worth retrying after Wait.
type RetryError struct {
	Err  error
	Wait time.Duration
}

func (e *RetryError) Error() string { return fmt.Sprintf("%v (retry after %v)", e.Err, e.Wait) }

// Unwrap returns Err.
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns Wait, for Retry-After.
func (e *RetryError) RetryAfter() time.Duration { return e.Wait }

// budgetWait is the Retry-After of a request refused for lack of body
// budget or of a place among the requests in flight: bodies in flight are
// read within seconds.
const budgetWait = 2 * time.Second

var wire = httpwire.Convention{
	Package: "httplimit",
	Codes: []httpwire.Code{
		{Code: CodeBusy, Status: http.StatusServiceUnavailable, Err: ErrBusy},
		{Code: CodeRateLimited, Status: http.StatusTooManyRequests, Err: ErrRateLimited},
		{Code: CodeTooLarge, Status: http.StatusRequestEntityTooLarge, Err: ErrTooLarge},
	},
	TooLarge: ErrTooLarge,
}

// Limits is one server's protection: its budgets, deadlines and
// per-address counts. Build it with New; it is safe for concurrent use.
// Unlike net/http's CrossOriginProtection its zero value is not usable:
// the budgets it shares between requests need their sizes.
type Limits struct {
	cfg      Config
	budget   budget
	requests *Gate
}

// New returns the limits of c (zero fields set to their defaults).
func New(c Config) (*Limits, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	if c.WriteError == nil {
		c.WriteError = wire.WriteError
	}
	return &Limits{
		cfg: c,
		budget: budget{
			users: pool{total: c.MaxInflightBytes, perKey: c.MaxInflightBytesPerUser, byKey: map[string]int64{}},
			anon:  pool{total: c.MaxAnonInflightBytes, perKey: c.MaxAnonInflightBytesPerAddr, byKey: map[string]int64{}},
		},
		requests: NewGate(c.MaxRequestsPerAddr),
	}, nil
}

// Config returns the configuration in force, defaults filled in.
func (l *Limits) Config() Config { return l.cfg }

// Server returns an http.Server for h with the connection limits of the
// Config: ReadHeaderTimeout, IdleTimeout, MaxHeaderBytes and, for HTTP/2,
// MaxStreamsPerConn. Serve it on [Limits.Listener], and wrap h in
// [Limits.Handler]. Its ReadTimeout and WriteTimeout are left zero: the
// Handler and Routes set deadlines per request.
func (l *Limits) Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.cfg.ReadHeaderTimeout,
		IdleTimeout:       l.cfg.IdleTimeout,
		MaxHeaderBytes:    l.cfg.MaxHeaderBytes,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: l.cfg.MaxStreamsPerConn},
	}
}

// Listener wraps ln so that each client address holds at most
// MaxConnsPerAddr open connections: one more is closed as soon as it is
// accepted, before a byte of it is read. Peers that are not IP addresses
// (Unix sockets) are not counted.
func (l *Limits) Listener(ln net.Listener) net.Listener {
	return newConnLimiter(ln, l.cfg.MaxConnsPerAddr)
}

// MaxUploadTime is the longest an [Upload] route's request with an n-byte
// body may run: ReadTimeout of grace, n bytes at MinTransferRate, and
// WriteTimeout for the response.
func (l *Limits) MaxUploadTime(n int64) time.Duration {
	return l.cfg.ReadTimeout + transferTime(n, l.cfg.MinTransferRate) + l.cfg.WriteTimeout
}

type clientAddrKey struct{}

// Handler gives every request the deadlines of a small route (ReadTimeout
// for its body, WriteTimeout for its response, from now: its headers have
// just been read), lets each client address have at most
// MaxRequestsPerAddr requests in flight (more are refused with
// ErrRateLimited), and puts the client address in the request's context
// for [ClientAddrFrom]. Where the connection does not support deadlines
// (a test recorder), requests run without.
func (l *Limits) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(now.Add(l.cfg.ReadTimeout))
		_ = rc.SetWriteDeadline(now.Add(l.cfg.WriteTimeout))
		addr := ClientAddr(r)
		if !l.requests.Enter(addr) {
			l.refuse(w, r, &RetryError{ErrRateLimited, budgetWait})
			return
		}
		defer l.requests.Leave(addr)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, addr)))
	})
}

// ClientAddrFrom returns the client address [Limits.Handler] put in ctx,
// for limits applied below a handler (a login back-off, a keystore
// AttemptLimiter).
func ClientAddrFrom(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(string)
	return a, ok
}

// Transfer says how a route's deadlines are set.
type Transfer int

const (
	// Small routes keep the deadlines [Limits.Handler] set.
	Small Transfer = iota
	// Upload routes take a body that may be large: the read deadline is
	// paced by the bytes received (MinTransferRate).
	Upload
	// Download routes send a response that may be large: the write
	// deadline is paced by the bytes written.
	Download
)

// Route is what one route may take.
type Route struct {
	// MaxBody caps the request body: a larger Content-Length is refused
	// with ErrTooLarge before a byte is read, and a body without one is
	// cut at the cap (http.MaxBytesReader).
	MaxBody int64
	// Transfer sets how deadlines are paced.
	Transfer Transfer
	// Authenticates says the route's handler establishes who is calling
	// and calls [Admit] (or [AdmitAnonymous]) before it reads the body.
	// Otherwise the route admits the body to the client address's
	// anonymous budget before the handler runs.
	Authenticates bool
}

// Route applies rt to next before next reads a byte of the body: the cap
// on the body, its budget, and the pacing of transfers. Each body byte is
// charged to the request's admitted budget as it arrives and given back
// when next returns; bytes over budget fail the read, and the client gets
// the budget's refusal (Retry-After; 503 busy or 429 rate_limited)
// rather than next's answer to a broken body. Use it under
// [Limits.Handler].
//
// Route panics if rt.MaxBody is above the per-key budget the route's
// bodies are charged to: its largest bodies could never be taken.
func (l *Limits) Route(rt Route, next http.Handler) http.Handler {
	if perKey := l.budget.pool(rt.Authenticates).perKey; rt.MaxBody > perKey {
		panic(fmt.Sprintf("httplimit: route body cap %d is above its per-key budget %d", rt.MaxBody, perKey))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > rt.MaxBody {
			l.refuse(w, r, ErrTooLarge)
			return
		}
		t := &ticket{b: &l.budget, declared: r.ContentLength}
		defer t.release()
		g := &guardWriter{ResponseWriter: w, r: r, t: t, l: l, base: w.Header().Clone()}
		body := &meteredBody{ReadCloser: r.Body, t: t}
		l.pace(w, rt.Transfer, body, g)
		r.Body = http.MaxBytesReader(w, body, rt.MaxBody)
		r = r.WithContext(context.WithValue(r.Context(), ticketKey{}, t))
		if !rt.Authenticates {
			if err := AdmitAnonymous(r); err != nil {
				l.refuse(w, r, err)
				return
			}
		}
		next.ServeHTTP(g, r)
		g.finish()
	})
}

// Admit charges r's body to user's budget, before the body is read. A
// request whose declared size does not fit that budget now is refused at
// once (a *RetryError), so its client is told before it sends the body.
// Call it once the request is authenticated, from a handler under an
// authenticating [Limits.Route]; a second call is a no-op.
func Admit(r *http.Request, user string) error { return admit(r, true, user) }

// AdmitAnonymous is Admit for a request without a user: its body is
// charged to its client address, in the anonymous pool.
func AdmitAnonymous(r *http.Request) error { return admit(r, false, ClientAddr(r)) }

// PrepareRefusal sets the headers of an answer that refuses r before its
// body is read: Retry-After (whole seconds, rounded up) when err has a
// RetryAfter() time.Duration method, and Connection: close when r has a
// body, so that net/http does not wait for a body nobody reads. The
// limits call it before [Config.WriteError]; call it before your own
// refusals ahead of the body (a failed authentication).
func PrepareRefusal(w http.ResponseWriter, r *http.Request, err error) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		secs := max(1, (ra.RetryAfter()+time.Second-1)/time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

func (l *Limits) refuse(w http.ResponseWriter, r *http.Request, err error) {
	PrepareRefusal(w, r, err)
	l.cfg.WriteError(w, err)
}
