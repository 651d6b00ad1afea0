package identity

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// Domain-separation labels of key bundles. Each starts the bytes it
// covers, followed by a zero byte, so a bundle signature can never be taken
// for a signed message, an HTTP signature or a key change statement.
const (
	// bundleLabel starts what the bundle's identity key signs.
	bundleLabel = "sealkit identity key-bundle v1"
	// keyChangeLabel starts what the previous identity key signs when a
	// bundle moves to a new identity key.
	keyChangeLabel = "sealkit identity key-change v1"
	// bundleHashLabel starts what BundleHash hashes for the chain.
	bundleHashLabel = "sealkit identity key-bundle hash v1"
)

// bundleFormat is the first byte of every encoded bundle.
const bundleFormat = 1

// Key bundle limits, checked while parsing and again before signing or
// verifying.
const (
	// MaxBundleBytes caps the encoding ParseBundle reads.
	MaxBundleBytes = 48 << 10
	// MaxBundleKeys caps the published keys in one bundle.
	MaxBundleKeys = 16
	// MaxPublishedKeyBytes caps one published key's bytes (an ML-KEM-768
	// + X25519 public key is 1216 bytes, an RSA-4096 SPKI about 550).
	MaxPublishedKeyBytes = 2048
	// MaxKeyTypeLength and MaxKeyPurposeLength cap a published key's type
	// and purpose; both are 1 or more of a-z, 0-9 and '-'.
	MaxKeyTypeLength    = 32
	MaxKeyPurposeLength = 64
	// MaxUserIDLength caps a bundle's user ID (UTF-8, no control characters).
	MaxUserIDLength = 255
)

// BundleHashSize is the size of BundleHash and of KeyBundle.Previous.
const BundleHashSize = sha256.Size

// Key bundle errors. Every error ParseBundle, SignBundle, SignKeyChange and
// VerifyBundle return wraps exactly one of them (test with errors.Is) in a
// *BundleError.
var (
	// ErrBundleMalformed: the bytes or fields are not a canonical bundle
	// within the limits.
	ErrBundleMalformed = errors.New("identity: malformed key bundle")
	// ErrBundleSignature: the identity key's signature, or the previous
	// identity key's key change signature, does not verify.
	ErrBundleSignature = errors.New("identity: key bundle signature does not verify")
	// ErrBundleUser: the bundle is some other user's.
	ErrBundleUser = errors.New("identity: key bundle is for another user")
	// ErrBundleRollback: the bundle is older than the pinned one, or a
	// different bundle at the pinned version.
	ErrBundleRollback = errors.New("identity: key bundle is not newer than the pinned one")
	// ErrBundleChain: the bundle does not name the pinned bundle as its
	// previous one, or versions were skipped (verify them in order with
	// VerifyBundleChain).
	ErrBundleChain = errors.New("identity: key bundle does not chain to the pinned one")
	// ErrIdentityChanged: the bundle's identity key is not the pinned one
	// and no key change signature by the pinned key vouches for it. Show
	// the user the new safety number; only their acceptance may re-pin.
	ErrIdentityChanged = errors.New("identity: identity key changed without a signature by the pinned key")
)

// BundleError is a refused bundle: Err is one of the ErrBundle… values or
// ErrIdentityChanged, Detail says which check failed (never key material).
type BundleError struct {
	Err    error
	Detail string
}

// Error returns the sentinel's message and the detail.
func (e *BundleError) Error() string { return e.Err.Error() + ": " + e.Detail }

// Unwrap returns Err, so errors.Is matches the ErrBundle… sentinel.
func (e *BundleError) Unwrap() error { return e.Err }

func bundleErr(err error, detail string) error { return &BundleError{Err: err, Detail: detail} }

// PublishedKey is one key a user publishes in a bundle. identity does not
// interpret Data: Type says what it is (for example "x25519",
// "mlkem768x25519", "rsa-oaep-256", "ed25519-request", "p256-request") and
// Purpose what it is for ("share", "connection", "requests", a device name).
type PublishedKey struct {
	Type    string // what Data is
	Purpose string // what the key is for
	Data    []byte // the key's bytes, as Type encodes it
}

// KeyBundle is a user's published keys, signed by the user's long-term
// identity key. Versions start at 1 and increase by one; each later bundle
// names the one before by its BundleHash, so a directory cannot drop,
// reorder or fork a user's history without the verifier noticing.
//
// Get one from ParseBundle, SignBundle or SignKeyChange; the encoding is
// in SPEC.md ("Key bundles"). Changing a field afterwards makes
// VerifyBundle refuse it.
type KeyBundle struct {
	UserID  string
	Version uint64
	// Created is the signer's clock, whole seconds. It is informational:
	// ordering comes from Version.
	Created     time.Time
	IdentityKey *PublicKey
	// Keys are sorted by (Type, Purpose), each pair at most once.
	Keys []PublishedKey
	// Previous is the BundleHash of version-1; empty for version 1.
	Previous []byte
	// PreviousIdentityKey is set only on a key change: the identity key of
	// the previous version, which signed KeyChangeSignature.
	PreviousIdentityKey *PublicKey
	// Signature is IdentityKey's signature over the bundle's signed bytes.
	Signature []byte
	// KeyChangeSignature is PreviousIdentityKey's signature on a key
	// change; empty otherwise.
	KeyChangeSignature []byte
}

// SignBundle returns b signed by key: IdentityKey becomes key's public key,
// PreviousIdentityKey is cleared and Keys are sorted. Created, if zero, becomes now. For
// version 2 or later set Previous to the previous bundle's Hash; to move
// to a new identity key use SignKeyChange instead.
func SignBundle(key *PrivateKey, b KeyBundle) (*KeyBundle, error) {
	return signBundle(key, nil, b)
}

// SignKeyChange returns b signed by newKey and by oldKey, the identity key
// of version b.Version-1: a key change statement that lets verifiers who
// pinned oldKey move to newKey without asking their user.
func SignKeyChange(oldKey, newKey *PrivateKey, b KeyBundle) (*KeyBundle, error) {
	return signBundle(newKey, oldKey, b)
}

func signBundle(key, oldKey *PrivateKey, b KeyBundle) (*KeyBundle, error) {
	if b.Created.IsZero() {
		b.Created = time.Now()
	}
	b.Created = time.Unix(b.Created.Unix(), 0)
	b.IdentityKey = key.Public()
	b.PreviousIdentityKey = nil
	if oldKey != nil {
		b.PreviousIdentityKey = oldKey.Public()
	}
	b.Keys = slices.Clone(b.Keys)
	slices.SortStableFunc(b.Keys, func(x, y PublishedKey) int {
		return cmp.Or(cmp.Compare(x.Type, y.Type), cmp.Compare(x.Purpose, y.Purpose))
	})
	b.Previous = append([]byte(nil), b.Previous...)
	b.Signature, b.KeyChangeSignature = nil, nil
	if err := b.check(); err != nil {
		return nil, err
	}
	body := b.body()
	sig, err := key.Sign(signedBundleBytes(bundleLabel, body))
	if err != nil {
		return nil, err
	}
	b.Signature = sig
	if oldKey != nil {
		sig, err := oldKey.Sign(signedBundleBytes(keyChangeLabel, body))
		if err != nil {
			return nil, err
		}
		b.KeyChangeSignature = sig
	}
	return &b, nil
}

// check enforces everything ParseBundle enforces about the fields.
func (b *KeyBundle) check() error {
	switch {
	case len(b.UserID) == 0 || len(b.UserID) > MaxUserIDLength:
		return bundleErr(ErrBundleMalformed, "user ID length out of range")
	case !validUserID(b.UserID):
		return bundleErr(ErrBundleMalformed, "user ID is not UTF-8 without control characters")
	case b.Version == 0:
		return bundleErr(ErrBundleMalformed, "version 0")
	case b.Created.Unix() <= 0 || b.Created.Nanosecond() != 0:
		return bundleErr(ErrBundleMalformed, "created is not a whole second after 1970")
	case b.IdentityKey == nil:
		return bundleErr(ErrBundleMalformed, "no identity key")
	case b.Version == 1 && len(b.Previous) != 0:
		return bundleErr(ErrBundleMalformed, "version 1 names a previous bundle")
	case b.Version > 1 && len(b.Previous) != BundleHashSize:
		return bundleErr(ErrBundleMalformed, "previous bundle hash missing or of the wrong size")
	case b.PreviousIdentityKey != nil && b.Version == 1:
		return bundleErr(ErrBundleMalformed, "key change at version 1")
	case b.PreviousIdentityKey != nil && b.PreviousIdentityKey.Equal(b.IdentityKey):
		return bundleErr(ErrBundleMalformed, "key change to the same identity key")
	case len(b.Keys) > MaxBundleKeys:
		return bundleErr(ErrBundleMalformed, "too many published keys")
	}
	for i, k := range b.Keys {
		switch {
		case !validKeyName(k.Type, MaxKeyTypeLength):
			return bundleErr(ErrBundleMalformed, "published key type is not 1-32 of a-z 0-9 -")
		case !validKeyName(k.Purpose, MaxKeyPurposeLength):
			return bundleErr(ErrBundleMalformed, "published key purpose is not 1-64 of a-z 0-9 -")
		case len(k.Data) == 0 || len(k.Data) > MaxPublishedKeyBytes:
			return bundleErr(ErrBundleMalformed, "published key size out of range")
		case i > 0 && !keyLess(b.Keys[i-1], k):
			return bundleErr(ErrBundleMalformed, "published keys not sorted by type and purpose, or repeated")
		}
	}
	return nil
}

func validUserID(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return false
		}
	}
	return true
}

func validKeyName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func keyLess(a, b PublishedKey) bool {
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.Purpose < b.Purpose
}

// body is the canonical encoding of everything but the signatures (see
// SPEC.md); b must have passed check.
func (b *KeyBundle) body() []byte {
	out := make([]byte, 0, 256+len(b.Keys)*(MaxKeyTypeLength+MaxKeyPurposeLength+8))
	out = append(out, bundleFormat)
	out = appendStr8(out, b.UserID)
	out = binary.BigEndian.AppendUint64(out, b.Version)
	out = binary.BigEndian.AppendUint64(out, uint64(b.Created.Unix()))
	out = appendKey(out, b.IdentityKey)
	out = appendStr8(out, string(b.Previous))
	out = appendKey(out, b.PreviousIdentityKey)
	out = append(out, byte(len(b.Keys)))
	for _, k := range b.Keys {
		out = appendStr8(out, k.Type)
		out = appendStr8(out, k.Purpose)
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.Data)))
		out = append(out, k.Data...)
	}
	return out
}

func appendStr8(out []byte, s string) []byte {
	return append(append(out, byte(len(s))), s...)
}

// appendKey writes key(k), or for nil the empty alg that means no key.
func appendKey(out []byte, k *PublicKey) []byte {
	if k == nil {
		return append(out, 0)
	}
	out = appendStr8(out, string(k.Algorithm()))
	return appendStr8(out, string(k.Bytes()))
}

func signedBundleBytes(label string, body []byte) []byte {
	out := make([]byte, 0, len(label)+1+len(body))
	out = append(out, label...)
	out = append(out, 0)
	return append(out, body...)
}

// Bytes returns the bundle's encoding: what ParseBundle reads and the
// directory serves.
func (b *KeyBundle) Bytes() []byte {
	out := appendStr8(b.body(), string(b.Signature))
	if b.PreviousIdentityKey != nil {
		out = appendStr8(out, string(b.KeyChangeSignature))
	}
	return out
}

// Hash returns the bundle's BundleHash: SHA-256 over bundleHashLabel, a
// zero byte and the encoding without signatures, so it names the bundle's
// content whatever signature bytes it travels with.
func (b *KeyBundle) Hash() []byte {
	h := sha256.New()
	h.Write([]byte(bundleHashLabel))
	h.Write([]byte{0})
	h.Write(b.body())
	return h.Sum(nil)
}

// ParseBundle decodes an encoded bundle strictly: the size cap first, then
// every field in order with its limit, no trailing bytes, and the result
// must re-encode to exactly b. It verifies no signature: call VerifyBundle.
// Errors wrap ErrBundleMalformed.
func ParseBundle(b []byte) (*KeyBundle, error) {
	if len(b) > MaxBundleBytes {
		return nil, bundleErr(ErrBundleMalformed, "bundle exceeds the size cap")
	}
	r := bundleReader{b: b}
	if f, ok := r.u8(); !ok || f != bundleFormat {
		return nil, bundleErr(ErrBundleMalformed, "unknown bundle format")
	}
	kb := &KeyBundle{}
	var ok bool
	if kb.UserID, ok = r.str8(); !ok {
		return nil, bundleErr(ErrBundleMalformed, "truncated user ID")
	}
	created := uint64(0)
	if kb.Version, ok = r.u64(); ok {
		created, ok = r.u64()
	}
	if !ok || created > math.MaxInt64 {
		return nil, bundleErr(ErrBundleMalformed, "truncated version or created, or created out of range")
	}
	kb.Created = time.Unix(int64(created), 0)
	var err error
	if kb.IdentityKey, err = r.key(false); err != nil {
		return nil, err
	}
	prev, ok := r.str8()
	if !ok {
		return nil, bundleErr(ErrBundleMalformed, "truncated previous bundle hash")
	}
	if prev != "" {
		kb.Previous = []byte(prev)
	}
	if kb.PreviousIdentityKey, err = r.key(true); err != nil {
		return nil, err
	}
	n, ok := r.u8()
	if !ok || n > MaxBundleKeys {
		return nil, bundleErr(ErrBundleMalformed, "published key count missing or over the cap")
	}
	for range n {
		var k PublishedKey
		var size uint16
		if k.Type, ok = r.str8(); ok {
			if k.Purpose, ok = r.str8(); ok {
				size, ok = r.u16()
			}
		}
		if !ok || size > MaxPublishedKeyBytes {
			return nil, bundleErr(ErrBundleMalformed, "published key truncated or over the size cap")
		}
		data, ok := r.take(int(size))
		if !ok {
			return nil, bundleErr(ErrBundleMalformed, "published key truncated")
		}
		k.Data = bytes.Clone(data)
		kb.Keys = append(kb.Keys, k)
	}
	sig, ok := r.str8()
	if !ok || len(sig) != 64 {
		return nil, bundleErr(ErrBundleMalformed, "identity signature missing or not 64 bytes")
	}
	kb.Signature = []byte(sig)
	if kb.PreviousIdentityKey != nil {
		sig, ok := r.str8()
		if !ok || len(sig) != 64 {
			return nil, bundleErr(ErrBundleMalformed, "key change signature missing or not 64 bytes")
		}
		kb.KeyChangeSignature = []byte(sig)
	}
	if len(r.b) != 0 {
		return nil, bundleErr(ErrBundleMalformed, "trailing bytes after the bundle")
	}
	if err := kb.check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(kb.Bytes(), b) {
		return nil, bundleErr(ErrBundleMalformed, "not the canonical encoding")
	}
	return kb, nil
}

type bundleReader struct{ b []byte }

func (r *bundleReader) take(n int) ([]byte, bool) {
	if n > len(r.b) {
		return nil, false
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, true
}

func (r *bundleReader) u8() (byte, bool) {
	v, ok := r.take(1)
	if !ok {
		return 0, false
	}
	return v[0], true
}

func (r *bundleReader) u16() (uint16, bool) {
	v, ok := r.take(2)
	if !ok {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

func (r *bundleReader) u64() (uint64, bool) {
	v, ok := r.take(8)
	if !ok {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func (r *bundleReader) str8() (string, bool) {
	n, ok := r.u8()
	if !ok {
		return "", false
	}
	v, ok := r.take(int(n))
	return string(v), ok
}

// key reads str8(alg) || str8(raw); optional allows an empty alg, meaning
// no key (and then no raw field).
func (r *bundleReader) key(optional bool) (*PublicKey, error) {
	alg, ok := r.str8()
	if !ok {
		return nil, bundleErr(ErrBundleMalformed, "truncated key algorithm")
	}
	if alg == "" && optional {
		return nil, nil
	}
	raw, ok := r.str8()
	if !ok {
		return nil, bundleErr(ErrBundleMalformed, "truncated key")
	}
	var k *PublicKey
	var err error
	switch Algorithm(alg) {
	case Ed25519:
		k, err = NewEd25519PublicKey([]byte(raw))
	case ECDSAP256SHA256:
		k, err = NewECDSAP256PublicKey([]byte(raw))
	default:
		return nil, bundleErr(ErrBundleMalformed, "unknown identity key algorithm")
	}
	if err != nil {
		return nil, bundleErr(ErrBundleMalformed, "invalid identity key")
	}
	return k, nil
}

// BundlePin is what a client keeps about a user between fetches: whose
// bundle it expects, and the last bundle it accepted. Get it from
// KeyBundle.Pin; on first contact only UserID is set.
type BundlePin struct {
	UserID string
	// Key is the pinned identity key; nil on first contact (trust on first
	// use: compare safety numbers to check it).
	Key *PublicKey
	// Version and Hash name the last accepted bundle. A pin with Key but
	// no Hash (a key compared out of band) skips the chain check.
	Version uint64
	Hash    []byte
}

// Pin returns the pin that makes b the last accepted bundle.
func (b *KeyBundle) Pin() BundlePin {
	return BundlePin{UserID: b.UserID, Key: b.IdentityKey, Version: b.Version, Hash: b.Hash()}
}

// VerifyBundle checks b against pin, in this order, stopping at the first
// failure: the fields (ErrBundleMalformed), the identity signature and any
// key change signature (ErrBundleSignature), the user ID (ErrBundleUser),
// the version (ErrBundleRollback unless newer than pin.Version, or equal
// with the same Hash), the chain (ErrBundleChain: with pin.Hash set, b
// must be the next version and name pin.Hash as Previous) and the
// identity key (ErrIdentityChanged unless it is pin.Key, or
// PreviousIdentityKey is pin.Key). Only a nil error lets a client wrap to
// b's keys.
func VerifyBundle(b *KeyBundle, pin BundlePin) error {
	if b == nil {
		return bundleErr(ErrBundleMalformed, "no bundle")
	}
	if err := b.check(); err != nil {
		return err
	}
	body := b.body()
	if !b.IdentityKey.Verify(signedBundleBytes(bundleLabel, body), b.Signature) {
		return bundleErr(ErrBundleSignature, "identity signature")
	}
	if b.PreviousIdentityKey != nil && !b.PreviousIdentityKey.Verify(signedBundleBytes(keyChangeLabel, body), b.KeyChangeSignature) {
		return bundleErr(ErrBundleSignature, "key change signature")
	}
	if b.UserID != pin.UserID {
		return bundleErr(ErrBundleUser, "user ID differs from the expected one")
	}
	if b.Version < pin.Version {
		return bundleErr(ErrBundleRollback, "older version than the pinned one")
	}
	if b.Version == pin.Version && pin.Version != 0 {
		if pin.Hash == nil || subtle.ConstantTimeCompare(b.Hash(), pin.Hash) != 1 {
			return bundleErr(ErrBundleRollback, "another bundle at the pinned version")
		}
	} else if pin.Hash != nil {
		if b.Version != pin.Version+1 {
			return bundleErr(ErrBundleChain, "versions skipped: verify each bundle in order")
		}
		if subtle.ConstantTimeCompare(b.Previous, pin.Hash) != 1 {
			return bundleErr(ErrBundleChain, "previous bundle hash is not the pinned bundle's")
		}
	}
	if pin.Key == nil || pin.Key.Equal(b.IdentityKey) || pin.Key.Equal(b.PreviousIdentityKey) {
		return nil
	}
	return bundleErr(ErrIdentityChanged, "identity key is not the pinned one")
}

// VerifyBundleChain verifies bundles in order, each against the pin the
// one before it left, and returns the pin of the last. A client that
// missed versions fetches them all and moves its pin only on success.
func VerifyBundleChain(pin BundlePin, bundles ...*KeyBundle) (BundlePin, error) {
	for _, b := range bundles {
		if err := VerifyBundle(b, pin); err != nil {
			return pin, err
		}
		pin = b.Pin()
	}
	return pin, nil
}
