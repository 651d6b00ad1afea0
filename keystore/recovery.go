package keystore

import (
	"crypto/rand"
	"fmt"
)

const (
	// RecoveryKeySize is the recovery key's entropy in bytes (256 bits).
	RecoveryKeySize = 32
	recoveryCheck   = 3 // checksum bytes: 32+3 = 35 bytes = 56 characters
	recoveryChars   = (RecoveryKeySize + recoveryCheck) * 8 / 5
)

// RecoveryKey is a random 256-bit key that unwraps a second copy of the
// master KEK. It is shown to its owner once, printed as 14 groups of four
// Crockford base32 characters whose last 24 bits are a checksum, and never
// stored. It does not print itself.
type RecoveryKey struct {
	k [RecoveryKeySize]byte
}

// GenerateRecoveryKey returns a fresh random recovery key.
func GenerateRecoveryKey() *RecoveryKey {
	rk := &RecoveryKey{}
	rand.Read(rk.k[:])
	return rk
}

// Phrase returns the printable form, for example
// "7N3Q-…-K2PW": 56 characters in 14 groups. Show it once.
func (rk *RecoveryKey) Phrase() string {
	b := append(rk.k[:], rk.checksum()...)
	defer clear(b)
	return formatGroups(b)
}

// String does not print the key.
func (rk *RecoveryKey) String() string { return "keystore.RecoveryKey(REDACTED)" }

// GoString does not print the key.
func (rk *RecoveryKey) GoString() string { return rk.String() }

// Destroy zeroes the key (best effort).
func (rk *RecoveryKey) Destroy() { clear(rk.k[:]) }

// ParseRecoveryKey reads a recovery key as a person typed it (case, dashes,
// spaces and the letters I, L, O are forgiven). A typo fails the checksum
// with ErrRecoveryKey; the error never echoes the input.
func ParseRecoveryKey(s string) (*RecoveryKey, error) {
	b := parseGroups(s, recoveryChars)
	if len(b) != RecoveryKeySize+recoveryCheck {
		return nil, fmt.Errorf("%w: want %d characters", ErrRecoveryKey, recoveryChars)
	}
	defer clear(b)
	rk := &RecoveryKey{}
	copy(rk.k[:], b)
	if !equalBytes(rk.checksum(), b[RecoveryKeySize:]) {
		rk.Destroy()
		return nil, fmt.Errorf("%w: checksum mismatch (a typo?)", ErrRecoveryKey)
	}
	return rk, nil
}

// checksum is HKDF(key, labelRecoveryChecksum)[:3]: it catches typos; it is
// not a security boundary (the AES-KW unwrap is).
func (rk *RecoveryKey) checksum() []byte {
	return subkey(rk.k[:], labelRecoveryChecksum)[:recoveryCheck]
}

// wrapKey is the AES-KW key for the recovery copy of the master KEK.
func (rk *RecoveryKey) wrapKey() []byte { return subkey(rk.k[:], labelRecovery) }
