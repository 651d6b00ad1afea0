package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"time"
)

// Metadata describes the sealed object. It travels in the header, encrypted
// under its own key derived from the file key, so a server sees only its
// length. It is serialised as a JSON object (see SPEC.md).
type Metadata struct {
	Name        string            `json:"name,omitempty"`
	ContentType string            `json:"type,omitempty"`
	Size        int64             `json:"size,omitempty"`
	Created     time.Time         `json:"created,omitzero"`
	Modified    time.Time         `json:"modified,omitzero"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// metadataAEAD returns AES-256-GCM with random nonces under the metadata key.
func metadataAEAD(key *Key, salt []byte) cipher.AEAD {
	mk := key.derive(salt, labelMetadata)
	defer clear(mk)
	block, err := aes.NewCipher(mk)
	if err != nil {
		panic("envelope: " + err.Error())
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("envelope: " + err.Error())
	}
	return aead
}

// sealMetadata returns nonce || AES-256-GCM(metadata JSON), or nil for nil.
func sealMetadata(key *Key, salt []byte, m *Metadata) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	js, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return metadataAEAD(key, salt).Seal(nil, nil, js, nil), nil
}

// Metadata decrypts the header's metadata with key, which must have been
// checked with Verify or obtained from Unwrap. It returns nil, nil if the
// envelope carries none.
func (h *Header) Metadata(key *Key) (*Metadata, error) {
	if h.metadata == nil {
		return nil, nil
	}
	js, err := metadataAEAD(key, h.salt).Open(nil, nil, h.metadata, nil)
	if err != nil {
		return nil, corrupt("metadata authentication failed")
	}
	m := &Metadata{}
	if err := json.Unmarshal(js, m); err != nil {
		return nil, corrupt("metadata is not a JSON object")
	}
	return m, nil
}
