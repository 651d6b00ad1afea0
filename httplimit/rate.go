package httplimit

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Rate is a token bucket: Burst attempts at once, refilled at Burst per
// Per.
type Rate struct {
	Burst int
	Per   time.Duration
}

// MaxKeys bounds the memory of each RateLimiter and Backoff: past it, the
// least recently used key is forgotten. Forgetting, unlike refusing new
// keys, means a full limiter still admits a new visitor; the price is that
// a client whose key is forgotten (after MaxKeys other keys were used,
// each under its own per-address limit) starts again afresh.
const MaxKeys = 100_000

// RateLimiter counts attempts per key (a client address, a link ID) in
// token buckets. It is safe for concurrent use.
type RateLimiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets *lru[bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRateLimiter returns a RateLimiter of r over at most MaxKeys keys,
// reading the time from now (nil: time.Now). It panics if r.Burst or r.Per
// is not positive.
func NewRateLimiter(r Rate, now func() time.Time) *RateLimiter {
	return newRateLimiter(r, MaxKeys, now)
}

func newRateLimiter(r Rate, size int, now func() time.Time) *RateLimiter {
	checkRate(r)
	return &RateLimiter{rate: r, now: clock(now), buckets: newLRU[bucket](size)}
}

func checkRate(r Rate) {
	if r.Burst <= 0 || r.Per <= 0 {
		panic("httplimit: a Rate needs a positive Burst and Per")
	}
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Allow takes one token for key, or reports how long until one is free.
func (l *RateLimiter) Allow(key string) (ok bool, wait time.Duration) {
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

// Len returns the number of keys the limiter holds.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.len()
}

// Back-off bounds: the longest delay, and how long a count with no attempt
// is kept.
const (
	BackoffMaxDelay = time.Hour
	BackoffForget   = 24 * time.Hour
)

// ErrNoClientAddr: [Backoff.Allow] found no client address in its
// context (the request did not pass [Limits.Handler]). It is a wiring
// bug, refused rather than counted under a key every client shares.
var ErrNoClientAddr = errors.New("httplimit: no client address in the context")

// Backoff slows down guessing (of passwords, of secrets) per key. Each
// key gets Burst attempts without delay; after that each attempt is
// followed by a delay that starts at Per/Burst and doubles with every
// further attempt, up to BackoffMaxDelay. A success clears the count; a
// count with no attempt for BackoffForget is forgotten. Attempts are
// counted when they are admitted, not when they fail, so concurrent
// guesses cannot all slip through one open window. It holds at most
// MaxKeys keys and is safe for concurrent use.
//
// Its Allow and Done make it a keystore.AttemptLimiter keyed by owner and
// client address: wrong guesses from one address never hold back the
// owner elsewhere. Whatever refused an owner from every address would be
// a switch anyone could flip to lock the owner out.
type Backoff struct {
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

// NewBackoff returns the back-off of r, reading the time from now (nil:
// time.Now). It panics if r.Burst or r.Per is not positive.
func NewBackoff(r Rate, now func() time.Time) *Backoff { return newBackoff(r, MaxKeys, now) }

func newBackoff(r Rate, size int, now func() time.Time) *Backoff {
	checkRate(r)
	base := max(r.Per/time.Duration(r.Burst), time.Nanosecond)
	return &Backoff{
		free: r.Burst, base: base, max: max(BackoffMaxDelay, base), now: clock(now),
		keys: newLRU[attempts](size),
	}
}

// Attempt admits and counts one attempt for key, or reports how long
// until one is admitted.
func (b *Backoff) Attempt(key string) (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	a := b.keys.get(key)
	switch {
	case a == nil:
		a = b.keys.add(key)
	case now.Sub(a.last) >= BackoffForget:
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

// Succeeded clears key's count.
func (b *Backoff) Succeeded(key string) {
	b.mu.Lock()
	b.keys.remove(key)
	b.mu.Unlock()
}

// Allow is Attempt for owner at the client address in ctx
// ([ClientAddrFrom]); a refusal is a *RetryError around ErrRateLimited.
func (b *Backoff) Allow(ctx context.Context, owner string) error {
	addr, ok := ClientAddrFrom(ctx)
	if !ok {
		return ErrNoClientAddr
	}
	if ok, wait := b.Attempt(owner + " " + addr); !ok {
		return &RetryError{ErrRateLimited, wait}
	}
	return nil
}

// Done clears the count of owner at the client address in ctx after a
// success.
func (b *Backoff) Done(ctx context.Context, owner string, ok bool) {
	if addr, found := ClientAddrFrom(ctx); ok && found {
		b.Succeeded(owner + " " + addr)
	}
}

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
