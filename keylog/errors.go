package keylog

import (
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Errors of the log. Each error keylog returns wraps one of them; test
// with errors.Is.
var (
	// ErrMalformed: bytes that are not in the format SPEC.md gives, or over
	// one of its caps (a checkpoint, proof, entry or request).
	ErrMalformed = errors.New("keylog: malformed")
	// ErrBadSignature: a checkpoint carries no valid signature by the log's
	// key.
	ErrBadSignature = errors.New("keylog: checkpoint not signed by the log")
	// ErrWrongOrigin: a checkpoint signed by the log's key names another
	// log.
	ErrWrongOrigin = errors.New("keylog: checkpoint of another log")
	// ErrBadProof: an inclusion or consistency proof does not verify
	// against the checkpoint it was given for.
	ErrBadProof = errors.New("keylog: proof does not verify")
	// ErrFork: two validly signed checkpoints that cannot both be views of
	// one append-only log (see [ForkError]).
	ErrFork = errors.New("keylog: log fork detected")
	// ErrRollback: a checkpoint smaller than the newest one already
	// accepted.
	ErrRollback = errors.New("keylog: checkpoint older than the newest seen")
	// ErrRange: a request outside the log (an index at or past the size, a
	// size past the newest checkpoint) or over a per-request cap.
	ErrRange = errors.New("keylog: request out of range")
	// ErrUnknownKey: the monitor found an entry under its user's name that
	// is not a bundle signed by the user's identity key: a key substituted
	// for the user.
	ErrUnknownKey = errors.New("keylog: entry under this user's name with a key the user does not hold")
	// ErrUnknownEntry: the monitor found a bundle signed by the user's
	// identity key that this client did not make: another of the user's
	// devices, or a stolen identity key.
	ErrUnknownEntry = errors.New("keylog: entry signed by the user's key that this client did not make")
	// ErrReplayed: the monitor found an entry the user made logged a second
	// time.
	ErrReplayed = errors.New("keylog: entry the user made logged again")
)

// Storage errors a [Store] returns; they are the codes every sealkit store
// speaks, so errors.Is matches one backend error for every package.
var (
	// ErrNotFound: the entry or node does not exist.
	ErrNotFound = storeerr.ErrNotFound
	// ErrConflict: a [Store.Commit] found another size than it expected
	// (another writer appended first).
	ErrConflict = storeerr.ErrConflict
)

// ForkError reports a fork: Old is the newest checkpoint accepted before,
// New the one that contradicts it, both signed by the log. They are the
// evidence to show a witness or an auditor. When a consistency proof
// failed, Err is [ErrBadProof] (so errors.Is matches both).
type ForkError struct {
	Old, New *Checkpoint
	Err      error
}

func (e *ForkError) Error() string {
	s := fmt.Sprintf("keylog: log fork detected: checkpoint of size %d does not extend the accepted one of size %d", e.New.Size, e.Old.Size)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrFork) true.
func (e *ForkError) Is(target error) bool { return target == ErrFork }

// Unwrap returns the proof failure, if any.
func (e *ForkError) Unwrap() error { return e.Err }

// AlertError is one entry the [Monitor] refused: its index and entry, and
// Err, one of [ErrUnknownKey], [ErrUnknownEntry] or [ErrReplayed].
type AlertError struct {
	Index uint64
	Entry Entry
	Err   error
}

func (e *AlertError) Error() string {
	return fmt.Sprintf("%v (entry %d, user %q)", e.Err, e.Index, e.Entry.User)
}

// Unwrap returns the alert's sentinel.
func (e *AlertError) Unwrap() error { return e.Err }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
