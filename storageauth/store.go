package storageauth

import (
	"context"
	"sync"
)

// Store is where a server keeps records, one per slot ID. Implementations
// must be safe for concurrent use, and must copy records in and out (a
// caller may reuse or change the slices afterwards). storageauthtest.Run
// checks an implementation against this contract.
type Store interface {
	// Get returns the record stored under id, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, id string) (*Record, error)

	// CompareAndSwap stores rec under rec.ID if, atomically, the version
	// stored there now is prev (0 meaning no record) and rec.Version > prev.
	// Otherwise it changes nothing and returns an error wrapping ErrConflict.
	// Of several concurrent writes with the same prev, exactly one succeeds.
	CompareAndSwap(ctx context.Context, rec *Record, prev uint64) error
}

// MemoryStore is an in-memory Store, the reference implementation. The zero
// value is ready to use.
type MemoryStore struct {
	mu sync.RWMutex
	m  map[string]*Record
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, id string) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.m[id]
	if !ok {
		return nil, ErrNotFound
	}
	return r.Clone(), nil
}

// CompareAndSwap implements Store.
func (s *MemoryStore) CompareAndSwap(ctx context.Context, rec *Record, prev uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if rec.Version <= prev {
		return &wrapped{"version not above the expected one", ErrConflict}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur uint64
	if r, ok := s.m[rec.ID]; ok {
		cur = r.Version
	}
	if cur != prev {
		return &wrapped{"stored version changed", ErrConflict}
	}
	if s.m == nil {
		s.m = make(map[string]*Record)
	}
	s.m[rec.ID] = rec.Clone()
	return nil
}
