package storageauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// SignatureSize is the length of every signature: Ed25519's 64 bytes, or
// r || s as two 32-byte big-endian integers for ECDSA (IEEE P1363, the
// format WebCrypto produces).
const SignatureSize = 64

// scalarCandidates is how many 32-byte candidates the HKDF output for an
// ECDSA secret key holds (SPEC.md §2.2): the first in [1, n-1] is the key.
const scalarCandidates = 4

// signingKeyOKMSize is the HKDF output length for scheme's secret key, or 0
// for an unknown scheme.
func signingKeyOKMSize(s Scheme) int {
	switch s {
	case Ed25519:
		return ed25519.SeedSize
	case ECDSAP256, Secp256k1:
		return 32 * scalarCandidates
	}
	return 0
}

// errScalar is returned when no candidate is a valid scalar: for P-256 the
// chance is about 2^-128 per IKM, for secp256k1 about 2^-512.
var errScalar = errors.New("storageauth: no valid scalar in the derived candidates")

type signer interface {
	sign(msg []byte) ([]byte, error)
}

// newSigner builds the secret key of scheme from its HKDF output and
// returns it with its encoded public key.
func newSigner(scheme Scheme, okm []byte) (signer, []byte, error) {
	switch scheme {
	case Ed25519:
		sk := ed25519.NewKeyFromSeed(okm[:ed25519.SeedSize])
		return ed25519Signer(sk), []byte(sk.Public().(ed25519.PublicKey)), nil
	case ECDSAP256:
		// Rejection sampling (FIPS 186-5 A.2.2): exactly uniform, and
		// ParseRawPrivateKey refuses 0 and values >= n.
		for i := range scalarCandidates {
			sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), okm[32*i:32*i+32])
			if err != nil {
				continue
			}
			pub, err := sk.PublicKey.Bytes()
			if err != nil {
				return nil, nil, err
			}
			return p256Signer{sk}, pub, nil
		}
		return nil, nil, errScalar
	case Secp256k1:
		for i := range scalarCandidates {
			var b [32]byte
			copy(b[:], okm[32*i:])
			var k secp256k1.ModNScalar
			overflow := k.SetBytes(&b)
			clear(b[:])
			if overflow != 0 || k.IsZero() {
				continue
			}
			sk := secp256k1.NewPrivateKey(&k)
			return secp256k1Signer{sk}, sk.PubKey().SerializeUncompressed(), nil
		}
		return nil, nil, errScalar
	}
	return nil, nil, malformed("unknown scheme")
}

type ed25519Signer ed25519.PrivateKey

func (s ed25519Signer) sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(s), msg), nil
}

type p256Signer struct{ sk *ecdsa.PrivateKey }

// sign is deterministic (RFC 6979), so golden vectors are reproducible.
func (s p256Signer) sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	der, err := s.sk.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var r, t big.Int
	in := cryptobyte.String(der)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&t) {
		return nil, errors.New("storageauth: internal error: unexpected ECDSA signature encoding")
	}
	sig := make([]byte, SignatureSize)
	r.FillBytes(sig[:32])
	t.FillBytes(sig[32:])
	return sig, nil
}

type secp256k1Signer struct{ sk *secp256k1.PrivateKey }

// sign is deterministic (RFC 6979) and produces low-S signatures.
func (s secp256k1Signer) sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	sig := secpecdsa.Sign(s.sk, digest[:])
	r, t := sig.R(), sig.S()
	rb, tb := r.Bytes(), t.Bytes()
	return append(rb[:], tb[:]...), nil
}

// verify reports whether sig is a valid signature of msg under id's key.
// Malformed keys and signatures are simply invalid; nothing here panics.
func verify(id ID, msg, sig []byte) bool {
	if len(sig) != SignatureSize {
		return false
	}
	switch id.scheme {
	case Ed25519:
		return len(id.pub) == ed25519.PublicKeySize && ed25519.Verify(ed25519.PublicKey(id.pub), msg, sig)
	case ECDSAP256:
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), []byte(id.pub))
		if err != nil {
			return false
		}
		digest := sha256.Sum256(msg)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pk, digest[:], r, s)
	case Secp256k1:
		pk, err := secp256k1.ParsePubKey([]byte(id.pub))
		if err != nil {
			return false
		}
		var rb, sb [32]byte
		copy(rb[:], sig[:32])
		copy(sb[:], sig[32:])
		var r, s secp256k1.ModNScalar
		if r.SetBytes(&rb) != 0 || s.SetBytes(&sb) != 0 || r.IsZero() || s.IsZero() || s.IsOverHalfOrder() {
			return false
		}
		digest := sha256.Sum256(msg)
		return secpecdsa.NewSignature(&r, &s).Verify(digest[:], pk)
	}
	return false
}
