package envelope

import (
	"errors"
	"strings"
)

var (
	// ErrCorrupt is returned, wrapped, when an envelope or wrapped-key record
	// is malformed, exceeds a limit, or fails authentication: a changed
	// header byte, wrong associated data, a key other than the one the
	// sender committed to, a truncated, reordered, duplicated or extended
	// payload. The message says where, never a secret.
	ErrCorrupt = errors.New("envelope: corrupt, tampered, or opened with the wrong associated data")

	// ErrUnsupported is returned, wrapped, for a well-formed envelope of a
	// version or suite this release does not know: upgrade rather than
	// treat it as corrupt.
	ErrUnsupported = errors.New("envelope: unsupported version or suite")

	// ErrIncorrectIdentity is returned by Identity.Unwrap implementations when
	// none of the stanzas is addressed to them. Open then tries the next
	// identity; if none matches it returns a *NoIdentityMatchError.
	ErrIncorrectIdentity = errors.New("envelope: incorrect identity for recipient block")

	// ErrMixedRecipients is returned when a set of recipients would weaken one
	// of its members; see CheckRecipients.
	ErrMixedRecipients = errors.New("envelope: recipients of incompatible strength")
)

// NoIdentityMatchError is returned by Open and friends when no identity could
// unwrap any stanza: the envelope may be intact but is not for these keys.
// errors.Is(err, ErrIncorrectIdentity) reports true for it.
type NoIdentityMatchError struct {
	// Errors holds, per identity, what its Unwrap returned.
	Errors []error
	// StanzaTypes lists the types of the stanzas in the envelope.
	StanzaTypes []string
}

// Error names the stanza types the envelope offered, none of whose
// recipients the identities were.
func (e *NoIdentityMatchError) Error() string {
	if len(e.StanzaTypes) == 0 {
		return "envelope: no identity matched: the envelope has no recipient stanzas (its key is kept detached)"
	}
	return "envelope: no identity matched any of the recipient stanzas (" + strings.Join(e.StanzaTypes, ", ") + ")"
}

// Unwrap returns [ErrIncorrectIdentity] and each identity's error, so that
// errors.Is finds either.
func (e *NoIdentityMatchError) Unwrap() []error {
	return append([]error{ErrIncorrectIdentity}, e.Errors...)
}

// corrupt wraps ErrCorrupt with a non-secret description of where.
func corrupt(where string) error {
	return &corruptError{where}
}

type corruptError struct{ where string }

func (e *corruptError) Error() string { return "envelope: corrupt or tampered: " + e.where }
func (e *corruptError) Unwrap() error { return ErrCorrupt }
