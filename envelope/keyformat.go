package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
)

// hintSize is the length of the public-key hints recipients put in stanzas.
const hintSize = 8

// keyHint is the first 8 bytes of SHA-256 over a public key's encoding
// (SPKI DER for RSA, the raw key for X25519 and ML-KEM hybrids).
func keyHint(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return h[:hintSize]
}

// hintMatches reports whether a stanza's hint allows it to be for us.
func hintMatches(s *Stanza, ours []byte) bool {
	return len(s.Hint) == 0 || bytes.Equal(s.Hint, ours)
}

// derOrPEM returns the DER bytes of b, which is either DER or a PEM block of
// type blockType. Any other PEM type, or trailing text, is an error.
func derOrPEM(b []byte, blockType string) ([]byte, error) {
	trimmed := bytes.TrimSpace(b)
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return b, nil
	}
	block, rest := pem.Decode(trimmed)
	if block == nil {
		return nil, errors.New("envelope: malformed PEM")
	}
	if block.Type != blockType {
		return nil, fmt.Errorf("envelope: PEM block is %q, want %q", block.Type, blockType)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("envelope: trailing data after PEM block")
	}
	return block.Bytes, nil
}

// encodePEM returns der as a PEM block of type blockType.
func encodePEM(der []byte, blockType string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
}

const (
	pemPublicKey  = "PUBLIC KEY"
	pemPrivateKey = "PRIVATE KEY"
)

// incorrect wraps ErrIncorrectIdentity with the stanza type an identity handles.
func incorrect(typ string) error {
	return fmt.Errorf("%w (%s)", ErrIncorrectIdentity, typ)
}
