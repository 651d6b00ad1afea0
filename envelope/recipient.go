package envelope

import (
	"fmt"
)

// A Recipient wraps an envelope's 256-bit file key (the DEK) for one party.
// Wrap returns one or more stanzas; most recipients return exactly one.
// Implementations must not retain fileKey.
type Recipient interface {
	// Wrap returns fileKey's stanzas for this recipient.
	Wrap(fileKey []byte) ([]*Stanza, error)
}

// An Identity unwraps a file key from the stanzas of an envelope. It returns
// ErrIncorrectIdentity (possibly wrapped) if no stanza is addressed to it,
// and any other error only for a stanza of its own type that is malformed.
// Implementations should skip stanzas whose Hint is set and is not theirs,
// so that an envelope with many recipients costs one unwrap, not many.
type Identity interface {
	// Unwrap returns the file key from the first stanza that is this
	// identity's.
	Unwrap(stanzas []*Stanza) ([]byte, error)
}

// A Stanza is one recipient's wrapped copy of the file key.
type Stanza struct {
	// Type names the recipient type, e.g. "x25519"; 1 to 32 characters from
	// [a-z0-9-]. Identities ignore types they do not know.
	Type string
	// Hint is an optional, public key identifier (at most 255 bytes) that
	// lets an identity skip stanzas that are not its own without trying
	// them. For public-key recipients it is derived from the public key, so
	// it reveals who the recipients are to anyone who knows their keys.
	Hint []byte
	// Body is the wrapped key material, at most 65,535 bytes.
	Body []byte
}

// Class says what a recipient's protection rests on; CheckRecipients uses it
// to refuse sets of recipients where one would weaken another.
type Class int

const (
	// Classical public-key recipients (RSA-OAEP, X25519) fall to a large
	// quantum computer. Recipients that do not report a class are Classical.
	Classical Class = iota
	// PostQuantum public-key recipients (ML-KEM-768 + X25519 hybrid).
	PostQuantum
	// Symmetric recipients (a 256-bit KEK, an external AEAD such as a KMS)
	// are as strong as a post-quantum recipient and mix with anything.
	Symmetric
	// Passphrase recipients are as strong as the passphrase chosen.
	Passphrase
)

// String names the class as CheckRecipients' errors do.
func (c Class) String() string {
	switch c {
	case Classical:
		return "classical"
	case PostQuantum:
		return "post-quantum"
	case Symmetric:
		return "symmetric"
	case Passphrase:
		return "passphrase"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// ClassifiedRecipient is implemented by recipients that report their Class.
type ClassifiedRecipient interface {
	Recipient
	// Class is what the recipient's protection rests on.
	Class() Class
}

// ClassOf returns r's Class, Classical if it does not report one.
func ClassOf(r Recipient) Class {
	if c, ok := r.(ClassifiedRecipient); ok {
		return c.Class()
	}
	return Classical
}

// CheckRecipients enforces the mixing rule applied when sealing or wrapping a
// key for several recipients at once:
//
//  1. A passphrase recipient must be the only recipient. A passphrase
//     envelope is one that the passphrase alone opens; adding a public key
//     would silently make a weak secret and a strong one interchangeable.
//  2. If any public-key recipient is post-quantum, all public-key recipients
//     must be: one classical stanza beside a post-quantum one lets a future
//     quantum adversary in through the classical door, voiding the
//     post-quantum protection without anyone noticing.
//
// Symmetric recipients mix with any others. To combine what these rules
// refuse, do it explicitly with detached wrapped keys (WrapKey).
func CheckRecipients(rs []Recipient) error {
	if len(rs) == 1 && rs[0] != nil {
		return nil // nothing to mix with: the common case, without classifying
	}
	classes := make([]Class, len(rs))
	for i, r := range rs {
		if r == nil {
			return fmt.Errorf("envelope: nil recipient")
		}
		classes[i] = ClassOf(r)
	}
	return checkClasses(classes)
}

func checkClasses(classes []Class) error {
	var pq, classical, pass int
	for _, c := range classes {
		switch c {
		case PostQuantum:
			pq++
		case Classical:
			classical++
		case Passphrase:
			pass++
		}
	}
	if pass > 0 && len(classes) > 1 {
		return fmt.Errorf("%w: a passphrase recipient must be the only recipient", ErrMixedRecipients)
	}
	if pq > 0 && classical > 0 {
		return fmt.Errorf("%w: %d post-quantum and %d classical public-key recipients", ErrMixedRecipients, pq, classical)
	}
	return nil
}
