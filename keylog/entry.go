package keylog

import (
	"unicode"
	"unicode/utf8"

	"github.com/sealkit/sealkit/identity"
	"github.com/transparency-dev/merkle/rfc6962"
)

// entryLabel starts every leaf, followed by a zero byte, so a leaf of this
// log is never a leaf of another format.
const entryLabel = "sealkit keylog entry v1"

// Entry limits.
const (
	// MaxUserLength caps an entry's user label (bytes of UTF-8 without
	// control characters), as identity caps a bundle's user ID.
	MaxUserLength = identity.MaxUserIDLength
	// MaxEntryData caps an entry's data; above identity.MaxBundleBytes so
	// every bundle fits.
	MaxEntryData = 64 << 10
)

// HashSize is the size of every hash in the tree, a checkpoint and a
// proof: SHA-256.
const HashSize = 32

// Entry is one log entry: Data, opaque to the log (for key bundles, the
// identity.KeyBundle encoding), under User, the label a [Monitor] scans
// for.
type Entry struct {
	User string `json:"user"`
	Data []byte `json:"data"`
}

// BundleEntry is the entry that logs b: its user ID and its encoding.
func BundleEntry(b *identity.KeyBundle) Entry {
	return Entry{User: b.UserID, Data: b.Bytes()}
}

// Check returns an [ErrMalformed] error unless e is within the limits.
func (e Entry) Check() error {
	switch {
	case e.User == "" || len(e.User) > MaxUserLength:
		return malformed("user label of %d bytes, want 1 to %d", len(e.User), MaxUserLength)
	case !validUser(e.User):
		return malformed("user label is not UTF-8 without control characters")
	case len(e.Data) > MaxEntryData:
		return malformed("entry data of %d bytes, over %d", len(e.Data), MaxEntryData)
	}
	return nil
}

func validUser(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Leaf returns the bytes the tree commits to for e:
// "sealkit keylog entry v1" || 0x00 || u8(len(User)) || User || Data.
// e must pass [Entry.Check].
func (e Entry) Leaf() []byte {
	b := make([]byte, 0, len(entryLabel)+2+len(e.User)+len(e.Data))
	b = append(b, entryLabel...)
	b = append(b, 0, byte(len(e.User)))
	b = append(b, e.User...)
	return append(b, e.Data...)
}

// LeafHash returns e's RFC 6962 leaf hash, SHA-256(0x00 || e.Leaf()).
func (e Entry) LeafHash() []byte {
	return rfc6962.DefaultHasher.HashLeaf(e.Leaf())
}

// ParseLeaf is the inverse of [Entry.Leaf]; it refuses (with
// [ErrMalformed]) anything Leaf would not produce.
func ParseLeaf(b []byte) (Entry, error) {
	n := len(entryLabel) + 2
	if len(b) < n || string(b[:len(entryLabel)]) != entryLabel || b[len(entryLabel)] != 0 {
		return Entry{}, malformed("leaf does not start with the entry label")
	}
	ul := int(b[n-1])
	if len(b) < n+ul {
		return Entry{}, malformed("leaf shorter than its user label")
	}
	e := Entry{User: string(b[n : n+ul]), Data: append([]byte{}, b[n+ul:]...)}
	if err := e.Check(); err != nil {
		return Entry{}, err
	}
	return e, nil
}
