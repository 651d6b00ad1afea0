package envelope

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// RSA-OAEP recipient: OAEP with SHA-256 and MGF1-SHA-256, the parameters
// WebCrypto's "RSA-OAEP" with hash "SHA-256" uses, and a fixed label.
const (
	rsaType  = "rsa-oaep-256"
	labelRSA = "sealkit/envelope/v1/rsa-oaep-256"

	// MinRSABits and MaxRSABits bound the modulus sizes accepted; 3072 or
	// more is recommended for data that must stay secret past 2030.
	MinRSABits = 2048
	MaxRSABits = 8192
)

// RSARecipient wraps file keys with RSA-OAEP-SHA256.
type RSARecipient struct {
	pub  *rsa.PublicKey
	spki []byte
}

var _ ClassifiedRecipient = (*RSARecipient)(nil)

// NewRSARecipient returns a recipient for pub, refusing moduli outside
// [MinRSABits, MaxRSABits].
func NewRSARecipient(pub *rsa.PublicKey) (*RSARecipient, error) {
	if pub == nil || pub.N == nil {
		return nil, errors.New("envelope: nil RSA public key")
	}
	if bits := pub.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return nil, fmt.Errorf("envelope: RSA key of %d bits outside [%d, %d]", bits, MinRSABits, MaxRSABits)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &RSARecipient{pub: pub, spki: spki}, nil
}

// ParseRSARecipient parses an SPKI public key, DER or PEM ("PUBLIC KEY"), as
// WebCrypto exports it with exportKey("spki").
func ParseRSARecipient(spki []byte) (*RSARecipient, error) {
	der, err := derOrPEM(spki, pemPublicKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("envelope: parsing RSA public key: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("envelope: SPKI holds a %T, not an RSA key", k)
	}
	return NewRSARecipient(pub)
}

// MarshalPKIX returns the SPKI DER encoding of the public key.
func (r *RSARecipient) MarshalPKIX() []byte { return append([]byte(nil), r.spki...) }

// PEM returns the public key as a "PUBLIC KEY" PEM block.
func (r *RSARecipient) PEM() []byte { return encodePEM(r.spki, pemPublicKey) }

// Class reports Classical.
func (r *RSARecipient) Class() Class { return Classical }

// Wrap implements Recipient.
func (r *RSARecipient) Wrap(fileKey []byte) ([]*Stanza, error) {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, r.pub, fileKey, []byte(labelRSA))
	if err != nil {
		return nil, err
	}
	return []*Stanza{{Type: rsaType, Hint: keyHint(r.spki), Body: ct}}, nil
}

// RSAIdentity unwraps file keys wrapped for its RSA key.
type RSAIdentity struct {
	priv *rsa.PrivateKey
	rec  *RSARecipient
}

var _ Identity = (*RSAIdentity)(nil)

// GenerateRSAIdentity returns a new RSA key of the given size (2048, 3072 or
// 4096 are the usual choices).
func GenerateRSAIdentity(bits int) (*RSAIdentity, error) {
	if bits < MinRSABits || bits > MaxRSABits {
		return nil, fmt.Errorf("envelope: RSA key size %d outside [%d, %d]", bits, MinRSABits, MaxRSABits)
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, err
	}
	return NewRSAIdentity(k)
}

// NewRSAIdentity returns an identity for priv.
func NewRSAIdentity(priv *rsa.PrivateKey) (*RSAIdentity, error) {
	if priv == nil {
		return nil, errors.New("envelope: nil RSA private key")
	}
	rec, err := NewRSARecipient(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &RSAIdentity{priv: priv, rec: rec}, nil
}

// ParseRSAIdentity parses a PKCS#8 private key, DER or PEM ("PRIVATE KEY"),
// as WebCrypto exports it with exportKey("pkcs8").
func ParseRSAIdentity(pkcs8 []byte) (*RSAIdentity, error) {
	der, err := derOrPEM(pkcs8, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("envelope: malformed PKCS#8 private key")
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("envelope: PKCS#8 holds a %T, not an RSA key", k)
	}
	return NewRSAIdentity(priv)
}

// MarshalPKCS8 returns the private key as PKCS#8 DER. Handle with care.
func (i *RSAIdentity) MarshalPKCS8() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(i.priv) }

// Recipient returns the matching recipient.
func (i *RSAIdentity) Recipient() *RSARecipient { return i.rec }

// borrowsStanzas marks Unwrap as reading its stanzas only.
func (i *RSAIdentity) borrowsStanzas() {}

// Unwrap implements Identity.
func (i *RSAIdentity) Unwrap(stanzas []*Stanza) ([]byte, error) {
	ours := keyHint(i.rec.spki)
	for _, s := range stanzas {
		if s.Type != rsaType || !hintMatches(s, ours) || len(s.Body) != i.priv.Size() {
			continue
		}
		fk, err := rsa.DecryptOAEP(sha256.New(), nil, i.priv, s.Body, []byte(labelRSA))
		if err != nil || len(fk) != KeySize {
			continue
		}
		return fk, nil
	}
	return nil, incorrect(rsaType)
}
