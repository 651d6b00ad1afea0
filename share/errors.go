package share

import (
	"errors"

	"github.com/sealkit/sealkit/internal/storeerr"
)

// Storage codes every store speaks. They are the same values as every other
// sealkit package's, so one backend error satisfies errors.Is for all of them.
var (
	// ErrNotFound: the record does not exist (or was removed as dead: a
	// link that expired or was used up, an invitation that expired unused).
	ErrNotFound = storeerr.ErrNotFound
	// ErrExists: a create found a record with that ID already there.
	ErrExists = storeerr.ErrExists
	// ErrConflict: a compare-and-swap lost (stale item version, audit head
	// moved, invitation already used, space already claimed).
	ErrConflict = storeerr.ErrConflict
	// ErrPermission: the acting user may not do this (the access-control
	// matrix in SPEC.md).
	ErrPermission = storeerr.ErrPermission
)

// Errors of the sharing flows. Wrap them with %w; test with errors.Is.
var (
	// ErrUnauthenticated: the HTTP handler could not establish who is acting.
	ErrUnauthenticated = errors.New("share: unauthenticated")
	// ErrInvalid: a request or record is malformed or outside a limit.
	ErrInvalid = errors.New("share: invalid request or record")
	// ErrSelfShare: the owner tried to share an item with itself.
	ErrSelfShare = errors.New("share: cannot share with yourself")
	// ErrExpired: an invitation or link is past its expiry.
	ErrExpired = errors.New("share: expired")
	// ErrUsed: a single-use invitation token was already used.
	ErrUsed = errors.New("share: invitation already used")
	// ErrExhausted: a link has no downloads left.
	ErrExhausted = errors.New("share: link has no downloads left")
	// ErrBadProof: a link password / secret or invitation token is wrong.
	ErrBadProof = errors.New("share: wrong link secret or token")
	// ErrLocked: a link refused too many wrong secrets and is locked.
	ErrLocked = errors.New("share: locked after too many failed attempts")
	// ErrLimit: the request would store a record beyond a per-user or
	// per-item cap of the Service (links, recipients, invitations, spaces,
	// audit entries; SPEC.md "Storage limits"). Removing records frees room;
	// retrying as is does not.
	ErrLimit = errors.New("share: limit reached")
	// ErrTooLarge: a blob or record exceeds its cap.
	ErrTooLarge = errors.New("share: too large")
	// ErrCorrupt: a record or ciphertext failed authentication or decoding
	// on the client: a tampered item, share, space or link record, a wrapped
	// key moved to another item, a server that changed bytes. It is the one
	// opaque decryption error at this package's edge; the envelope error it
	// wraps (if any) says where, never a secret.
	ErrCorrupt = errors.New("share: record or ciphertext failed authentication")
	// ErrAudit: an audit chain does not verify (see VerifyAudit).
	ErrAudit = errors.New("share: audit chain does not verify")

	// ErrBadBundle: a user's directory record has no key bundle where one
	// is required, or its bundle is malformed, not signed by its identity
	// key, someone else's, or does not match the record's keys. The
	// identity error it wraps (if any) says which check failed.
	ErrBadBundle = errors.New("share: user's key bundle does not verify")
	// ErrKeyChanged: a user's identity key is not the one this client
	// pinned, and no key change signed by the pinned key vouches for the
	// new one. Compare safety numbers, then [Client.AcceptKeyChange].
	ErrKeyChanged = errors.New("share: contact's identity key changed")
	// ErrRollback: the server answered with an older key bundle, item
	// version or manifest than this client already saw.
	ErrRollback = errors.New("share: older than already seen")
	// ErrBadManifest: an item's owner-signed manifest is missing where one
	// is required, malformed, not signed by the owner's pinned identity key,
	// or does not describe the item record served (a forged item, a swapped
	// header or payload, a recipient the owner did not list). Errors that
	// wrap it wrap ErrCorrupt too.
	ErrBadManifest = errors.New("share: item manifest does not verify")
	// ErrNotLogged: a Client with a KeyLog was shown a key bundle that is
	// not the entry of the server's key transparency log the record names
	// (or names none). The keylog error it wraps says why.
	ErrNotLogged = errors.New("share: key bundle is not in the key log")
)
