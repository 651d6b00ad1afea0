package envelope

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
)

// X25519 recipient: HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM (RFC 9180 suite 0x0020/0x0001/0x0002).
const (
	x25519Type  = "x25519"
	labelX25519 = "sealkit/envelope/v1/x25519"
	x25519Enc   = 32
)

// X25519Recipient wraps file keys to an X25519 public key.
type X25519Recipient struct {
	pub hpke.PublicKey
	raw []byte
}

var _ ClassifiedRecipient = (*X25519Recipient)(nil)

// ParseX25519Recipient parses a raw 32-byte X25519 public key (WebCrypto
// exportKey("raw")) or an SPKI one, DER or PEM.
func ParseX25519Recipient(b []byte) (*X25519Recipient, error) {
	if len(b) == 32 {
		pk, err := ecdh.X25519().NewPublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("envelope: invalid X25519 public key: %w", err)
		}
		return newX25519Recipient(pk)
	}
	der, err := derOrPEM(b, pemPublicKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("envelope: parsing X25519 public key: %w", err)
	}
	pk, ok := k.(*ecdh.PublicKey)
	if !ok || pk.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("envelope: SPKI holds a %T, not an X25519 key", k)
	}
	return newX25519Recipient(pk)
}

func newX25519Recipient(pk *ecdh.PublicKey) (*X25519Recipient, error) {
	pub, err := hpke.NewDHKEMPublicKey(pk)
	if err != nil {
		return nil, err
	}
	return &X25519Recipient{pub: pub, raw: pk.Bytes()}, nil
}

// Bytes returns the raw 32-byte public key.
func (r *X25519Recipient) Bytes() []byte { return append([]byte(nil), r.raw...) }

// MarshalPKIX returns the public key as SPKI DER.
func (r *X25519Recipient) MarshalPKIX() []byte {
	pk, _ := ecdh.X25519().NewPublicKey(r.raw)
	der, err := x509.MarshalPKIXPublicKey(pk)
	if err != nil {
		panic("envelope: marshalling an X25519 key: " + err.Error())
	}
	return der
}

// PEM returns the public key as a "PUBLIC KEY" PEM block.
func (r *X25519Recipient) PEM() []byte { return encodePEM(r.MarshalPKIX(), pemPublicKey) }

// Class reports Classical.
func (r *X25519Recipient) Class() Class { return Classical }

// Wrap implements Recipient.
func (r *X25519Recipient) Wrap(fileKey []byte) ([]*Stanza, error) {
	return hpkeWrap(r.pub, x25519Type, labelX25519, keyHint(r.raw), fileKey)
}

// X25519Identity unwraps file keys wrapped to its X25519 key.
type X25519Identity struct {
	priv hpke.PrivateKey
	key  *ecdh.PrivateKey
	rec  *X25519Recipient
}

var _ Identity = (*X25519Identity)(nil)

// GenerateX25519Identity returns a new X25519 key.
func GenerateX25519Identity() (*X25519Identity, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newX25519Identity(k)
}

// ParseX25519Identity parses a raw 32-byte X25519 private key or a PKCS#8
// one, DER or PEM.
func ParseX25519Identity(b []byte) (*X25519Identity, error) {
	if len(b) == 32 {
		k, err := ecdh.X25519().NewPrivateKey(b)
		if err != nil {
			return nil, errors.New("envelope: invalid X25519 private key")
		}
		return newX25519Identity(k)
	}
	der, err := derOrPEM(b, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("envelope: malformed PKCS#8 private key")
	}
	priv, ok := k.(*ecdh.PrivateKey)
	if !ok || priv.Curve() != ecdh.X25519() {
		return nil, fmt.Errorf("envelope: PKCS#8 holds a %T, not an X25519 key", k)
	}
	return newX25519Identity(priv)
}

func newX25519Identity(k *ecdh.PrivateKey) (*X25519Identity, error) {
	priv, err := hpke.NewDHKEMPrivateKey(k)
	if err != nil {
		return nil, err
	}
	rec, err := newX25519Recipient(k.PublicKey())
	if err != nil {
		return nil, err
	}
	return &X25519Identity{priv: priv, key: k, rec: rec}, nil
}

// Bytes returns the raw 32-byte private key. Handle with care.
func (i *X25519Identity) Bytes() []byte { return i.key.Bytes() }

// MarshalPKCS8 returns the private key as PKCS#8 DER. Handle with care.
func (i *X25519Identity) MarshalPKCS8() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(i.key) }

// Recipient returns the matching recipient.
func (i *X25519Identity) Recipient() *X25519Recipient { return i.rec }

// borrowsStanzas marks Unwrap as reading its stanzas only.
func (i *X25519Identity) borrowsStanzas() {}

// Unwrap implements Identity.
func (i *X25519Identity) Unwrap(stanzas []*Stanza) ([]byte, error) {
	return hpkeUnwrap(i.priv, x25519Type, labelX25519, keyHint(i.rec.raw), x25519Enc, stanzas)
}
