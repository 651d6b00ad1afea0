package server

import (
	"context"
	"net"
	"net/http"
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

// maxBuckets bounds a limiter's memory: past it, buckets that have refilled
// are dropped, and if none has, new keys are refused (fail closed).
const maxBuckets = 100_000

// limiter counts attempts per key (client address, user name, link ID).
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, buckets: make(map[string]*bucket)}
}

// allow takes one token for key, or reports how long until one is free.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	perToken := l.rate.Per / time.Duration(l.rate.Burst)
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
			if len(l.buckets) >= maxBuckets {
				return false, l.rate.Per
			}
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.rate.Burst), b.tokens+float64(now.Sub(b.last))/float64(perToken))
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(perToken))
	}
	b.tokens--
	return true, 0
}

// reset forgets key (after a successful login, say).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// sweep drops buckets that are full again.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.rate.Per {
			delete(l.buckets, k)
		}
	}
}

// limited checks every key in turn and answers 429 with Retry-After.
func limited(w http.ResponseWriter, l *limiter, keys ...string) bool {
	for _, k := range keys {
		if ok, wait := l.allow(k); !ok {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, errRateLimited)
			return true
		}
	}
	return false
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

// loginLimiter is a keystore.AttemptLimiter over a limiter, keyed by owner:
// Verifier.Verify asks it before comparing, and a success resets the count.
type loginLimiter struct{ l *limiter }

func (a loginLimiter) Allow(_ context.Context, owner string) error {
	if ok, _ := a.l.allow("user:" + owner); !ok {
		return errRateLimited
	}
	return nil
}

func (a loginLimiter) Done(_ context.Context, owner string, ok bool) {
	if ok {
		a.l.reset("user:" + owner)
	}
}
