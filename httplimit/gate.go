package httplimit

import "sync"

// Gate counts what each key (a user, a client address) has in flight and
// lets at most a fixed number in at once: for work that holds memory
// until its client reads it, such as open downloads. A key's count is
// forgotten when it drops to zero, so its memory is bounded by what is in
// flight. It is safe for concurrent use.
type Gate struct {
	max int

	mu sync.Mutex
	n  map[string]int
}

// NewGate returns a Gate that lets max in at once per key.
func NewGate(max int) *Gate { return &Gate{max: max, n: make(map[string]int)} }

// Enter takes a place for key, or reports false when key holds max. A
// true Enter must be followed by one Leave.
func (g *Gate) Enter(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[key] >= g.max {
		return false
	}
	g.n[key]++
	return true
}

// Leave gives back a place Enter took.
func (g *Gate) Leave(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[key]--; g.n[key] <= 0 {
		delete(g.n, key)
	}
}
