package identity

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// KeyEntry is what a server knows about one client key.
type KeyEntry struct {
	// PublicKey is the client's key; its KeyID is the entry's ID.
	PublicKey *PublicKey
	// Owner names the account the key belongs to (opaque to this package).
	Owner string
	// Permissions are application-defined names checked by
	// Verified.HasPermission and RequirePermission.
	Permissions []string
	// Revoked keys are refused with ErrRevokedKey (403).
	Revoked bool
}

// KeyID returns the entry's key ID.
func (e KeyEntry) KeyID() string { return e.PublicKey.KeyID() }

// KeyRegistry maps key IDs to keys, owners and permissions. Implementations
// must be safe for concurrent use and return ErrNotFound (or wrap it) for
// unknown IDs and ErrExists from Register for a known one. Check them with
// identitytest.RunKeyRegistry.
type KeyRegistry interface {
	// Register stores a new entry under e.KeyID().
	Register(ctx context.Context, e KeyEntry) error
	// Lookup returns the entry for keyID.
	Lookup(ctx context.Context, keyID string) (KeyEntry, error)
	// SetPermissions replaces the entry's permissions.
	SetPermissions(ctx context.Context, keyID string, perms []string) error
	// Revoke marks the entry revoked; it stays, so the ID is not reused.
	Revoke(ctx context.Context, keyID string) error
}

// ErrInvalidEntry is returned by Register for an entry without a key.
var ErrInvalidEntry = errors.New("identity: key entry has no public key")

// MemoryKeyRegistry is an in-memory KeyRegistry. The zero value is ready.
type MemoryKeyRegistry struct {
	mu      sync.RWMutex
	entries map[string]KeyEntry
}

var _ KeyRegistry = (*MemoryKeyRegistry)(nil)

// NewMemoryKeyRegistry returns an empty registry.
func NewMemoryKeyRegistry() *MemoryKeyRegistry { return &MemoryKeyRegistry{} }

// Register implements [KeyRegistry.Register]: ErrInvalidEntry for an
// entry without a public key, ErrExists if the key ID is taken.
func (m *MemoryKeyRegistry) Register(_ context.Context, e KeyEntry) error {
	if e.PublicKey == nil {
		return ErrInvalidEntry
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]KeyEntry{}
	}
	if _, ok := m.entries[e.KeyID()]; ok {
		return ErrExists
	}
	e.Permissions = slices.Clone(e.Permissions)
	m.entries[e.KeyID()] = e
	return nil
}

// Lookup implements [KeyRegistry.Lookup]; ErrNotFound for an unknown key ID.
func (m *MemoryKeyRegistry) Lookup(_ context.Context, keyID string) (KeyEntry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.entries[keyID]
	if !ok {
		return KeyEntry{}, ErrNotFound
	}
	e.Permissions = slices.Clone(e.Permissions)
	return e, nil
}

// SetPermissions implements [KeyRegistry.SetPermissions]; ErrNotFound for
// an unknown key ID.
func (m *MemoryKeyRegistry) SetPermissions(_ context.Context, keyID string, perms []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[keyID]
	if !ok {
		return ErrNotFound
	}
	e.Permissions = slices.Clone(perms)
	m.entries[keyID] = e
	return nil
}

// Revoke implements [KeyRegistry.Revoke]; ErrNotFound for an unknown key ID.
func (m *MemoryKeyRegistry) Revoke(_ context.Context, keyID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[keyID]
	if !ok {
		return ErrNotFound
	}
	e.Revoked = true
	m.entries[keyID] = e
	return nil
}
