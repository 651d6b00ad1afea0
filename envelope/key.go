package envelope

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
)

// KeySize is the size of a file key (DEK): 256 bits.
const KeySize = 32

// Key is an envelope's file key (DEK): 256 random bits, fresh per envelope.
// It never prints itself. The zero Key is not valid; use NewKey.
type Key struct {
	k [KeySize]byte
}

// NewKey returns a fresh random file key.
func NewKey() *Key {
	k := &Key{}
	rand.Read(k.k[:])
	return k
}

// NewKeyFromBytes returns a Key holding a copy of b, which must be 32 bytes.
// It exists for custom Identity and key-storage code that has unwrapped a
// file key by other means; most callers never need it.
func NewKeyFromBytes(b []byte) (*Key, error) {
	if len(b) != KeySize {
		return nil, errors.New("envelope: a file key is 32 bytes")
	}
	k := &Key{}
	copy(k.k[:], b)
	return k, nil
}

// String does not reveal the key.
func (k *Key) String() string { return "envelope.Key(REDACTED)" }

// GoString does not reveal the key.
func (k *Key) GoString() string { return k.String() }

// Destroy overwrites the key. Best effort: copies made by the runtime or by
// recipients are out of its reach.
func (k *Key) Destroy() { clear(k.k[:]) }

// derive returns HKDF-SHA256(ikm = file key, salt, info = label), 32 bytes.
func (k *Key) derive(salt []byte, label string) []byte {
	out, err := hkdf.Key(sha256.New, k.k[:], salt, label, 32)
	if err != nil {
		panic("envelope: HKDF failed: " + err.Error()) // only for invalid lengths
	}
	return out
}
