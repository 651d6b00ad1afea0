package share

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Domain-separation labels of item manifests (SPEC.md §11). Each is
// followed by a zero byte and the manifest body, so a manifest signature is
// never an audit event's, a key bundle's or a key change's.
const (
	// LabelManifest starts what the owner's identity key signs.
	LabelManifest = "sealkit/share manifest v1"
	// LabelManifestHash starts what ManifestHash hashes for the chain.
	LabelManifestHash = "sealkit/share manifest hash v1"
)

// manifestFormat is the first byte of every encoded manifest.
const manifestFormat = 1

// Manifest limits.
const (
	// MaxManifestRecipients caps a manifest's recipients: an item version
	// has at most that many wrapped keys besides its owner's.
	MaxManifestRecipients = maxKeysPerItem
	// MaxManifestBytes caps the encoding ParseManifest reads, so that a
	// manifest fits, base64, in a share request beside its wrapped key:
	// about 1,000 recipients of 20-character IDs.
	MaxManifestBytes = 32 << 10
)

// ManifestRecipient is one holder of an item version's DEK other than its
// owner: a registered user (Space "", BundleVersion the version of the key
// bundle whose key the DEK was wrapped to, 0 for a user without a bundle)
// or the recipient of a space share (Space the space, BundleVersion 0).
type ManifestRecipient struct {
	User          string
	BundleVersion uint64
	Space         string
}

// Manifest is what an item's owner signs about one item version, so that a
// recipient can tell the owner's item from one the server made up: which
// header and payload the version has and who holds its DEK. Seq counts the
// item's manifests (a share or revoke signs a new one at the same version);
// Previous chains each to the one before, so the owner's history of
// recipients cannot be rewritten without the signature failing.
//
// Get one from [SignManifest] or [ParseManifest]; the encoding is in
// SPEC.md §11.
type Manifest struct {
	Item    string
	Owner   string
	Version uint64 // the item version it describes
	Seq     uint64 // 1 for the item's first manifest, one more for each next
	// HeaderHash is SHA-256 of [Item].Header, PayloadHash SHA-256 of the
	// payload ciphertext ([Item].SHA256) and Size its length.
	HeaderHash  []byte
	PayloadHash []byte
	Size        int64
	// Previous is the ManifestHash of the manifest Seq-1; empty for Seq 1.
	Previous []byte
	// Recipients are sorted by User, each user at most once; the owner is
	// not among them.
	Recipients []ManifestRecipient
	// Signature is the owner's Ed25519 signature over LabelManifest, a zero
	// byte and the body.
	Signature []byte
}

// errManifest wraps ErrBadManifest, and ErrCorrupt so that callers that
// treat every refused record alike keep doing so.
func errManifest(detail string) error {
	return fmt.Errorf("%w: %w: %s", ErrCorrupt, ErrBadManifest, detail)
}

// SignManifest fills in m's Signature with the owner's key after sorting
// Recipients, and checks every field as ParseManifest would.
func SignManifest(key ed25519.PrivateKey, m Manifest) (*Manifest, error) {
	m.Recipients = slices.Clone(m.Recipients)
	slices.SortFunc(m.Recipients, func(a, b ManifestRecipient) int { return strings.Compare(a.User, b.User) })
	m.HeaderHash = bytes.Clone(m.HeaderHash)
	m.PayloadHash = bytes.Clone(m.PayloadHash)
	m.Previous = bytes.Clone(m.Previous)
	m.Signature = nil
	if err := m.check(); err != nil {
		return nil, err
	}
	m.Signature = ed25519.Sign(key, signedManifestBytes(m.body()))
	return &m, nil
}

func (m *Manifest) check() error {
	switch {
	case !ValidID(m.Item) || !ValidID(m.Owner):
		return errManifest("item or owner ID")
	case m.Version == 0 || m.Seq == 0:
		return errManifest("version or sequence 0")
	case len(m.HeaderHash) != HashSize || len(m.PayloadHash) != HashSize:
		return errManifest("header or payload hash is not 32 bytes")
	case m.Size < 0:
		return errManifest("negative size")
	case m.Seq == 1 && len(m.Previous) != 0:
		return errManifest("first manifest names a previous one")
	case m.Seq > 1 && len(m.Previous) != HashSize:
		return errManifest("previous manifest hash missing or not 32 bytes")
	case len(m.Recipients) > MaxManifestRecipients:
		return errManifest("too many recipients")
	}
	for i, r := range m.Recipients {
		switch {
		case !ValidID(r.User) || r.User == m.Owner:
			return errManifest("recipient ID, or the owner as a recipient")
		case r.Space != "" && (!ValidID(r.Space) || r.BundleVersion != 0):
			return errManifest("space recipient")
		case i > 0 && m.Recipients[i-1].User >= r.User:
			return errManifest("recipients not sorted, or repeated")
		}
	}
	return nil
}

// body is the canonical encoding without the signature; m passed check.
func (m *Manifest) body() []byte {
	out := make([]byte, 0, 256+len(m.Recipients)*48)
	out = append(out, manifestFormat)
	out = appendStr8(out, m.Item)
	out = appendStr8(out, m.Owner)
	out = binary.BigEndian.AppendUint64(out, m.Version)
	out = binary.BigEndian.AppendUint64(out, m.Seq)
	out = append(out, m.HeaderHash...)
	out = append(out, m.PayloadHash...)
	out = binary.BigEndian.AppendUint64(out, uint64(m.Size))
	out = appendStr8(out, string(m.Previous))
	out = binary.BigEndian.AppendUint16(out, uint16(len(m.Recipients)))
	for _, r := range m.Recipients {
		out = appendStr8(out, r.User)
		out = binary.BigEndian.AppendUint64(out, r.BundleVersion)
		out = appendStr8(out, r.Space)
	}
	return out
}

func appendStr8(out []byte, s string) []byte { return append(append(out, byte(len(s))), s...) }

func signedManifestBytes(body []byte) []byte {
	out := make([]byte, 0, len(LabelManifest)+1+len(body))
	out = append(out, LabelManifest...)
	out = append(out, 0)
	return append(out, body...)
}

// Bytes returns the manifest's encoding: the body, then the 64-byte
// signature.
func (m *Manifest) Bytes() []byte { return append(m.body(), m.Signature...) }

// Hash returns the ManifestHash: SHA-256 over LabelManifestHash, a zero
// byte and the body, which the next manifest names as Previous.
func (m *Manifest) Hash() []byte {
	h := sha256.New()
	h.Write([]byte(LabelManifestHash))
	h.Write([]byte{0})
	h.Write(m.body())
	return h.Sum(nil)
}

// Recipient returns the entry of user, if m lists it.
func (m *Manifest) Recipient(user string) (ManifestRecipient, bool) {
	i, ok := slices.BinarySearchFunc(m.Recipients, user, func(r ManifestRecipient, u string) int { return strings.Compare(r.User, u) })
	if !ok {
		return ManifestRecipient{}, false
	}
	return m.Recipients[i], true
}

// ParseManifest decodes an encoded manifest strictly: the size cap, every
// field with its limit, no trailing bytes, canonical re-encoding. It
// verifies no signature: call [Manifest.Verify]. Errors wrap
// ErrBadManifest (and ErrCorrupt).
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, errManifest("over the size cap")
	}
	r := manifestReader{b: b}
	m := &Manifest{}
	var prev string
	f, ok := r.u8()
	ok = ok && f == manifestFormat
	ok = ok && r.str8(&m.Item) && r.str8(&m.Owner) && r.u64(&m.Version) && r.u64(&m.Seq)
	ok = ok && r.bytes(HashSize, &m.HeaderHash) && r.bytes(HashSize, &m.PayloadHash)
	var size, n uint64
	ok = ok && r.u64(&size) && r.str8(&prev) && r.u16(&n)
	if !ok || n > MaxManifestRecipients || size > 1<<62 {
		return nil, errManifest("unknown format, truncated, or a count over its cap")
	}
	m.Size = int64(size)
	if prev != "" {
		m.Previous = []byte(prev)
	}
	for range n {
		var e ManifestRecipient
		if !r.str8(&e.User) || !r.u64(&e.BundleVersion) || !r.str8(&e.Space) {
			return nil, errManifest("truncated recipient")
		}
		m.Recipients = append(m.Recipients, e)
	}
	if !r.bytes(ed25519.SignatureSize, &m.Signature) || len(r.b) != 0 {
		return nil, errManifest("signature missing, or trailing bytes")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(m.Bytes(), b) {
		return nil, errManifest("not the canonical encoding")
	}
	return m, nil
}

// Verify checks m's signature under the owner's identity key.
func (m *Manifest) Verify(owner ed25519.PublicKey) error {
	if err := m.check(); err != nil {
		return err
	}
	if len(owner) != ed25519.PublicKeySize || len(m.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(owner, signedManifestBytes(m.body()), m.Signature) {
		return errManifest("signature does not verify under the owner's identity key")
	}
	return nil
}

// Describes reports whether m is about exactly the item record it: its ID,
// owner and version, the SHA-256 of its header, and the payload hash and
// size the server recorded.
func (m *Manifest) Describes(it *Item) error {
	switch {
	case m.Item != it.ID || m.Owner != it.Owner || m.Version != it.Version:
		return errManifest("manifest names another item, owner or version")
	case subtle.ConstantTimeCompare(m.HeaderHash, sha256Sum(it.Header)) != 1:
		return errManifest("header is not the one the owner signed")
	case subtle.ConstantTimeCompare(m.PayloadHash, it.SHA256) != 1 || m.Size != it.Size:
		return errManifest("payload is not the one the owner signed")
	}
	return nil
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

type manifestReader struct{ b []byte }

func (r *manifestReader) take(n int) ([]byte, bool) {
	if n > len(r.b) {
		return nil, false
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, true
}

func (r *manifestReader) u8() (byte, bool) {
	v, ok := r.take(1)
	if !ok {
		return 0, false
	}
	return v[0], true
}

func (r *manifestReader) u16(dst *uint64) bool {
	v, ok := r.take(2)
	if ok {
		*dst = uint64(binary.BigEndian.Uint16(v))
	}
	return ok
}

func (r *manifestReader) u64(dst *uint64) bool {
	v, ok := r.take(8)
	if ok {
		*dst = binary.BigEndian.Uint64(v)
	}
	return ok
}

func (r *manifestReader) bytes(n int, dst *[]byte) bool {
	v, ok := r.take(n)
	if ok {
		*dst = bytes.Clone(v)
	}
	return ok
}

func (r *manifestReader) str8(dst *string) bool {
	n, ok := r.u8()
	if !ok {
		return false
	}
	v, ok := r.take(int(n))
	*dst = string(v)
	return ok
}
