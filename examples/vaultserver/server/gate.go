package server

import (
	"net/http"
	"sync"

	"github.com/sealkit/sealkit/identity"
)

// downloadRetryAfter is the Retry-After, in seconds, of a download refused
// because its user (or address) has as many open as it may.
const downloadRetryAfter = "5"

// gate counts what each key has in flight and lets at most max at once.
type gate struct {
	max int

	mu sync.Mutex
	n  map[string]int
}

func newGate(max int) *gate { return &gate{max: max, n: make(map[string]int)} }

// enter takes a place for key, or reports false when key holds max.
func (g *gate) enter(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[key] >= g.max {
		return false
	}
	g.n[key]++
	return true
}

func (g *gate) leave(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[key]--; g.n[key] <= 0 {
		delete(g.n, key)
	}
}

// downloadLimited lets a user (or, for a request without one, a link
// download's client address) run at most MaxDownloadsPerUser downloads at
// once: each open download holds a blob chunk in memory until its client
// reads it. More are refused with 429 rate_limited and Retry-After.
func (s *Server) downloadLimited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := anonPrefix + requestAddrKey(r)
		if p, ok := identity.PrincipalFrom(r.Context()); ok {
			key = "user:" + p.Owner
		}
		if !s.downloads.enter(key) {
			w.Header().Set("Retry-After", downloadRetryAfter)
			writeError(w, errRateLimited)
			return
		}
		defer s.downloads.leave(key)
		next(w, r)
	}
}
