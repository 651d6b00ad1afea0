package keystore

import (
	"errors"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Storage codes, shared by every sealkit store so one backend error satisfies
// errors.Is for every package's sentinel. A Store wraps exactly these.
var (
	// ErrNotFound: the entry does not exist.
	ErrNotFound = storeerr.ErrNotFound
	// ErrExists: a create-only Put found an entry already there.
	ErrExists = storeerr.ErrExists
	// ErrConflict: an Update's expected version is not the stored one; re-read
	// and retry.
	ErrConflict = storeerr.ErrConflict
)

var (
	// ErrUnlock is the one error for a passphrase or recovery key that does
	// not open an account: wrong secret, or an account record whose wrapped
	// key was changed. It is returned only after the full KDF cost, and says
	// nothing more, on purpose.
	ErrUnlock = errors.New("keystore: wrong passphrase or recovery key")

	// ErrCorrupt is returned, wrapped, for a record that is malformed,
	// truncated, or fails authentication (for example a key record moved to
	// another owner, name, kind or version). The message never holds a secret.
	ErrCorrupt = errors.New("keystore: corrupt or tampered record")

	// ErrPolicy is returned, wrapped, for KDF parameters outside what a
	// Policy accepts: above the caps (refused before any KDF work, so a
	// hostile record cannot demand minutes of CPU or gigabytes of memory) or
	// below the floors (a downgrade that would let whoever sees the auth key
	// guess the passphrase cheaply).
	ErrPolicy = errors.New("keystore: KDF parameters outside policy")

	// ErrPassphrase is returned, wrapped, for a passphrase that RFC 8265
	// OpaqueString refuses (SPEC.md §2): empty, not valid UTF-8, or holding a
	// character outside the PRECIS FreeformClass such as a control
	// character. It is returned before any KDF work and says which rule
	// failed, never which character.
	ErrPassphrase = errors.New("keystore: passphrase refused by RFC 8265 OpaqueString")

	// ErrClosed is returned by a Session after Close.
	ErrClosed = errors.New("keystore: session closed")

	// ErrRecoveryKey is returned, wrapped, for a recovery key or share that
	// does not decode: bad characters, wrong length, failed checksum,
	// inconsistent or too few shares.
	ErrRecoveryKey = errors.New("keystore: invalid recovery key or share")
)
