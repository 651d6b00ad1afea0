package identity

import (
	"bytes"
	"errors"

	"filippo.io/edwards25519"
)

// checkEd25519PublicKey refuses the Ed25519 public keys libsodium's
// crypto_sign_verify_detached refuses (SPEC.md, "Keys and key IDs"): bytes
// that are not a point, a non-canonical encoding (y ≥ p, or x = 0 with the
// sign bit set), and points of small order. crypto/ed25519.Verify takes all
// of them: it decodes non-canonical encodings, hashes the bytes as given,
// and verifies signatures under a small-order key that anyone can make
// (under the identity point, R = [S]B for any S).
func checkEd25519PublicKey(raw []byte) error {
	p, err := new(edwards25519.Point).SetBytes(raw)
	if err != nil {
		return errors.Join(ErrInvalidKey, errors.New("identity: Ed25519 public key is not a curve point"))
	}
	if !bytes.Equal(p.Bytes(), raw) {
		return errors.Join(ErrInvalidKey, errors.New("identity: Ed25519 public key is not canonically encoded"))
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return errors.Join(ErrInvalidKey, errors.New("identity: Ed25519 public key has small order"))
	}
	return nil
}
