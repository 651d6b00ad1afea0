package keystore

import "context"

// Entry is one stored record. Version is the store's revision of the entry:
// 1 after Put, one more after each Update. It is what compare-and-swap
// compares; it is unrelated to a key's version.
type Entry struct {
	Owner   string // the user the entry belongs to
	ID      string // unique per owner
	Version uint64 // the store's revision, for [Store.Update]
	Data    []byte // the record, opaque to the store
}

// Store keeps records by owner and ID. It sees only what a server may see
// (account and key records); it needs no cryptography. Implementations must
// be safe for concurrent use, return copies (a caller may change what it
// got or gave), wrap ErrNotFound, ErrExists and ErrConflict as documented,
// and return ctx.Err() (possibly wrapped) for a done context. The suite in
// keystore/keystoretest checks all of this.
type Store interface {
	// Put creates an entry with Version 1 and returns that version. If the
	// entry exists it returns ErrExists and changes nothing.
	Put(ctx context.Context, owner, id string, data []byte) (uint64, error)
	// Update replaces the entry's data if its version is still version,
	// and returns the new version. A missing entry returns ErrNotFound; a
	// different version returns ErrConflict and changes nothing.
	Update(ctx context.Context, owner, id string, version uint64, data []byte) (uint64, error)
	// Get returns the entry, or ErrNotFound.
	Get(ctx context.Context, owner, id string) (Entry, error)
	// List returns the owner's entries in increasing ID order (none: empty,
	// no error).
	List(ctx context.Context, owner string) ([]Entry, error)
	// Delete removes the entry, or returns ErrNotFound.
	Delete(ctx context.Context, owner, id string) error
}
