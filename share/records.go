package share

import (
	"fmt"
	"slices"
	"time"
)

// Key kinds a user may publish. Bytes are what WebCrypto exports: SPKI DER
// for RSA-OAEP, raw 32 bytes for X25519, the raw 1,216-byte encapsulation key
// for MLKEM768-X25519.
const (
	KindRSA    = "rsa-oaep-256"
	KindX25519 = "x25519"
	KindHybrid = "mlkem768x25519"
)

// Share modes.
const (
	// ModeDirect: the item's DEK wrapped to a registered user's public key.
	ModeDirect = "direct"
	// ModeReencrypt: the item was re-sealed as a new item whose DEK
	// is the encryption space's share key.
	ModeReencrypt = "reencrypt"
	// ModeWrap (vault): the item's own DEK wrapped under the space's share key.
	ModeWrap = "wrap"
)

// PublicKey is a published public key. In JSON, as for every []byte field
// of the records below, Bytes is standard padded base64.
type PublicKey struct {
	Kind  string `json:"kind"`  // one of the Kind… constants
	Bytes []byte `json:"bytes"` // the key as that kind exports it, 1 to MaxKeyBytes bytes
}

// User is a directory entry: the user's published encryption keys and the
// Ed25519 public key its audit events are signed with.
type User struct {
	ID         string      `json:"id"`          // the authenticated user who publishes it
	Keys       []PublicKey `json:"keys"`        // 1 to MaxKeys encryption keys
	SigningKey []byte      `json:"signing_key"` // 32-byte Ed25519 public key
	// Bundle is the user's key bundle (identity.KeyBundle encoding, SPEC.md
	// §11): Keys and SigningKey signed by the identity key SigningKey is.
	// Records of earlier releases have none.
	Bundle []byte `json:"bundle,omitempty"`
	// LogIndex is the index of Bundle's entry in the server's key
	// transparency log ([Service.KeyLog]); set by the Service, nil without
	// a log.
	LogIndex *uint64   `json:"log_index,omitempty"`
	Created  time.Time `json:"created,omitzero"` // set by the Service when it stores the record
}

// Item is an encrypted object. Header is the envelope header (recipient
// stanzas may be absent: keys live in the wrapped-key registry) and carries
// the encrypted metadata; the payload is in the BlobStore under BlobRef.
// SHA256, Size and BlobRef are set by the server as it stores the payload
// (BlobRef is a fresh random name per upload; a client's value is ignored).
type Item struct {
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`              // the user who uploaded it
	Version uint64    `json:"version"`            // 1 for a new item, one more on each update
	Header  []byte    `json:"header"`             // envelope header, 1 byte to 1 MiB
	SHA256  []byte    `json:"sha256,omitempty"`   // SHA-256 of the stored payload; set by the Service
	Size    int64     `json:"size"`               // payload length in bytes; set by the Service
	BlobRef string    `json:"blob_ref,omitempty"` // BlobStore key of the payload; set by the Service
	Created time.Time `json:"created,omitzero"`   // when this version was stored; set by the Service
	// Manifest is the owner's signed manifest of this version
	// ([Manifest.Bytes], SPEC.md §11), attached after the upload by
	// [Service.PutManifest]; an uploaded value is ignored.
	Manifest []byte `json:"manifest,omitempty"`
}

// WrappedKey is one entry of the wrapped-key registry: the DEK of one item
// version wrapped for one recipient (an envelope wrapped-key record). For a
// space share Space names the encryption space whose key opens Record (wrap
// mode) or is itself the DEK (re-encryption mode, Record empty).
type WrappedKey struct {
	Item      string    `json:"item"`
	Recipient string    `json:"recipient"`        // the user who can unwrap it
	Version   uint64    `json:"version"`          // the item version whose DEK it holds
	Record    []byte    `json:"record,omitempty"` // envelope wrapped-key record, at most MaxWrappedKey bytes
	Space     string    `json:"space,omitempty"`  // encryption space of a space share, else ""
	Created   time.Time `json:"created,omitzero"` // set by the Service when it stores the record
}

// Share says that Owner shared Item with Recipient. The key material is in
// the wrapped-key registry under (Item, Recipient).
type Share struct {
	ID         string    `json:"id"`
	Item       string    `json:"item"` // the shared item (for ModeReencrypt, the re-sealed copy)
	Owner      string    `json:"owner"`
	Recipient  string    `json:"recipient"`
	Mode       string    `json:"mode"`                  // one of the Mode… constants
	Space      string    `json:"space,omitempty"`       // the encryption space; "" for ModeDirect
	Connection string    `json:"connection,omitempty"`  // the space's connection; "" for ModeDirect
	SourceItem string    `json:"source_item,omitempty"` // for ModeReencrypt, the item that was copied; else ""
	Created    time.Time `json:"created,omitzero"`      // set by the Service when it stores the record
}

// Invitation to connect. Only a hash of the token is stored.
type Invitation struct {
	ID         string    `json:"id"`
	Inviter    string    `json:"inviter"`
	Invitee    string    `json:"invitee,omitempty"` // the only user who may accept it; "" for anyone holding the token
	InviterKey PublicKey `json:"inviter_key"`       // the inviter's public key for this connection
	TokenHash  []byte    `json:"token_hash"`        // [HashInvitationToken] of the ID and token, 32 bytes
	Expires    time.Time `json:"expires"`           // at most MaxInvitationTTL after creation
	Used       bool      `json:"used,omitempty"`    // set once it is accepted; the Service clears it on create
	Created    time.Time `json:"created,omitzero"`  // set by the Service when it stores the record
}

// Connection between two users, each with a per-connection public key. Its
// ID is the invitation's.
type Connection struct {
	ID         string    `json:"id"`
	Inviter    string    `json:"inviter"`
	Invitee    string    `json:"invitee"`          // the user who accepted the invitation
	InviterKey PublicKey `json:"inviter_key"`      // copied from the invitation
	InviteeKey PublicKey `json:"invitee_key"`      // the invitee's public key for this connection
	Created    time.Time `json:"created,omitzero"` // set by the Service when it stores the record
}

// Space is an encryption space: one share key wrapped for the sharer (under
// its KEK) and for the recipient (to its connection public key), and, once
// the recipient claimed it, rewrapped under the recipient's KEK.
type Space struct {
	ID           string    `json:"id"`
	Connection   string    `json:"connection"`
	Sharer       string    `json:"sharer"`
	Recipient    string    `json:"recipient"`
	SharerKey    []byte    `json:"sharer_key"`            // share key wrapped under the sharer's KEK
	RecipientKey []byte    `json:"recipient_key"`         // share key wrapped to the recipient's connection key
	ClaimedKey   []byte    `json:"claimed_key,omitempty"` // share key rewrapped under the recipient's KEK; set once by [SpaceStore.ClaimSpace]
	Created      time.Time `json:"created,omitzero"`      // set by the Service when it stores the record
}

// Link is a public password link. The server holds the salt, the DEK
// wrapped under the share KEK and SHA-256 of the verifier: nothing that
// opens the item without the link secret.
type Link struct {
	ID           string    `json:"id"`
	Item         string    `json:"item"`
	Owner        string    `json:"owner"`
	Version      uint64    `json:"version"`            // the item version it opens; must be the current one on create
	Salt         []byte    `json:"salt"`               // SaltSize random bytes for PBKDF2 and HKDF
	Iterations   int       `json:"iterations"`         // PBKDF2-HMAC-SHA256 iteration count
	WrappedKey   []byte    `json:"wrapped_key"`        // the DEK wrapped under the link KEK
	VerifierHash []byte    `json:"verifier_hash"`      // SHA-256 of the link verifier, 32 bytes
	Expires      time.Time `json:"expires"`            // at most MaxLinkTTL after creation
	MaxDownloads int       `json:"max_downloads"`      // 1 to MaxMaxDownloads
	Remaining    int       `json:"remaining"`          // downloads left; the Service sets it to MaxDownloads on create
	Failures     int       `json:"failures,omitempty"` // wrong proofs reserved so far; the Service sets it to 0 on create
	Created      time.Time `json:"created,omitzero"`   // set by the Service when it stores the record
}

// LinkParams is what anyone holding a link ID may learn: what is needed to
// stretch the secret.
type LinkParams struct {
	ID         string    `json:"id"`
	Salt       []byte    `json:"salt"`
	Iterations int       `json:"iterations"`
	Expires    time.Time `json:"expires"`
}

// LinkGrant is returned, with the payload, for a correct link proof.
type LinkGrant struct {
	Item       *Item  `json:"item"`
	WrappedKey []byte `json:"wrapped_key"` // [Link].WrappedKey
	Remaining  int    `json:"remaining"`   // downloads left after this one
}

// Limits on records. Decoders and the Service refuse anything beyond them.
const (
	MaxIDLen        = 64
	MaxRecordSize   = 2 << 20 // an item record holds a header of up to 1 MiB, base64
	MaxSmallRecord  = 64 << 10
	MaxKeys         = 8
	MaxKeyBytes     = 4096 // RSA-8192 SPKI is ~1,100 bytes; hybrid 1,216
	MaxWrappedKey   = 16 << 10
	MaxUserBundle   = 16 << 10 // a bundle of MaxKeys hybrid keys is about 10 KiB
	MaxMaxDownloads = 1_000_000
	SaltSize        = 16
	HashSize        = 32
)

// ValidID reports whether id is a well-formed record or user ID: 1 to 64
// characters from [A-Za-z0-9._@-], not starting with a dot. IDs name files in
// the filesystem blob store, so this is also what keeps them inside it.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == '-', c == '@':
		default:
			return false
		}
	}
	return true
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

func checkIDs(ids ...string) error {
	for _, id := range ids {
		if !ValidID(id) {
			return invalid("malformed ID")
		}
	}
	return nil
}

func checkHash(h []byte) error {
	if len(h) != HashSize {
		return invalid("hash is not 32 bytes")
	}
	return nil
}

// Validate checks a public key's kind and size (not its encoding; parsing
// does that when it is used).
func (k *PublicKey) Validate() error {
	switch k.Kind {
	case KindRSA, KindX25519, KindHybrid:
	default:
		return invalid("unknown key kind")
	}
	if len(k.Bytes) == 0 || len(k.Bytes) > MaxKeyBytes {
		return invalid("key size")
	}
	return nil
}

// Validate checks field formats and limits.
func (u *User) Validate() error {
	if err := checkIDs(u.ID); err != nil {
		return err
	}
	if len(u.Keys) == 0 || len(u.Keys) > MaxKeys {
		return invalid("a user publishes 1 to %d keys", MaxKeys)
	}
	for i := range u.Keys {
		if err := u.Keys[i].Validate(); err != nil {
			return err
		}
	}
	if len(u.SigningKey) != 32 {
		return invalid("signing key is not an Ed25519 public key")
	}
	if len(u.Bundle) > MaxUserBundle {
		return invalid("key bundle over %d bytes", MaxUserBundle)
	}
	return nil
}

// Validate checks field formats and limits.
func (it *Item) Validate() error {
	if err := checkIDs(it.ID, it.Owner); err != nil {
		return err
	}
	if len(it.Header) == 0 || len(it.Header) > 1<<20 {
		return invalid("header size")
	}
	if it.SHA256 != nil {
		if err := checkHash(it.SHA256); err != nil {
			return err
		}
	}
	if it.Size < 0 || it.Version == 0 {
		return invalid("size or version")
	}
	if it.BlobRef != "" && !ValidID(it.BlobRef) {
		return invalid("blob reference")
	}
	if len(it.Manifest) > MaxManifestBytes {
		return invalid("manifest size")
	}
	return nil
}

// Validate checks field formats and limits.
func (k *WrappedKey) Validate() error {
	if err := checkIDs(k.Item, k.Recipient); err != nil {
		return err
	}
	if len(k.Record) > MaxWrappedKey || k.Version == 0 {
		return invalid("wrapped key size or version")
	}
	if k.Space != "" && !ValidID(k.Space) {
		return invalid("space ID")
	}
	if k.Space == "" && len(k.Record) == 0 {
		return invalid("wrapped key without a record")
	}
	return nil
}

// Validate checks field formats and limits.
func (s *Share) Validate() error {
	if err := checkIDs(s.ID, s.Item, s.Owner, s.Recipient); err != nil {
		return err
	}
	switch s.Mode {
	case ModeDirect:
		if s.Space != "" || s.Connection != "" || s.SourceItem != "" {
			return invalid("direct share names a space")
		}
	case ModeWrap, ModeReencrypt:
		if err := checkIDs(s.Space, s.Connection); err != nil {
			return err
		}
		if s.Mode == ModeReencrypt {
			if err := checkIDs(s.SourceItem); err != nil {
				return err
			}
		} else if s.SourceItem != "" {
			return invalid("vault-mode share names a source item")
		}
	default:
		return invalid("unknown share mode")
	}
	return nil
}

// Validate checks field formats and limits.
func (in *Invitation) Validate() error {
	if err := checkIDs(in.ID, in.Inviter); err != nil {
		return err
	}
	if in.Invitee != "" && !ValidID(in.Invitee) {
		return invalid("invitee")
	}
	if err := in.InviterKey.Validate(); err != nil {
		return err
	}
	if in.Expires.IsZero() {
		return invalid("invitation without expiry")
	}
	return checkHash(in.TokenHash)
}

// Validate checks field formats and limits.
func (c *Connection) Validate() error {
	if err := checkIDs(c.ID, c.Inviter, c.Invitee); err != nil {
		return err
	}
	if err := c.InviterKey.Validate(); err != nil {
		return err
	}
	return c.InviteeKey.Validate()
}

// Validate checks field formats and limits.
func (s *Space) Validate() error {
	if err := checkIDs(s.ID, s.Connection, s.Sharer, s.Recipient); err != nil {
		return err
	}
	for _, k := range [][]byte{s.SharerKey, s.RecipientKey} {
		if len(k) == 0 || len(k) > MaxWrappedKey {
			return invalid("space key size")
		}
	}
	if len(s.ClaimedKey) > MaxWrappedKey {
		return invalid("claimed key size")
	}
	return nil
}

// Validate checks field formats and limits.
func (l *Link) Validate() error {
	if err := checkIDs(l.ID, l.Item, l.Owner); err != nil {
		return err
	}
	if len(l.Salt) != SaltSize {
		return invalid("salt is not %d bytes", SaltSize)
	}
	if l.Iterations < 1 || l.Iterations > maxLinkIterations {
		return invalid("iteration count out of range")
	}
	if len(l.WrappedKey) == 0 || len(l.WrappedKey) > MaxWrappedKey {
		return invalid("wrapped key size")
	}
	if err := checkHash(l.VerifierHash); err != nil {
		return err
	}
	if l.Expires.IsZero() || l.Version == 0 {
		return invalid("link without expiry or version")
	}
	if l.MaxDownloads < 1 || l.MaxDownloads > MaxMaxDownloads ||
		l.Remaining < 0 || l.Remaining > l.MaxDownloads || l.Failures < 0 {
		return invalid("download counts")
	}
	return nil
}

// Params returns the public part of l.
func (l *Link) Params() *LinkParams {
	return &LinkParams{ID: l.ID, Salt: slices.Clone(l.Salt), Iterations: l.Iterations, Expires: l.Expires}
}

// Validate checks field formats and limits.
func (p *LinkParams) Validate() error {
	if err := checkIDs(p.ID); err != nil {
		return err
	}
	if len(p.Salt) != SaltSize || p.Iterations < 1 || p.Iterations > maxLinkIterations {
		return invalid("link parameters")
	}
	return nil
}

// Validate checks field formats and limits.
func (g *LinkGrant) Validate() error {
	if g.Item == nil {
		return invalid("grant without item")
	}
	if err := g.Item.Validate(); err != nil {
		return err
	}
	if len(g.WrappedKey) == 0 || len(g.WrappedKey) > MaxWrappedKey || g.Remaining < 0 {
		return invalid("grant key or count")
	}
	return nil
}
