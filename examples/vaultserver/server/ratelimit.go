package server

import (
	"container/list"
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Rate is a token bucket: Burst attempts at once, refilled at Burst per
// Per. The zero Rate means the default of the field it sets.
type Rate struct {
	Burst int
	Per   time.Duration
}

// maxKeys bounds the memory of each limiter: past it, the least recently
// used key is forgotten. Forgetting, unlike refusing new keys, means a full
// limiter still admits a new visitor; the price is that a client who makes
// maxKeys other keys meanwhile (each one under its own per-address limit)
// starts again with a fresh bucket.
const maxKeys = 100_000

// lru is a map of at most max keys that forgets its least recently used key
// to make room, in O(1). Its owner serialises calls.
type lru[V any] struct {
	max   int
	order list.List // of *lruEntry[V], most recently used first
	index map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, index: make(map[string]*list.Element)}
}

// get returns key's value, marking it used, or nil.
func (c *lru[V]) get(key string) *V {
	e, ok := c.index[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return &e.Value.(*lruEntry[V]).val
}

// add stores a zero value under key, which must be absent, evicting the
// least recently used key if full, and returns it.
func (c *lru[V]) add(key string) *V {
	if len(c.index) >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.index, oldest.Value.(*lruEntry[V]).key)
	}
	ent := &lruEntry[V]{key: key}
	c.index[key] = c.order.PushFront(ent)
	return &ent.val
}

func (c *lru[V]) remove(key string) {
	if e, ok := c.index[key]; ok {
		c.order.Remove(e)
		delete(c.index, key)
	}
}

func (c *lru[V]) len() int { return len(c.index) }

// limiter counts attempts per key (client address, link ID) in token
// buckets.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets *lru[bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newLimiter returns a limiter of at most size buckets.
func newLimiter(r Rate, size int, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, buckets: newLRU[bucket](size)}
}

// allow takes one token for key, or reports how long until one is free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	perToken := l.rate.Per / time.Duration(l.rate.Burst)
	b := l.buckets.get(key)
	if b == nil {
		b = l.buckets.add(key)
		*b = bucket{tokens: float64(l.rate.Burst), last: now}
	}
	b.tokens = min(float64(l.rate.Burst), b.tokens+float64(now.Sub(b.last))/float64(perToken))
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(perToken))
	}
	b.tokens--
	return true, 0
}

// limited checks every key in turn and answers 429 with Retry-After.
func limited(w http.ResponseWriter, l *limiter, keys ...string) bool {
	for _, k := range keys {
		if ok, wait := l.allow(k); !ok {
			setRetryAfter(w, wait)
			writeError(w, errRateLimited)
			return true
		}
	}
	return false
}

func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
}

// Login back-off. Each (user, client address) gets Config.LoginRate.Burst
// attempts without delay; after that, each attempt is
// followed by a delay that starts at Per/Burst and doubles with every
// further attempt, up to loginMaxDelay. A correct login clears the count;
// a count with no attempt for loginForget is forgotten.
//
// Attempts are counted when they are admitted, not when they fail, so
// concurrent guesses cannot all slip through one open window.
//
// There is deliberately no per-user ceiling across addresses: whatever
// refuses a user name from every address is a switch anyone can flip to
// lock the user out. It would also protect little: login/start gives any
// caller the account record, against which a guess costs the same KDF
// work offline as it does online. Guessing is bounded per address instead:
// by this back-off per user, and by the address's own bucket across users
// (loginIP).
const (
	loginMaxDelay = time.Hour
	loginForget   = 24 * time.Hour
)

// backoff implements the login back-off over keys "user address".
type backoff struct {
	free int           // attempts before the first delay
	base time.Duration // the first delay
	max  time.Duration // the longest delay
	now  func() time.Time

	mu   sync.Mutex
	keys *lru[attempts]
}

type attempts struct {
	n     int       // attempts counted since the last success
	last  time.Time // when the last one was counted
	until time.Time // no attempt is admitted before this
}

// newBackoff returns the login back-off for r, of at most size keys.
func newBackoff(r Rate, size int, now func() time.Time) *backoff {
	base := max(r.Per/time.Duration(r.Burst), time.Nanosecond)
	return &backoff{
		free: r.Burst, base: base, max: max(loginMaxDelay, base), now: now,
		keys: newLRU[attempts](size),
	}
}

// attempt admits and counts one attempt for key, or reports how long
// until one is admitted.
func (b *backoff) attempt(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	a := b.keys.get(key)
	switch {
	case a == nil:
		a = b.keys.add(key)
	case now.Sub(a.last) >= loginForget:
		*a = attempts{}
	case now.Before(a.until):
		return false, a.until.Sub(now)
	}
	a.n++
	a.last = now
	if a.n >= b.free {
		d := b.base
		for i := b.free; i < a.n && d < b.max; i++ {
			d *= 2
		}
		a.until = now.Add(min(d, b.max))
	}
	return true, 0
}

// succeeded clears key's count.
func (b *backoff) succeeded(key string) {
	b.mu.Lock()
	b.keys.remove(key)
	b.mu.Unlock()
}

// rateLimitedError is errRateLimited with the wait before a retry.
type rateLimitedError struct{ wait time.Duration }

func (e *rateLimitedError) Error() string { return errRateLimited.Error() }
func (e *rateLimitedError) Unwrap() error { return errRateLimited }

// errNoClientAddr means a login reached the verifier without the client
// address in its context: a wiring bug, refused rather than counted under
// a shared key.
var errNoClientAddr = errors.New("vault: login without a client address")

// loginLimiter is the keystore.AttemptLimiter of the login verifier: the
// back-off above, keyed by the owner and the client address that
// handleLogin puts in the context (withClientAddr).
type loginLimiter struct{ b *backoff }

func (a loginLimiter) Allow(ctx context.Context, owner string) error {
	addr, ok := clientAddrFrom(ctx)
	if !ok {
		return errNoClientAddr
	}
	if ok, wait := a.b.attempt(owner + " " + addr); !ok {
		return &rateLimitedError{wait}
	}
	return nil
}

func (a loginLimiter) Done(ctx context.Context, owner string, ok bool) {
	if addr, found := clientAddrFrom(ctx); ok && found {
		a.b.succeeded(owner + " " + addr)
	}
}

// clientIP is the peer address. Behind a proxy, put the limiter there or
// teach this function the proxy's header; the server does not trust
// X-Forwarded-For by default.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientAddr is the client's address as the limiters count it: an IPv4
// address, or the /64 network of an IPv6 one, since a single subscriber is
// usually handed a whole /64 and could otherwise take a fresh bucket for
// every address in it.
func clientAddr(r *http.Request) string {
	ip := clientIP(r)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

type clientAddrKey struct{}

// withClientAddr puts clientAddr(r) in the request's context, for limits
// applied below a handler (the login verifier, storageauth's AllowCreate).
func withClientAddr(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, clientAddr(r)))
}

func clientAddrFrom(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(string)
	return a, ok
}
