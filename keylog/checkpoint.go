package keylog

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint limits.
const (
	// MaxCheckpointBytes caps a signed checkpoint: its three lines and up
	// to note's 100 signature lines (the log's and cosignatures).
	MaxCheckpointBytes = 16 << 10
	// MaxOriginLength caps a log's origin line.
	MaxOriginLength = 255
	// MaxSize caps a log's size: every size and index is below 2^53 so
	// JavaScript numbers carry it exactly.
	MaxSize = 1<<53 - 1
)

// Checkpoint is a verified checkpoint: the log Origin, its Size and its
// RFC 6962 root Hash, and Note, the signed note as received (the log's
// signature and any cosignatures).
type Checkpoint struct {
	Origin string
	Size   uint64
	Hash   []byte
	Note   []byte
}

// Equal reports whether c and d commit to the same tree of one log.
func (c *Checkpoint) Equal(d *Checkpoint) bool {
	return c.Origin == d.Origin && c.Size == d.Size && bytes.Equal(c.Hash, d.Hash)
}

// EmptyRoot is the root hash of the empty tree, SHA-256 of nothing.
var EmptyRoot = func() []byte { h := sha256.Sum256(nil); return h[:] }()

// Verifier checks what a log signs and proves, knowing only its origin and
// public key. It keeps no state; see [Client] for that.
type Verifier struct {
	origin string
	key    note.Verifier
}

// NewVerifier returns a verifier for the log named origin whose key is
// vkey, a signed-note verifier key ("name+hash+base64", Ed25519).
func NewVerifier(origin, vkey string) (*Verifier, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, malformed("log key: %v", err)
	}
	return &Verifier{origin: origin, key: v}, nil
}

// Origin returns the origin line the verifier expects.
func (v *Verifier) Origin() string { return v.origin }

func checkOrigin(origin string) error {
	if origin == "" || len(origin) > MaxOriginLength || !validUser(origin) {
		return malformed("origin must be 1 to %d bytes of UTF-8 without control characters", MaxOriginLength)
	}
	return nil
}

// ParseCheckpoint verifies signed, a signed note whose text is a
// checkpoint of the verifier's log, and returns it. It refuses a note
// over [MaxCheckpointBytes], one the log's key did not sign
// ([ErrBadSignature]), one naming another origin ([ErrWrongOrigin]), and
// any text other than exactly three lines in their canonical form: the
// origin, the size in decimal without leading zeros (at most [MaxSize])
// and the 32-byte root in padded standard base64, which for size 0 must
// be [EmptyRoot] ([ErrMalformed]).
// Signatures by other keys (cosignatures) are kept in Note, unchecked.
func (v *Verifier) ParseCheckpoint(signed []byte) (*Checkpoint, error) {
	if len(signed) > MaxCheckpointBytes {
		return nil, malformed("checkpoint of %d bytes, over %d", len(signed), MaxCheckpointBytes)
	}
	n, err := note.Open(signed, note.VerifierList(v.key))
	if err != nil {
		var ue *note.UnverifiedNoteError
		var ie *note.InvalidSignatureError
		if errors.As(err, &ue) || errors.As(err, &ie) {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil, malformed("signed note: %v", err)
	}
	cp, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, err
	}
	if cp.Origin != v.origin {
		return nil, fmt.Errorf("%w: origin %q, want %q", ErrWrongOrigin, cp.Origin, v.origin)
	}
	cp.Note = bytes.Clone(signed)
	return cp, nil
}

// parseCheckpointText parses a checkpoint body strictly: formats' parser,
// then the canonical form (it must marshal back to the same bytes).
func parseCheckpointText(text string) (*Checkpoint, error) {
	var c tlog.Checkpoint
	rest, err := c.Unmarshal([]byte(text))
	if err != nil {
		return nil, malformed("checkpoint: %v", err)
	}
	switch {
	case len(rest) != 0:
		return nil, malformed("checkpoint has extension lines")
	case string(c.Marshal()) != text:
		return nil, malformed("checkpoint is not in canonical form")
	case len(c.Hash) != HashSize:
		return nil, malformed("checkpoint root of %d bytes, want %d", len(c.Hash), HashSize)
	case c.Size > MaxSize:
		return nil, malformed("checkpoint size over 2^53-1")
	case c.Size == 0 && !bytes.Equal(c.Hash, EmptyRoot):
		return nil, malformed("checkpoint of size 0 whose root is not the empty tree's")
	case checkOrigin(c.Origin) != nil:
		return nil, checkOrigin(c.Origin)
	}
	return &Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Hash}, nil
}

// signCheckpoint returns the signed note of (origin, size, root).
func signCheckpoint(signer note.Signer, origin string, size uint64, root []byte) ([]byte, error) {
	text := tlog.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal()
	return note.Sign(&note.Note{Text: string(text)}, signer)
}
