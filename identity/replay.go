package identity

import (
	"container/heap"
	"context"
	"errors"
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

	mu     sync.Mutex
	seen   map[replayKey]time.Time
	expiry expiryHeap
}

var _ ReplayStore = (*MemoryReplayStore)(nil)

type replayKey struct{ keyID, nonce string }

type expiryItem struct {
	k replayKey
	t time.Time
}

type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].t.Before(h[j].t) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
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
		m.seen = map[replayKey]time.Time{}
	}
	// Drop what has expired (amortised O(log n) per entry).
	for len(m.expiry) > 0 && !m.expiry[0].t.After(t) {
		it := heap.Pop(&m.expiry).(expiryItem)
		if e, ok := m.seen[it.k]; ok && e.Equal(it.t) {
			delete(m.seen, it.k)
		}
	}
	if e, ok := m.seen[k]; ok && e.After(t) {
		return ErrExists
	}
	if !expires.After(t) {
		return nil // already expired: nothing to remember
	}
	if len(m.seen) >= max {
		return ErrReplayStoreFull
	}
	m.seen[k] = expires
	heap.Push(&m.expiry, expiryItem{k, expires})
	return nil
}

// Len returns the number of entries held.
func (m *MemoryReplayStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}
