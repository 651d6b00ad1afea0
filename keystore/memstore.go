package keystore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// MemoryStore is the in-memory reference Store. The zero value is ready to use.
type MemoryStore struct {
	mu sync.RWMutex
	m  map[string]map[string]Entry // owner → id → entry
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func copyEntry(e Entry) Entry {
	e.Data = bytes.Clone(e.Data)
	return e
}

// Put implements Store.
func (s *MemoryStore) Put(ctx context.Context, owner, id string, data []byte) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[owner][id]; ok {
		return 0, fmt.Errorf("keystore: put %q: %w", id, ErrExists)
	}
	if s.m == nil {
		s.m = map[string]map[string]Entry{}
	}
	if s.m[owner] == nil {
		s.m[owner] = map[string]Entry{}
	}
	s.m[owner][id] = Entry{Owner: owner, ID: id, Version: 1, Data: bytes.Clone(data)}
	return 1, nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, owner, id string, version uint64, data []byte) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[owner][id]
	if !ok {
		return 0, fmt.Errorf("keystore: update %q: %w", id, ErrNotFound)
	}
	if e.Version != version {
		return 0, fmt.Errorf("keystore: update %q at version %d, stored %d: %w", id, version, e.Version, ErrConflict)
	}
	e.Version++
	e.Data = bytes.Clone(data)
	s.m[owner][id] = e
	return e.Version, nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, owner, id string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.m[owner][id]
	if !ok {
		return Entry{}, fmt.Errorf("keystore: get %q: %w", id, ErrNotFound)
	}
	return copyEntry(e), nil
}

// List implements Store.
func (s *MemoryStore) List(ctx context.Context, owner string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := make([]Entry, 0, len(s.m[owner]))
	for _, e := range s.m[owner] {
		out = append(out, copyEntry(e))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[owner][id]; !ok {
		return fmt.Errorf("keystore: delete %q: %w", id, ErrNotFound)
	}
	delete(s.m[owner], id)
	return nil
}
