package identity_test

import (
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"filippo.io/edwards25519"

	"github.com/sealkit/sealkit/identity"
)

// fieldP is 2^255 - 19.
var fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// encodeY is the 32-byte little-endian encoding of y with the x sign bit.
func encodeY(y *big.Int, sign bool) []byte {
	b := y.FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	if sign {
		b[31] |= 0x80
	}
	return b
}

// nonCanonicalY lists every encoding with y ≥ p (y = p + t, t < 19), both
// signs.
func nonCanonicalY() [][]byte {
	var out [][]byte
	for t := int64(0); t < 19; t++ {
		y := new(big.Int).Add(fieldP, big.NewInt(t))
		out = append(out, encodeY(y, false), encodeY(y, true))
	}
	return out
}

// TestEd25519NonCanonicalPublicKeys: every encoding with y ≥ p, and x = 0
// with the sign bit set, is refused when a public key is made from bytes,
// and refused by the X25519 conversion.
func TestEd25519NonCanonicalPublicKeys(t *testing.T) {
	encs := nonCanonicalY()
	one := encodeY(big.NewInt(1), true)                                // the identity, x = 0 with the sign bit
	minusOne := encodeY(new(big.Int).Sub(fieldP, big.NewInt(1)), true) // (0, -1), likewise
	encs = append(encs, one, minusOne)
	decodable := 0
	for _, raw := range encs {
		if _, err := new(edwards25519.Point).SetBytes(raw); err == nil {
			decodable++ // what crypto/ed25519.Verify would decode
		}
		if _, err := identity.NewEd25519PublicKey(raw); !errors.Is(err, identity.ErrInvalidKey) {
			t.Errorf("NewEd25519PublicKey(%x) = %v, want ErrInvalidKey", raw, err)
		}
		if _, err := identity.Ed25519PublicKeyToX25519(raw); !errors.Is(err, identity.ErrInvalidPoint) {
			t.Errorf("Ed25519PublicKeyToX25519(%x) = %v, want ErrInvalidPoint", raw, err)
		}
	}
	// 12 of the 19 values y - p give a point (0, 1, 3, 4, 5, 6, 9, 10, 14,
	// 15, 16, 18), each with both signs; plus the two x = 0 encodings.
	if decodable != 26 {
		t.Fatalf("%d non-canonical encodings decode, want 26", decodable)
	}
}

// TestEd25519SmallOrderKeyForgery shows why small-order keys are refused:
// crypto/ed25519.Verify accepts, under the identity point (canonical or
// not), the signature R = B, S = 1 of any message.
func TestEd25519SmallOrderKeyForgery(t *testing.T) {
	forged := append(edwards25519.NewGeneratorPoint().Bytes(), make([]byte, 32)...)
	forged[32] = 1
	for _, pub := range [][]byte{encodeY(big.NewInt(1), false), encodeY(new(big.Int).Add(fieldP, big.NewInt(1)), false)} {
		if !ed25519.Verify(pub, []byte("any message"), forged) {
			t.Fatalf("crypto/ed25519 refused the forgery under %x: SPEC.md's account of it is out of date", pub)
		}
		if _, err := identity.NewEd25519PublicKey(pub); !errors.Is(err, identity.ErrInvalidKey) {
			t.Fatalf("NewEd25519PublicKey(%x) = %v, want ErrInvalidKey", pub, err)
		}
	}
}

// signWithR makes the signature (R, S) of msg under the key of seed for
// which [S]B - [k]A is the identity point, with R given as raw bytes.
func signWithR(seed, r, msg []byte) []byte {
	h := sha512.Sum512(seed)
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	pub := new(edwards25519.Point).ScalarBaseMult(a).Bytes()
	kh := sha512.New()
	kh.Write(r)
	kh.Write(pub)
	kh.Write(msg)
	k, _ := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	s := edwards25519.NewScalar().Multiply(k, a)
	return append(append([]byte(nil), r...), s.Bytes()...)
}

// TestEd25519SignatureR: Go compares R as bytes with the canonical encoding
// of [S]B - [k]A, so a non-canonical R never verifies, while a small-order R
// in canonical form does (libsodium refuses that one too; only the key's
// holder can make it). A non-canonical S (S ≥ L) is refused.
func TestEd25519SignatureR(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60") // RFC 8032 test 1
	priv := ed25519.NewKeyFromSeed(seed)
	pub, err := identity.NewEd25519PublicKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("signed bytes")
	canonical := signWithR(seed, encodeY(big.NewInt(1), false), msg)
	if !pub.Verify(msg, canonical) {
		t.Fatal("the small-order R in canonical form was refused: SPEC.md says Go accepts it")
	}
	for _, r := range [][]byte{encodeY(new(big.Int).Add(fieldP, big.NewInt(1)), false), encodeY(big.NewInt(1), true)} {
		if pub.Verify(msg, signWithR(seed, r, msg)) {
			t.Fatalf("the non-canonical R %x verified", r)
		}
	}
	sig := ed25519.Sign(priv, msg)
	if !pub.Verify(msg, sig) {
		t.Fatal("a real signature was refused")
	}
	// S + L < 2^256: the same value mod L, not canonical.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(b []byte) *big.Int {
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(r)
	}
	s := new(big.Int).Add(le(sig[32:]), l)
	high := append(append([]byte(nil), sig[:32]...), encodeY(s, false)...)
	if pub.Verify(msg, high) {
		t.Fatal("S + L verified")
	}
}
