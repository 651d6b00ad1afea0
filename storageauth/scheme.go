package storageauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Scheme is a signature scheme for the storage-authorisation keypair.
type Scheme uint8

const (
	// Ed25519 (RFC 8032) is the default: small, fast, deterministic, and in
	// WebCrypto and Go's FIPS 140-3 module.
	Ed25519 Scheme = iota + 1
	// ECDSAP256 is ECDSA over NIST P-256 with SHA-256: what passkeys and
	// WebCrypto clients hold, and FIPS 140-3 approved.
	ECDSAP256
	// Secp256k1 is ECDSA over secp256k1 with SHA-256, for Ethereum wallet
	// users. It is neither in WebCrypto nor FIPS approved.
	Secp256k1
)

// Scheme names, used in slot IDs and mixed into key derivation.
const (
	nameEd25519   = "ed25519"
	nameECDSAP256 = "p256"
	nameSecp256k1 = "secp256k1"
)

// String returns the scheme's name as it appears in slot IDs.
func (s Scheme) String() string {
	switch s {
	case Ed25519:
		return nameEd25519
	case ECDSAP256:
		return nameECDSAP256
	case Secp256k1:
		return nameSecp256k1
	}
	return "unknown"
}

// publicKeySize is the length of the scheme's public key encoding: raw
// Ed25519, or uncompressed SEC 1 (0x04 || x || y) for the ECDSA curves,
// which is WebCrypto's "raw" export format.
func (s Scheme) publicKeySize() int {
	switch s {
	case Ed25519:
		return 32
	case ECDSAP256, Secp256k1:
		return 65
	}
	return 0
}

func schemeByName(name string) (Scheme, bool) {
	switch name {
	case nameEd25519:
		return Ed25519, true
	case nameECDSAP256:
		return ECDSAP256, true
	case nameSecp256k1:
		return Secp256k1, true
	}
	return 0, false
}

// b64 is the only encoding of binary fields on the wire: base64url without
// padding, strict (non-zero trailing bits are refused), so every value has
// exactly one encoding.
var b64 = base64.RawURLEncoding.Strict()

// MaxIDLength bounds a slot ID string; the longest valid one is 97 bytes.
const MaxIDLength = 128

// ID is a slot ID, comparable with ==: a scheme and the public key that authorises writes to the
// slot. Its string form, "<scheme>:" || base64url(public key), is what the
// server stores records under and what signatures cover.
type ID struct {
	scheme Scheme
	s      string
	pub    string // raw public key bytes; a string so that ID is comparable
}

// ParseID parses and validates a slot ID: a known scheme, a canonical
// base64url encoding, a public key of the right length and, for the ECDSA
// curves, a point on the curve. Errors wrap ErrMalformed.
func ParseID(s string) (ID, error) {
	if len(s) > MaxIDLength {
		return ID{}, malformed("slot ID too long")
	}
	name, enc, ok := strings.Cut(s, ":")
	if !ok {
		return ID{}, malformed("slot ID has no scheme prefix")
	}
	scheme, ok := schemeByName(name)
	if !ok {
		return ID{}, malformed("slot ID has an unknown scheme")
	}
	pub, err := b64.DecodeString(enc)
	if err != nil {
		return ID{}, malformed("slot ID public key is not canonical base64url")
	}
	if len(pub) != scheme.publicKeySize() {
		return ID{}, malformed("slot ID public key has the wrong length for its scheme")
	}
	switch scheme {
	case ECDSAP256:
		if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub); err != nil {
			return ID{}, malformed("slot ID is not a P-256 point")
		}
	case Secp256k1:
		if pub[0] != 0x04 {
			return ID{}, malformed("slot ID is not an uncompressed secp256k1 point")
		}
		if _, err := secp256k1.ParsePubKey(pub); err != nil {
			return ID{}, malformed("slot ID is not a secp256k1 point")
		}
	}
	return ID{scheme: scheme, s: s, pub: string(pub)}, nil
}

func newID(scheme Scheme, pub []byte) ID {
	return ID{scheme: scheme, s: scheme.String() + ":" + b64.EncodeToString(pub), pub: string(pub)}
}

// String returns the ID's canonical string form.
func (id ID) String() string { return id.s }

// Scheme returns the signature scheme of the ID's key.
func (id ID) Scheme() Scheme { return id.scheme }

// PublicKey returns a copy of the raw public key: 32 bytes for Ed25519, 65
// bytes of uncompressed SEC 1 for the ECDSA curves.
func (id ID) PublicKey() []byte { return []byte(id.pub) }

// IsZero reports whether id is the zero ID (not parsed or derived).
func (id ID) IsZero() bool { return id.scheme == 0 }
