package share

import (
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"

	"github.com/sealkit/sealkit/share/internal/linkfloor"
)

// Labels (HKDF info strings and associated-data prefixes), one per purpose.
const (
	// LabelItemAD prefixes the associated data every item is sealed with.
	LabelItemAD = "sealkit/share item v1"
	// LabelLinkKEK derives a link's share KEK from the stretched secret.
	LabelLinkKEK = "sealkit/share link kek v1"
	// LabelLinkVerifier derives a link's verifier from the stretched secret.
	LabelLinkVerifier = "sealkit/share link verifier v1"
	// LabelInvitationToken prefixes what an invitation token hash covers.
	LabelInvitationToken = "sealkit/share invitation token v1"
)

// Link KDF work. Links are opened by browsers, so the KDF is
// PBKDF2-HMAC-SHA256 (WebCrypto deriveBits).
const (
	// LinkIterations is what CreateLink uses: OWASP 2023 for PBKDF2-SHA256.
	LinkIterations = 600_000
	// maxLinkIterations caps what a link record may ask an opener to spend.
	maxLinkIterations = 10_000_000
	// LinkSecretBytes is the entropy of a generated link secret: 128 bits
	// (the floor is 96).
	LinkSecretBytes = 16
	// linkKeySize is the PBKDF2 output and HKDF output size.
	linkKeySize = 32
)

// minLinkIterations is the floor clients apply when creating or opening a
// link and the Service applies when storing one: LinkIterations, unless a
// test lowered it with sharetest.LowerLinkIterations (the only code that
// can, and it refuses outside a test binary).
var minLinkIterations = &linkfloor.Iterations

func init() { minLinkIterations.Store(LinkIterations) }

// linkKeys stretches a link secret into the share KEK and the verifier:
//
//	s        = PBKDF2-HMAC-SHA256(secret, salt, iterations, 32)
//	kek      = HKDF-SHA256(s, salt, LabelLinkKEK, 32)
//	verifier = HKDF-SHA256(s, salt, LabelLinkVerifier, 32)
//
// The server stores SHA-256(verifier) and is shown verifier on access; it
// can neither unwrap with the verifier nor derive the KEK from it.
func linkKeys(secret string, salt []byte, iterations int) (kek, verifier []byte, err error) {
	s, err := pbkdf2.Key(sha256.New, secret, salt, iterations, linkKeySize)
	if err != nil {
		return nil, nil, err
	}
	defer clear(s)
	if kek, err = hkdf.Key(sha256.New, s, salt, LabelLinkKEK, linkKeySize); err != nil {
		return nil, nil, err
	}
	if verifier, err = hkdf.Key(sha256.New, s, salt, LabelLinkVerifier, linkKeySize); err != nil {
		return nil, nil, err
	}
	return kek, verifier, nil
}

// hashProof is what the server stores and compares for a link verifier.
func hashProof(verifier []byte) []byte {
	h := sha256.Sum256(verifier)
	return h[:]
}

// HashInvitationToken returns what the server stores for an invitation
// token: SHA-256(LabelInvitationToken || lp(invitation ID) || token).
func HashInvitationToken(id, token string) []byte {
	b := []byte(LabelInvitationToken)
	b = binary.BigEndian.AppendUint32(b, uint32(len(id)))
	b = append(b, id...)
	h := sha256.Sum256(append(b, token...))
	return h[:]
}

// ItemAD returns the associated data an item version is sealed with:
//
//	LabelItemAD || lp(item ID) || lp(owner) || u64(version)
//
// so a server that swaps ciphertexts or headers between records, moves a
// wrapped key to another item, or serves an older version under a newer
// record is caught when the item is opened.
func ItemAD(id, owner string, version uint64) []byte {
	b := []byte(LabelItemAD)
	b = appendLP(b, []byte(id))
	b = appendLP(b, []byte(owner))
	return binary.BigEndian.AppendUint64(b, version)
}

// NewID returns a random 128-bit record ID (26 base32 characters).
func NewID() string { return rand.Text() }
