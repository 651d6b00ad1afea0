package envelope

import (
	"crypto/hpke"
	"errors"
	"fmt"
)

// Post-quantum hybrid recipient: HPKE base mode with the MLKEM768-X25519
// KEM of draft-ietf-hpke-pq (X-Wing, KEM ID 0x647a), HKDF-SHA256 and
// AES-256-GCM. Secure if either ML-KEM-768 or X25519 holds.
const (
	hybridType  = "mlkem768x25519"
	labelHybrid = "sealkit/envelope/v1/mlkem768x25519"
	hybridEnc   = 1120

	// HybridPublicKeySize and HybridSeedSize are the sizes of an encoded
	// MLKEM768-X25519 public key and of the seed that is its private key.
	HybridPublicKeySize = 1216
	HybridSeedSize      = 32
)

// HybridRecipient wraps file keys to an MLKEM768-X25519 public key.
type HybridRecipient struct {
	pub hpke.PublicKey
}

var _ ClassifiedRecipient = (*HybridRecipient)(nil)

// ParseHybridRecipient parses a 1,216-byte MLKEM768-X25519 public key
// (ML-KEM-768 encapsulation key || X25519 public key).
func ParseHybridRecipient(b []byte) (*HybridRecipient, error) {
	if len(b) != HybridPublicKeySize {
		return nil, fmt.Errorf("envelope: MLKEM768-X25519 public key is %d bytes, not %d", len(b), HybridPublicKeySize)
	}
	pub, err := hpke.MLKEM768X25519().NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: invalid MLKEM768-X25519 public key: %w", err)
	}
	return &HybridRecipient{pub: pub}, nil
}

// Bytes returns the encoded public key.
func (r *HybridRecipient) Bytes() []byte { return r.pub.Bytes() }

// Class reports PostQuantum.
func (r *HybridRecipient) Class() Class { return PostQuantum }

// Wrap implements Recipient.
func (r *HybridRecipient) Wrap(fileKey []byte) ([]*Stanza, error) {
	return hpkeWrap(r.pub, hybridType, labelHybrid, keyHint(r.pub.Bytes()), fileKey)
}

// HybridIdentity unwraps file keys wrapped to its MLKEM768-X25519 key.
type HybridIdentity struct {
	priv hpke.PrivateKey
	rec  *HybridRecipient
}

var _ Identity = (*HybridIdentity)(nil)

// GenerateHybridIdentity returns a new MLKEM768-X25519 key.
func GenerateHybridIdentity() (*HybridIdentity, error) {
	k, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		return nil, err
	}
	return newHybridIdentity(k), nil
}

// ParseHybridIdentity returns the identity whose private key is the
// 32-byte seed (the draft's serialisation of an MLKEM768-X25519 private key).
func ParseHybridIdentity(seed []byte) (*HybridIdentity, error) {
	if len(seed) != HybridSeedSize {
		return nil, errors.New("envelope: MLKEM768-X25519 private key is a 32-byte seed")
	}
	k, err := hpke.MLKEM768X25519().NewPrivateKey(seed)
	if err != nil {
		return nil, errors.New("envelope: invalid MLKEM768-X25519 private key")
	}
	return newHybridIdentity(k), nil
}

func newHybridIdentity(k hpke.PrivateKey) *HybridIdentity {
	return &HybridIdentity{priv: k, rec: &HybridRecipient{pub: k.PublicKey()}}
}

// Bytes returns the 32-byte private seed. Handle with care.
func (i *HybridIdentity) Bytes() []byte {
	b, err := i.priv.Bytes()
	if err != nil {
		panic("envelope: serialising an MLKEM768-X25519 key: " + err.Error())
	}
	return b
}

// Recipient returns the matching recipient.
func (i *HybridIdentity) Recipient() *HybridRecipient { return i.rec }

// borrowsStanzas marks Unwrap as reading its stanzas only.
func (i *HybridIdentity) borrowsStanzas() {}

// Unwrap implements Identity.
func (i *HybridIdentity) Unwrap(stanzas []*Stanza) ([]byte, error) {
	return hpkeUnwrap(i.priv, hybridType, labelHybrid, keyHint(i.rec.pub.Bytes()), hybridEnc, stanzas)
}
