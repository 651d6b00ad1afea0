package storageauth

import (
	"errors"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Storage codes, shared with every sealkit store so that one backend error
// satisfies errors.Is for each package's sentinel.
var (
	// ErrNotFound: no record is stored under the slot ID.
	ErrNotFound = storeerr.ErrNotFound
	// ErrConflict: the write's version is not above the stored one (a replay,
	// a rollback, or a lost race between two writers). Retrieve and retry
	// with a higher version.
	ErrConflict = storeerr.ErrConflict
)

var (
	// ErrMalformed is returned, wrapped, for a request or record that does not
	// parse: bad JSON, an unknown scheme or a badly encoded slot ID, a version
	// out of range, a ciphertext or signature of the wrong length. The
	// message says which field, never a secret.
	ErrMalformed = errors.New("storageauth: malformed request")

	// ErrTooLarge is returned, wrapped, when a body or ciphertext exceeds
	// MaxRecordBytes or MaxCiphertextBytes, or the server's smaller limits
	// (Server.MaxCiphertext).
	ErrTooLarge = errors.New("storageauth: request too large")

	// ErrInvalidSignature is returned, wrapped, by the server when a store
	// request's signature does not verify under its slot ID, or when a
	// required retrieve proof is missing, invalid or outside its window.
	ErrInvalidSignature = errors.New("storageauth: invalid signature")

	// ErrRateLimited is for Server.AllowCreate to wrap when a client has
	// created too many slots lately: ServeHTTP answers 429 rate_limited,
	// with Retry-After if the error has a RetryAfter() time.Duration
	// method. Client calls return it, wrapped, on that answer.
	ErrRateLimited = errors.New("storageauth: too many new slots, retry later")

	// ErrFull is for Server.AllowCreate to wrap when the server takes no
	// more slots: ServeHTTP answers 507 full. Client calls return it,
	// wrapped, on that answer.
	ErrFull = errors.New("storageauth: the server takes no more slots")

	// ErrRollback is returned by Client.Retrieve when the server hands back a
	// correctly signed record whose version is lower than one this client has
	// already seen: the server (or a backup it was restored from) is stale or
	// replaying.
	ErrRollback = errors.New("storageauth: rollback: version lower than one already seen")

	// ErrCorrupt is the one opaque error of Keys.Open and Client.Retrieve for
	// a record that does not verify or decrypt under these keys: tampered,
	// swapped from another slot, or sealed with other keys.
	ErrCorrupt = errors.New("storageauth: record does not verify or decrypt under these keys")
)

// wrapped carries a non-secret description and one sentinel.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.err.Error() + ": " + e.msg }
func (e *wrapped) Unwrap() error { return e.err }

func malformed(msg string) error { return &wrapped{msg, ErrMalformed} }
