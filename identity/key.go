package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"math/big"

	jose "github.com/go-jose/go-jose/v4"
)

// Algorithm names a signature algorithm by its RFC 9421 registry name.
type Algorithm string

const (
	// Ed25519 is EdDSA over edwards25519 (RFC 8032): the default.
	Ed25519 Algorithm = "ed25519"
	// ECDSAP256SHA256 is ECDSA over P-256 with SHA-256, signatures in the
	// fixed-size r||s form WebCrypto produces (64 bytes), for browser and
	// passkey clients without Ed25519.
	ECDSAP256SHA256 Algorithm = "ecdsa-p256-sha256"
)

// maxKeyEncoding caps JWK and PEM inputs before they are parsed.
const maxKeyEncoding = 8 << 10

// ErrInvalidKey is returned, wrapped, when key bytes, a JWK or a PEM block
// do not hold a supported key.
var ErrInvalidKey = errors.New("identity: invalid or unsupported key")

// PublicKey is a client's (or server's) verification key: Ed25519 or
// ECDSA P-256.
type PublicKey struct {
	alg Algorithm
	ed  ed25519.PublicKey
	ec  *ecdsa.PublicKey
	id  string
}

// PrivateKey is a signing key. It never prints its secret: String and
// GoString show the algorithm and key ID only.
type PrivateKey struct {
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
	pub *PublicKey
}

// GenerateKey returns a new Ed25519 key from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newEd25519Private(priv), nil
}

// GenerateECDSAP256Key returns a new ECDSA P-256 key from crypto/rand.
func GenerateECDSAP256Key() (*PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newECPrivate(k)
}

// NewEd25519PrivateKey returns the Ed25519 key with the given 32-byte seed
// (RFC 8032 private key; WebCrypto's raw PKCS#8 payload).
func NewEd25519PrivateKey(seed []byte) (*PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: Ed25519 seed must be 32 bytes"))
	}
	return newEd25519Private(ed25519.NewKeyFromSeed(seed)), nil
}

// NewEd25519PublicKey returns the Ed25519 public key with the given 32
// bytes. It refuses what libsodium refuses to verify with: not a point, not
// canonical, or of small order (ErrInvalidKey).
func NewEd25519PublicKey(raw []byte) (*PublicKey, error) {
	if len(raw) != ed25519.PublicKeySize {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: Ed25519 public key must be 32 bytes"))
	}
	if err := checkEd25519PublicKey(raw); err != nil {
		return nil, err
	}
	return newEd25519Public(ed25519.PublicKey(append([]byte(nil), raw...))), nil
}

// NewECDSAP256PublicKey returns the P-256 public key with the given 65-byte
// uncompressed point (WebCrypto "raw" export).
func NewECDSAP256PublicKey(raw []byte) (*PublicKey, error) {
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return nil, errors.Join(ErrInvalidKey, err)
	}
	return newECPublic(k)
}

// NewPublicKey wraps an ed25519.PublicKey or a P-256 *ecdsa.PublicKey.
func NewPublicKey(k crypto.PublicKey) (*PublicKey, error) {
	switch k := k.(type) {
	case ed25519.PublicKey:
		return NewEd25519PublicKey(k)
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.Join(ErrInvalidKey, errors.New("identity: ECDSA curve is not P-256"))
		}
		raw, err := k.Bytes()
		if err != nil {
			return nil, errors.Join(ErrInvalidKey, err)
		}
		return NewECDSAP256PublicKey(raw)
	}
	return nil, errors.Join(ErrInvalidKey, errors.New("identity: unsupported public key type"))
}

// NewPrivateKey wraps an ed25519.PrivateKey or a P-256 *ecdsa.PrivateKey.
func NewPrivateKey(k crypto.PrivateKey) (*PrivateKey, error) {
	switch k := k.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, ErrInvalidKey
		}
		return NewEd25519PrivateKey(k.Seed())
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.Join(ErrInvalidKey, errors.New("identity: ECDSA curve is not P-256"))
		}
		return newECPrivate(k)
	}
	return nil, errors.Join(ErrInvalidKey, errors.New("identity: unsupported private key type"))
}

func newEd25519Private(priv ed25519.PrivateKey) *PrivateKey {
	return &PrivateKey{ed: priv, pub: newEd25519Public(priv.Public().(ed25519.PublicKey))}
}

func newEd25519Public(pub ed25519.PublicKey) *PublicKey {
	x := base64.RawURLEncoding.EncodeToString(pub)
	return &PublicKey{alg: Ed25519, ed: pub, id: thumbprint(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`)}
}

func newECPrivate(k *ecdsa.PrivateKey) (*PrivateKey, error) {
	pub, err := newECPublic(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{ec: k, pub: pub}, nil
}

func newECPublic(k *ecdsa.PublicKey) (*PublicKey, error) {
	raw, err := k.Bytes()
	if err != nil || len(raw) != 65 {
		return nil, errors.Join(ErrInvalidKey, err)
	}
	x := base64.RawURLEncoding.EncodeToString(raw[1:33])
	y := base64.RawURLEncoding.EncodeToString(raw[33:])
	return &PublicKey{alg: ECDSAP256SHA256, ec: k, id: thumbprint(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`)}, nil
}

// thumbprint is RFC 7638: SHA-256 of the canonical JWK members (sorted,
// no whitespace), base64url without padding.
func thumbprint(canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Algorithm returns the key's signature algorithm.
func (k *PublicKey) Algorithm() Algorithm { return k.alg }

// KeyID returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of the
// key: for Ed25519 the RFC 8037 OKP JWK {"crv":"Ed25519","kty":"OKP","x":…}.
func (k *PublicKey) KeyID() string { return k.id }

// Bytes returns the raw public key: 32 bytes for Ed25519, the 65-byte
// uncompressed point for P-256.
func (k *PublicKey) Bytes() []byte {
	if k.alg == Ed25519 {
		return append([]byte(nil), k.ed...)
	}
	b, _ := k.ec.Bytes()
	return b
}

// CryptoPublicKey returns the ed25519.PublicKey or *ecdsa.PublicKey.
func (k *PublicKey) CryptoPublicKey() crypto.PublicKey {
	if k.alg == Ed25519 {
		return k.ed
	}
	return k.ec
}

// Equal reports whether k and x are the same key.
func (k *PublicKey) Equal(x *PublicKey) bool {
	return x != nil && k.alg == x.alg && k.id == x.id
}

// String returns the algorithm and key ID.
func (k *PublicKey) String() string { return string(k.alg) + ":" + k.id }

// Verify reports whether sig is k's signature of msg (for ECDSA, the
// 64-byte r||s form over SHA-256(msg)).
func (k *PublicKey) Verify(msg, sig []byte) bool {
	switch k.alg {
	case Ed25519:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, msg, sig)
	case ECDSAP256SHA256:
		if len(sig) != 64 {
			return false
		}
		h := sha256.Sum256(msg)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.ec, h[:], r, s)
	}
	return false
}

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// KeyID returns the public key's ID.
func (k *PrivateKey) KeyID() string { return k.pub.id }

// Algorithm returns the key's signature algorithm.
func (k *PrivateKey) Algorithm() Algorithm { return k.pub.alg }

// String shows the algorithm and key ID, never the secret.
func (k PrivateKey) String() string { return "identity.PrivateKey(" + k.pub.String() + ")" }

// GoString is String, so %#v does not print the secret either.
func (k PrivateKey) GoString() string { return k.String() }

// Sign signs msg: Ed25519 directly, ECDSA over SHA-256(msg) returning r||s.
func (k *PrivateKey) Sign(msg []byte) ([]byte, error) {
	if k.ed != nil {
		return ed25519.Sign(k.ed, msg), nil
	}
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, k.ec, h[:])
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// Seed returns the 32-byte Ed25519 seed, or nil for an ECDSA key.
func (k *PrivateKey) Seed() []byte {
	if k.ed == nil {
		return nil
	}
	return k.ed.Seed()
}

// CryptoSigner returns the ed25519.PrivateKey or *ecdsa.PrivateKey.
func (k *PrivateKey) CryptoSigner() crypto.Signer {
	if k.ed != nil {
		return k.ed
	}
	return k.ec
}

// MarshalPEM returns the public key as an SPKI "PUBLIC KEY" PEM block.
func (k *PublicKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.CryptoPublicKey())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPEM returns the private key as a PKCS#8 "PRIVATE KEY" PEM block.
func (k *PrivateKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.CryptoSigner())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM parses an SPKI "PUBLIC KEY" PEM block.
func ParsePublicKeyPEM(b []byte) (*PublicKey, error) {
	der, err := pemBytes(b, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.Join(ErrInvalidKey, err)
	}
	return NewPublicKey(k)
}

// ParsePrivateKeyPEM parses a PKCS#8 "PRIVATE KEY" (or SEC 1 "EC PRIVATE
// KEY") PEM block. Errors never include the key bytes.
func ParsePrivateKeyPEM(b []byte) (*PrivateKey, error) {
	if len(b) > maxKeyEncoding {
		return nil, ErrInvalidKey
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: no PEM block"))
	}
	switch blk.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, errors.Join(ErrInvalidKey, errors.New("identity: malformed PKCS#8 key"))
		}
		return NewPrivateKey(k)
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(blk.Bytes)
		if err != nil {
			return nil, errors.Join(ErrInvalidKey, errors.New("identity: malformed SEC 1 key"))
		}
		return NewPrivateKey(k)
	}
	return nil, errors.Join(ErrInvalidKey, errors.New("identity: PEM block type is not PRIVATE KEY"))
}

func pemBytes(b []byte, typ string) ([]byte, error) {
	if len(b) > maxKeyEncoding {
		return nil, ErrInvalidKey
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: want a PEM block of type "+typ))
	}
	return blk.Bytes, nil
}

// MarshalJWK returns the public key as a JWK (RFC 8037 OKP for Ed25519,
// RFC 7518 EC for P-256) with "kid" set to the key ID and "alg" to the JOSE
// algorithm (EdDSA, ES256).
func (k *PublicKey) MarshalJWK() ([]byte, error) {
	return jose.JSONWebKey{Key: k.CryptoPublicKey(), KeyID: k.id, Algorithm: k.joseAlg()}.MarshalJSON()
}

// MarshalJWK returns the private key as a JWK including "d". Treat the
// result as a secret.
func (k *PrivateKey) MarshalJWK() ([]byte, error) {
	return jose.JSONWebKey{Key: k.CryptoSigner(), KeyID: k.pub.id, Algorithm: k.pub.joseAlg()}.MarshalJSON()
}

func (k *PublicKey) joseAlg() string {
	if k.alg == Ed25519 {
		return string(jose.EdDSA)
	}
	return string(jose.ES256)
}

func parseJWK(b []byte) (*jose.JSONWebKey, error) {
	if len(b) > maxKeyEncoding {
		return nil, ErrInvalidKey
	}
	var j jose.JSONWebKey
	if err := j.UnmarshalJSON(b); err != nil {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: malformed JWK"))
	}
	return &j, nil
}

// ParsePublicKeyJWK parses a public JWK (OKP Ed25519 or EC P-256). A "kid"
// member is ignored: the key ID is always the thumbprint, so a JWK cannot
// claim another key's ID.
func ParsePublicKeyJWK(b []byte) (*PublicKey, error) {
	j, err := parseJWK(b)
	if err != nil {
		return nil, err
	}
	if !j.IsPublic() {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: JWK holds a private key"))
	}
	return NewPublicKey(j.Key)
}

// ParsePrivateKeyJWK parses a private JWK (OKP Ed25519 or EC P-256 with
// "d"). A "kid" member is ignored, as in ParsePublicKeyJWK.
func ParsePrivateKeyJWK(b []byte) (*PrivateKey, error) {
	j, err := parseJWK(b)
	if err != nil {
		return nil, err
	}
	if j.IsPublic() {
		return nil, errors.Join(ErrInvalidKey, errors.New("identity: JWK holds no private key"))
	}
	return NewPrivateKey(j.Key)
}
