package envelope

import (
	"errors"
	"fmt"
)

// External AEAD recipient: the file key is encrypted by any AEAD with
// Tink's method set, typically a KMS or HSM client (Tink's GCP, AWS and
// Vault KMS AEADs plug in unchanged). The AEAD's associated data is
// labelAEAD || keyID, so a wrapped key cannot be passed off as another
// key ID's.
const (
	aeadType  = "aead"
	labelAEAD = "sealkit/envelope/v1/aead"
)

// AEAD is the method set of Tink's tink.AEAD.
type AEAD interface {
	// Encrypt seals plaintext bound to associatedData.
	Encrypt(plaintext, associatedData []byte) ([]byte, error)
	// Decrypt opens what Encrypt sealed with the same associatedData,
	// and fails on anything else.
	Decrypt(ciphertext, associatedData []byte) ([]byte, error)
}

// AEADKey adapts an external AEAD into a Recipient and an Identity.
type AEADKey struct {
	id   []byte
	aead AEAD
}

var (
	_ ClassifiedRecipient = (*AEADKey)(nil)
	_ Identity            = (*AEADKey)(nil)
)

// NewAEADKey wraps file keys with aead. keyID (at most 255 bytes, may be
// empty) names the key in the clear, for example a KMS key URI, so that
// the right one can be picked among several.
func NewAEADKey(keyID string, aead AEAD) (*AEADKey, error) {
	if aead == nil {
		return nil, errors.New("envelope: nil AEAD")
	}
	if len(keyID) > maxHintLen {
		return nil, errors.New("envelope: AEAD key ID longer than 255 bytes")
	}
	return &AEADKey{id: []byte(keyID), aead: aead}, nil
}

// Class reports Symmetric.
func (a *AEADKey) Class() Class { return Symmetric }

func (a *AEADKey) ad() []byte { return append([]byte(labelAEAD), a.id...) }

// Wrap implements Recipient.
func (a *AEADKey) Wrap(fileKey []byte) ([]*Stanza, error) {
	ct, err := a.aead.Encrypt(fileKey, a.ad())
	if err != nil {
		return nil, err
	}
	if len(ct) > maxBodyLen {
		return nil, errors.New("envelope: AEAD output too large for a stanza")
	}
	return []*Stanza{{Type: aeadType, Hint: append([]byte(nil), a.id...), Body: ct}}, nil
}

// Unwrap implements Identity.
func (a *AEADKey) Unwrap(stanzas []*Stanza) ([]byte, error) {
	var last error
	for _, s := range stanzas {
		if s.Type != aeadType || string(s.Hint) != string(a.id) {
			continue
		}
		fk, err := a.aead.Decrypt(s.Body, a.ad())
		if err != nil || len(fk) != KeySize {
			// Keep what a KMS said (an outage is not a wrong key), but
			// still let the next identity try.
			last = err
			continue
		}
		return fk, nil
	}
	if last != nil {
		return nil, fmt.Errorf("%w (%s): %w", ErrIncorrectIdentity, aeadType, last)
	}
	return nil, incorrect(aeadType)
}
