// Package driver is what a storage backend of sealkit implements: one table
// of small records and chunked blobs. Package backend maps every store
// interface of the SDK (keystore, identity, storageauth, share) onto a
// [Driver], so a backend written against this package (about a dozen
// methods) gets every store, and its conformance suite, drivertest, checks
// it with the same tests the SQLite and PostgreSQL backends pass.
//
// Every store keeps small records: an ID, an owner, a version for
// compare-and-swap and an opaque body that is ciphertext or public data.
// One model means one set of statements per backend to review.
//
// Errors: a driver returns [ErrNotFound], [ErrExists] and [ErrConflict] as
// they are (not wrapped), and the context's error when it is done; anything
// else it may wrap with its name and the operation.
package driver

import (
	"context"
	"io"
	"time"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Record is one stored document.
type Record struct {
	Kind    string    // namespace, e.g. "keystore"
	ID      string    // unique within Kind
	Owner   string    // secondary key: List(kind, ByOwner, owner)
	Ref     string    // secondary key: List(kind, ByRef, ref)
	Version int64     // set by the store: 1 on Create, +1 on each Update or Modify
	Data    []byte    // the body, opaque to the store; never nil when read
	Expires time.Time // zero: never; Purge removes records expired before a time
}

// Field names a secondary key for [Store.List].
type Field int

const (
	ByOwner Field = iota // Record.Owner
	ByRef                // Record.Ref
)

// Store is the record half of a driver. Every method is atomic on its own;
// [Store.Atomic] makes several one. A Store is safe for concurrent use.
type Store interface {
	// Create inserts r with Version 1 and returns it; ErrExists if a
	// record of r.Kind and r.ID is stored. Inside a transaction a refused
	// Create leaves the transaction usable.
	Create(ctx context.Context, r Record) (Record, error)
	// Update replaces r if its stored version is expect and returns it with
	// the new version; ErrConflict if another version is stored,
	// ErrNotFound if none is.
	Update(ctx context.Context, r Record, expect int64) (Record, error)
	// Get returns a record; ErrNotFound if none is stored.
	Get(ctx context.Context, kind, id string) (Record, error)
	// List returns the records of kind whose field equals value, by ID in
	// byte order.
	List(ctx context.Context, kind string, field Field, value string) ([]Record, error)
	// Range returns up to limit records of kind whose ID is greater than
	// after and, if before is not "", less than before, by ID in byte
	// order. It is an index range scan: its cost grows with limit, not with
	// the records stored. A limit below 1 returns none.
	Range(ctx context.Context, kind, after, before string, limit int) ([]Record, error)
	// Delete removes a record; ErrNotFound if none is stored.
	Delete(ctx context.Context, kind, id string) error
	// Modify reads a record, lets fn change Data/Owner/Ref/Expires and
	// writes it back, incrementing Version, in one transaction: concurrent
	// Modify calls on one record are serialised, so counters never lose an
	// update. If fn returns an error nothing is written and Modify returns
	// that error as it is; ErrNotFound if no record is stored.
	Modify(ctx context.Context, kind, id string, fn func(*Record) error) (Record, error)
	// Purge deletes the records of kind that expired before t.
	Purge(ctx context.Context, kind string, t time.Time) error
	// Atomic runs fn with a Store bound to one transaction: its writes all
	// commit when fn returns nil and ctx is not done, or none do. fn must
	// use tx and no other Store or Blobs of the same backend (a backend may
	// have one connection, held by tx), and tx must not be used after fn
	// returns. tx.Atomic runs its function in the same transaction. fn's
	// error is returned as it is.
	Atomic(ctx context.Context, fn func(tx Store) error) error
}

// Blobs is the blob half of a driver: large byte streams, stored so that
// neither writing nor reading one holds more than a bounded part of it in
// memory. Blobs are never part of a transaction.
type Blobs interface {
	// PutBlob stores everything read from r under id, replacing any blob
	// already there once r is fully read: a failed or cancelled put, or a
	// crash during one, leaves the previous state (the old blob, or none)
	// untouched. No transaction or lock is held while it reads from r (a
	// slow client's upload), so a stalled r blocks no other writer.
	PutBlob(ctx context.Context, id string, r io.Reader) (int64, error)
	// StatBlob reports a stored blob's length and generation;
	// ErrNotFound if none is stored.
	StatBlob(ctx context.Context, id string) (BlobStat, error)
	// ReadBlobChunk returns chunk seq (ChunkSize bytes from seq×ChunkSize;
	// the last may be short) of id while id names generation gen;
	// ErrNotFound once it names another, so a reader never mixes the
	// chunks of two puts.
	ReadBlobChunk(ctx context.Context, id, gen string, seq int64) ([]byte, error)
	// DeleteBlob removes a blob; ErrNotFound if none is stored.
	DeleteBlob(ctx context.Context, id string) error
}

// BlobStat describes a stored blob.
type BlobStat struct {
	Size int64
	Gen  string // the generation id names: new with every put, never reused
}

// Driver is a whole backend: records and blobs.
type Driver interface {
	Store
	Blobs
}

// ChunkSize is the blob chunk length of [Blobs.ReadBlobChunk]. 1 MiB keeps
// per-chunk overhead small and stays under every database's comfortable row
// size.
const ChunkSize = 1 << 20

// The storage codes. They are the same values as each public package's
// sentinels (share.ErrNotFound, keystore.ErrNotFound, …), so that an error
// a driver returns satisfies errors.Is for all of them.
var (
	ErrNotFound = storeerr.ErrNotFound // no such record or blob
	ErrExists   = storeerr.ErrExists   // Create found a record there
	ErrConflict = storeerr.ErrConflict // Update found another version
)
