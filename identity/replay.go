package identity

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// ReplayStore remembers (key ID, nonce) pairs until they expire, so a
// signed request or message is accepted at most once within its freshness
// window. Implementations must be safe for concurrent use; check them with
// identitytest.RunReplayStore.
type ReplayStore interface {
	// Remember records (keyID, nonce) until expires. It returns ErrExists
	// (or wraps it) if the pair is already remembered and unexpired: of
	// concurrent calls with one pair, exactly one succeeds. An error other
	// than ErrExists means the store could not decide; the request is then
	// refused (fail closed).
	Remember(ctx context.Context, keyID, nonce string, expires time.Time) error
}

// ErrReplayStoreFull is returned by MemoryReplayStore when it holds its
// maximum of unexpired entries: the server is flooded with fresh nonces.
var ErrReplayStoreFull = errors.New("identity: replay store full")

// DefaultReplayStoreEntries is MemoryReplayStore's cap when Max is 0.
const DefaultReplayStoreEntries = 1 << 20

// MemoryReplayStore is an in-memory ReplayStore for one server process.
// Memory is bounded by Max entries: expired entries are dropped first, and
// when Max unexpired entries remain it refuses new ones with
// ErrReplayStoreFull rather than forget one early (which would allow a
// replay). The zero value is ready to use.
type MemoryReplayStore struct {
	// Max caps the entries held; 0 means DefaultReplayStoreEntries.
	Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	// epoch is the clock at first use, without its monotonic reading (so
	// that times compare by the wall clock, as time.Time.After does).
	// Expiries are kept as durations since it: integers compare and move
	// faster than time.Time. They saturate 292 years away from it, which
	// no process reaches.
	epoch  time.Time
	seen   map[replayKey]time.Duration
	expiry expiryHeap
}

var _ ReplayStore = (*MemoryReplayStore)(nil)

type replayKey struct{ keyID, nonce string }

// clone copies k's strings into one allocation of their own: callers pass
// slices of larger strings (the Verifier's nonce is cut from the request's
// Signature-Input field), which an entry must not keep alive.
// (String concatenation would return one of them as is when the other is
// empty.)
func (k replayKey) clone() replayKey {
	var b strings.Builder
	b.Grow(len(k.keyID) + len(k.nonce))
	b.WriteString(k.keyID)
	b.WriteString(k.nonce)
	s := b.String()
	return replayKey{s[:len(k.keyID)], s[len(k.keyID):]}
}

type expiryItem struct {
	k replayKey
	t time.Duration // since the store's epoch
}

// expiryHeap is a min-heap of expiry times, typed rather than through
// container/heap so that pushing and popping box nothing.
type expiryHeap []expiryItem

func (h *expiryHeap) push(it expiryItem) {
	*h = append(*h, it)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[i].t >= q[p].t {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *expiryHeap) pop() expiryItem {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = expiryItem{} // drop the strings' references
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].t < q[m].t {
			m = l
		}
		if r < len(q) && q[r].t < q[m].t {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// Remember implements ReplayStore.
func (m *MemoryReplayStore) Remember(_ context.Context, keyID, nonce string, expires time.Time) error {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	max := m.Max
	if max <= 0 {
		max = DefaultReplayStoreEntries
	}
	k := replayKey{keyID, nonce}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[replayKey]time.Duration{}
		m.epoch = t.Round(0)
	}
	at := t.Sub(m.epoch)
	// Drop what has expired (amortised O(log n) per entry).
	for len(m.expiry) > 0 && m.expiry[0].t <= at {
		it := m.expiry.pop()
		if e, ok := m.seen[it.k]; ok && e == it.t {
			delete(m.seen, it.k)
		}
	}
	if e, ok := m.seen[k]; ok && e > at {
		return ErrExists
	}
	if !expires.After(t) {
		return nil // already expired: nothing to remember
	}
	if len(m.seen) >= max {
		return ErrReplayStoreFull
	}
	k, exp := k.clone(), expires.Sub(m.epoch)
	m.seen[k] = exp
	m.expiry.push(expiryItem{k, exp})
	return nil
}

// Len returns the number of entries held.
func (m *MemoryReplayStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}
