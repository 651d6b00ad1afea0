package identity

import (
	"crypto/ed25519"
	"crypto/sha512"
	"errors"

	"filippo.io/edwards25519"
)

// ErrInvalidPoint is returned by Ed25519PublicKeyToX25519 for the public
// keys libsodium's crypto_sign_ed25519_pk_to_curve25519 rejects: not on the
// curve, of small order, or outside the prime-order subgroup.
var ErrInvalidPoint = errors.New("identity: Ed25519 public key is not a valid prime-order point")

// Ed25519PublicKeyToX25519 converts an Ed25519 public key to the X25519
// (Montgomery u) public key of the same secret, as libsodium's
// crypto_sign_ed25519_pk_to_curve25519: u = (1+y)/(1-y). It rejects what
// libsodium rejects, so a hostile key cannot force a weak ECDH result.
func Ed25519PublicKeyToX25519(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, ErrInvalidPoint
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, ErrInvalidPoint
	}
	id := edwards25519.NewIdentityPoint()
	if new(edwards25519.Point).MultByCofactor(p).Equal(id) == 1 {
		return nil, ErrInvalidPoint // small order
	}
	// [L]P = O exactly for points in the prime-order subgroup; L itself is
	// not a canonical scalar, so compute [L-1]P + P.
	minusOne := edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), scalarOne())
	lp := new(edwards25519.Point).ScalarMult(minusOne, p)
	if lp.Add(lp, p).Equal(id) != 1 {
		return nil, ErrInvalidPoint // has a torsion component
	}
	return p.BytesMontgomery(), nil
}

func scalarOne() *edwards25519.Scalar {
	var b [32]byte
	b[0] = 1
	s, _ := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	return s
}

// Ed25519PrivateKeyToX25519 converts an Ed25519 private key to its X25519
// private key, as libsodium's crypto_sign_ed25519_sk_to_curve25519: the
// first half of SHA-512(seed), clamped. The caller owns (and should clear)
// the result.
func Ed25519PrivateKeyToX25519(priv ed25519.PrivateKey) []byte {
	h := sha512.Sum512(priv.Seed())
	s := h[:32]
	s[0] &= 248
	s[31] &= 127
	s[31] |= 64
	out := append([]byte(nil), s...)
	clear(h[:])
	return out
}
