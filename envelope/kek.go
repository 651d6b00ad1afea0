package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"

	"github.com/sealkit/sealkit/internal/aeskw"
)

// KEK recipient: a symmetric 256-bit key-encryption key, such as a user's
// master KEK from the keystore. The file key is wrapped with AES key wrap
// (RFC 3394) under HKDF-SHA256(kek, salt = "", info = labelKEK), so the KEK
// itself is never used directly and may serve other purposes too.
const (
	kekType  = "kek"
	labelKEK = "sealkit/envelope/v1/kek"
	// wrappedKeySize is AES-KW's output for a 32-byte key.
	wrappedKeySize = KeySize + 8
)

// KEK is a symmetric key that is both a Recipient and an Identity.
type KEK struct {
	id    []byte
	block cipher.Block // AES-256 under the derived wrapping key, not the KEK itself
}

var (
	_ ClassifiedRecipient = (*KEK)(nil)
	_ Identity            = (*KEK)(nil)
)

// NewKEK returns a KEK recipient and identity for a 32-byte key. The id (at
// most 255 bytes, may be empty) is stored in the clear as the stanza hint so
// that the right KEK can be picked among several; it must not be secret.
func NewKEK(id string, kek []byte) (*KEK, error) {
	if len(kek) != 32 {
		return nil, errors.New("envelope: a KEK is 32 bytes")
	}
	if len(id) > maxHintLen {
		return nil, errors.New("envelope: KEK id longer than 255 bytes")
	}
	wk, err := hkdf.Key(sha256.New, kek, nil, labelKEK, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(wk)
	clear(wk)
	if err != nil {
		return nil, err
	}
	return &KEK{id: []byte(id), block: block}, nil
}

// String does not reveal the key.
func (k *KEK) String() string { return "envelope.KEK(" + string(k.id) + ")" }

// Class reports Symmetric.
func (k *KEK) Class() Class { return Symmetric }

// Wrap implements Recipient.
func (k *KEK) Wrap(fileKey []byte) ([]*Stanza, error) {
	return k.wrapInto(new(kekStanza), fileKey)
}

// kekStanza is the stanza of a KEK, the slice holding it, its body (with
// AES-KW's scratch block, zeroed after use) and room for a short hint (a
// longer one gets its own allocation): one allocation for Wrap, none for a
// pooled sealer that holds one.
type kekStanza struct {
	s    Stanza
	ss   [1]*Stanza
	body [wrappedKeySize + aes.BlockSize]byte
	hint [32]byte
}

// wrapInto is Wrap into one.
func (k *KEK) wrapInto(one *kekStanza, fileKey []byte) ([]*Stanza, error) {
	body, err := aeskw.AppendWrapBlock(one.body[:0], k.block, fileKey)
	if err != nil {
		return nil, err
	}
	hint := append(one.hint[:0], k.id...)
	one.s = Stanza{Type: kekType, Hint: hint[:len(hint):len(hint)], Body: body[:len(body):len(body)]}
	one.ss[0] = &one.s
	return one.ss[:], nil
}

// borrowsStanzas marks Unwrap as reading its stanzas only.
func (k *KEK) borrowsStanzas() {}

// Unwrap implements Identity. Stanzas are matched by id, then by AES-KW's
// integrity check.
func (k *KEK) Unwrap(stanzas []*Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != kekType || string(s.Hint) != string(k.id) || len(s.Body) != wrappedKeySize {
			continue
		}
		if fk, err := aeskw.UnwrapBlock(k.block, s.Body); err == nil {
			return fk, nil
		}
	}
	return nil, incorrect(kekType)
}
