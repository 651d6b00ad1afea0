package storageauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
)

// Limits on records, checked before any cryptography (SPEC.md §5).
const (
	// MaxCiphertextBytes bounds a stored ciphertext: 1 MiB, far above any
	// keyring.
	MaxCiphertextBytes = 1 << 20
	// MaxKeyringBytes is the largest keyring Seal accepts.
	MaxKeyringBytes = MaxCiphertextBytes - nonceSize - tagSize
	// MaxRecordBytes bounds a record's JSON encoding (a request or response
	// body): 1.5 MiB, above the encoding of the largest valid record.
	MaxRecordBytes = 3 << 19
	// MaxVersion is the highest version, 2^53-1, so that versions are exact
	// in JavaScript numbers.
	MaxVersion = 1<<53 - 1
)

const (
	nonceSize = 12
	tagSize   = 16
	// minCiphertextBytes is an empty keyring's nonce and tag.
	minCiphertextBytes = nonceSize + tagSize
)

// Domain-separation contexts of the signed messages and the AEAD's
// associated data (SPEC.md §4).
const (
	contextStore    = "sealkit/storageauth/v1/store"
	contextKeyring  = "sealkit/storageauth/v1/keyring"
	contextRetrieve = "sealkit/storageauth/v1/retrieve"
)

// Record is what a slot holds and what a store request carries: the
// encrypted keyring at a version, signed by the slot's key.
type Record struct {
	// ID is the slot ID in its string form (see ID.String).
	ID string
	// Version increases with every store; 1 to MaxVersion.
	Version uint64
	// Ciphertext is nonce(12) || AES-256-GCM(kek, keyring, ad) || tag(16).
	Ciphertext []byte
	// Signature is the slot key's 64-byte signature over the store message.
	Signature []byte
}

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := *r
	c.Ciphertext = bytes.Clone(r.Ciphertext)
	c.Signature = bytes.Clone(r.Signature)
	return &c
}

// check validates the record's fields (not its signature) and parses its ID.
func (r *Record) check() (ID, error) {
	id, err := ParseID(r.ID)
	if err != nil {
		return ID{}, err
	}
	if r.Version < 1 || r.Version > MaxVersion {
		return ID{}, malformed("version must be 1 to 2^53-1")
	}
	if len(r.Ciphertext) > MaxCiphertextBytes {
		return ID{}, &wrapped{"ciphertext longer than 1 MiB", ErrTooLarge}
	}
	if len(r.Ciphertext) < minCiphertextBytes {
		return ID{}, malformed("ciphertext shorter than nonce and tag")
	}
	if len(r.Signature) != SignatureSize {
		return ID{}, malformed("signature must be 64 bytes")
	}
	return id, nil
}

// appendBound appends context || 0x00 || uint16(len(id)) || id.
func appendBound(b []byte, context, id string) []byte {
	b = append(b, context...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

// storeMessage is what a store request's signature covers:
// "sealkit/storageauth/v1/store" || 0x00 || u16(len(id)) || id || u64(version) || SHA-256(ct).
func storeMessage(id string, version uint64, ct []byte) []byte {
	b := make([]byte, 0, len(contextStore)+1+2+len(id)+8+sha256.Size)
	b = appendBound(b, contextStore, id)
	b = binary.BigEndian.AppendUint64(b, version)
	h := sha256.Sum256(ct)
	return append(b, h[:]...)
}

// keyringAD is the AES-GCM associated data: it binds the ciphertext to its
// slot and version, so neither can be relabelled.
func keyringAD(id string, version uint64) []byte {
	b := make([]byte, 0, len(contextKeyring)+1+2+len(id)+8)
	b = appendBound(b, contextKeyring, id)
	return binary.BigEndian.AppendUint64(b, version)
}

// recordJSON is the wire form (SPEC.md §5): binary fields in base64url
// without padding.
type recordJSON struct {
	ID         string `json:"id"`
	Version    uint64 `json:"version"`
	Ciphertext string `json:"ciphertext"`
	Signature  string `json:"signature"`
}

// MarshalJSON encodes r in the wire form of SPEC.md §5.
func (r *Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordJSON{
		ID:         r.ID,
		Version:    r.Version,
		Ciphertext: b64.EncodeToString(r.Ciphertext),
		Signature:  b64.EncodeToString(r.Signature),
	})
}

// ParseRecord decodes a record's JSON wire form (a store request body or a
// retrieve response) and checks every field's syntax and limits, but not
// the signature. Errors wrap ErrMalformed or ErrTooLarge.
func ParseRecord(data []byte) (*Record, error) {
	var w recordJSON
	if err := wire.DecodeJSON(data, MaxRecordBytes, &w); err != nil {
		return nil, err // one JSON object of the expected fields, at most MaxRecordBytes
	}
	if len(w.Ciphertext) > b64.EncodedLen(MaxCiphertextBytes) {
		return nil, &wrapped{"ciphertext longer than 1 MiB", ErrTooLarge}
	}
	ct, err := b64.DecodeString(w.Ciphertext)
	if err != nil {
		return nil, malformed("ciphertext is not canonical base64url")
	}
	if len(w.Signature) > b64.EncodedLen(SignatureSize) {
		return nil, malformed("signature must be 64 bytes")
	}
	sig, err := b64.DecodeString(w.Signature)
	if err != nil {
		return nil, malformed("signature is not canonical base64url")
	}
	r := &Record{ID: w.ID, Version: w.Version, Ciphertext: ct, Signature: sig}
	if _, err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}
