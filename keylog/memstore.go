package keylog

import (
	"bytes"
	"context"
	"slices"
	"sync"
)

// MemStore is a [Store] in memory, for tests and for a log that can be
// rebuilt. The zero value is an empty store.
type MemStore struct {
	mu      sync.RWMutex
	head    Head
	entries []Entry
	nodes   map[NodeID][]byte
	users   map[string][]uint64
}

var _ Store = (*MemStore)(nil)

// Head implements [Store].
func (m *MemStore) Head(context.Context) (Head, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return Head{Size: m.head.Size, Checkpoint: bytes.Clone(m.head.Checkpoint)}, nil
}

// Commit implements [Store].
func (m *MemStore) Commit(_ context.Context, c *Commit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Size != m.head.Size {
		return ErrConflict
	}
	if m.nodes == nil {
		m.nodes = make(map[NodeID][]byte)
		m.users = make(map[string][]uint64)
	}
	for _, n := range c.Nodes {
		m.nodes[n.ID] = bytes.Clone(n.Hash)
	}
	m.entries = append(m.entries, Entry{User: c.Entry.User, Data: bytes.Clone(c.Entry.Data)})
	m.users[c.Entry.User] = append(m.users[c.Entry.User], c.Size)
	m.head = Head{Size: c.Size + 1, Checkpoint: bytes.Clone(c.Checkpoint)}
	return nil
}

// Entries implements [Store].
func (m *MemStore) Entries(_ context.Context, start uint64, count int) ([]Entry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if count < 0 || start > m.head.Size || uint64(count) > m.head.Size-start {
		return nil, ErrNotFound
	}
	out := make([]Entry, count)
	for i := range out {
		e := m.entries[start+uint64(i)]
		out[i] = Entry{User: e.User, Data: bytes.Clone(e.Data)}
	}
	return out, nil
}

// Nodes implements [Store].
func (m *MemStore) Nodes(_ context.Context, ids []NodeID) ([][]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := m.nodes[id]
		if !ok {
			return nil, ErrNotFound
		}
		out[i] = bytes.Clone(h)
	}
	return out, nil
}

// UserIndexes implements [Store].
func (m *MemStore) UserIndexes(_ context.Context, user string, start uint64, limit int) ([]uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	idx := m.users[user]
	i, _ := slices.BinarySearch(idx, start)
	idx = idx[i:]
	if limit >= 0 && len(idx) > limit {
		idx = idx[:limit]
	}
	return slices.Clone(idx), nil
}
