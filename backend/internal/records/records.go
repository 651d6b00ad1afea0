// Package records is the storage model under sealkit's durable backends.
//
// Every store interface of the SDK (keystore, identity, storageauth, share)
// keeps small records: an ID, an owner, a version for compare-and-swap and
// an opaque body that is ciphertext or public data. The backends therefore
// implement one table of such records, indexed by kind and ID with two
// secondary keys for listings, plus chunked blobs; thin adapters map each
// public store interface onto it. One model means one set of SQL statements
// per backend to review and one conformance suite (recordstest) that both
// backends pass before the public suites run on top.
package records

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Record is one stored document.
type Record struct {
	Kind    string    // namespace, e.g. "keystore.key"
	ID      string    // unique within Kind
	Owner   string    // secondary key: List(kind, ByOwner, owner)
	Ref     string    // secondary key: List(kind, ByRef, ref)
	Version int64     // set by the store: 1 on Create, +1 on each Update
	Data    []byte    // the body, opaque to the store
	Expires time.Time // zero: never; Purge removes records expired before a time
}

// Field names a secondary key for List.
type Field int

const (
	ByOwner Field = iota
	ByRef
)

// Store is implemented by each backend. Errors: storeerr.ErrExists,
// storeerr.ErrNotFound, storeerr.ErrConflict, or the context's error.
type Store interface {
	// Create inserts r with Version 1, or fails with ErrExists.
	Create(ctx context.Context, r Record) (Record, error)
	// Update replaces r if its stored version is expect and returns it with
	// the new version; ErrConflict if another version is stored.
	Update(ctx context.Context, r Record, expect int64) (Record, error)
	Get(ctx context.Context, kind, id string) (Record, error)
	// List returns the records of kind whose field equals value, by ID.
	List(ctx context.Context, kind string, field Field, value string) ([]Record, error)
	Delete(ctx context.Context, kind, id string) error
	// Modify reads a record, lets fn change Data/Owner/Ref/Expires and
	// writes it back in one transaction: concurrent Modify calls on one
	// record are serialised, so counters never lose an update. If fn
	// returns an error nothing is written and Modify returns that error.
	Modify(ctx context.Context, kind, id string, fn func(*Record) error) (Record, error)
	// Purge deletes records of kind that expired before t.
	Purge(ctx context.Context, kind string, t time.Time) error
}

// Blobs stores large byte streams in fixed-size chunks, so that neither
// writing nor reading one holds more than a chunk in memory. Each put
// writes a new generation of chunks (see PutChunked).
type Blobs interface {
	// PutBlob stores everything read from r under id, replacing any blob
	// already there once r is fully read: a failed or cancelled put, or a
	// crash during one, leaves the previous state (the old blob, or none)
	// untouched. No transaction is open while it reads from r.
	PutBlob(ctx context.Context, id string, r io.Reader) (int64, error)
	// BlobSize reports a stored blob's length.
	BlobSize(ctx context.Context, id string) (int64, error)
	// StatBlob reports a stored blob's length and generation.
	StatBlob(ctx context.Context, id string) (BlobStat, error)
	// ReadBlobChunk returns chunk seq (the last may be short) of id while
	// id names generation gen; ErrNotFound once it names another, so a
	// reader never mixes the chunks of two puts.
	ReadBlobChunk(ctx context.Context, id, gen string, seq int64) ([]byte, error)
	DeleteBlob(ctx context.Context, id string) error
}

// BlobStat describes a stored blob.
type BlobStat struct {
	Size int64
	Gen  string // the generation id names, new with every put
}

// ChunkSize is the blob chunk length. 1 MiB keeps per-chunk overhead small
// and stays under every backend's comfortable row size.
const ChunkSize = 1 << 20

// Re-exported so that adapters compare with one set of sentinels.
var (
	ErrNotFound = storeerr.ErrNotFound
	ErrExists   = storeerr.ErrExists
	ErrConflict = storeerr.ErrConflict
)

// ExpiresNanos is the stored form of an expiry: Unix nanoseconds, 0 for
// never.
func ExpiresNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ExpiresFrom is the inverse of ExpiresNanos.
func ExpiresFrom(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Body is what a backend stores for b: an empty body as empty bytes, never
// NULL.
func Body(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Passthrough reports whether a backend returns err as it is: the store's
// sentinels and the context's errors, which callers test with errors.Is.
// Anything else a backend wraps with its name and the operation.
func Passthrough(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
