package share

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/sealkit/sealkit/identity"
)

// PurposeShare is the purpose of the encryption keys a user's key bundle
// publishes for direct shares: one identity.PublishedKey per [User].Keys
// entry, Type its Kind and Data its Bytes.
const PurposeShare = "share"

// NewUser returns the directory record of user id publishing keys, with
// signingKey's public key as SigningKey and the key bundle (version 1: a
// record is stored once, SPEC.md §11) that signs them with signingKey as the
// identity key. [Client.Register] publishes one; a server that registers
// users itself stores the one its client made.
func NewUser(id string, keys []PublicKey, signingKey ed25519.PrivateKey) (*User, error) {
	ik, err := identity.NewEd25519PrivateKey(signingKey.Seed())
	if err != nil {
		return nil, err
	}
	b := identity.KeyBundle{UserID: id, Version: 1}
	for _, k := range keys {
		b.Keys = append(b.Keys, identity.PublishedKey{Type: k.Kind, Purpose: PurposeShare, Data: k.Bytes})
	}
	kb, err := identity.SignBundle(ik, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &User{ID: id, Keys: keys, SigningKey: ik.Public().Bytes(), Bundle: kb.Bytes()}, nil
}

func errBundle(err error) error { return fmt.Errorf("%w: %w", ErrBadBundle, err) }

// checkUserBundle parses u's bundle and checks what needs no pin: it is
// u's, self-signed by its identity key, that key is u's SigningKey, and its
// share keys are exactly u's Keys. The Service runs it before storing a
// record; a Client runs it on every record it looks up.
func checkUserBundle(u *User) (*identity.KeyBundle, error) {
	if len(u.Bundle) == 0 {
		return nil, fmt.Errorf("%w: %s has no key bundle", ErrBadBundle, u.ID)
	}
	b, err := identity.ParseBundle(u.Bundle)
	if err != nil {
		return nil, errBundle(err)
	}
	if err := identity.VerifyBundle(b, identity.BundlePin{UserID: u.ID}); err != nil {
		return nil, errBundle(err)
	}
	if b.IdentityKey.Algorithm() != identity.Ed25519 || !bytes.Equal(b.IdentityKey.Bytes(), u.SigningKey) {
		return nil, fmt.Errorf("%w: identity key is not the record's signing key", ErrBadBundle)
	}
	var keys []identity.PublishedKey
	for _, k := range b.Keys {
		if k.Purpose == PurposeShare {
			keys = append(keys, k)
		}
	}
	if len(keys) != len(u.Keys) {
		return nil, fmt.Errorf("%w: the record's keys are not the bundle's", ErrBadBundle)
	}
	// Bundle keys are unique by type; so must the record's be, one each.
	for _, k := range u.Keys {
		n := 0
		for _, bk := range keys {
			if bk.Type == k.Kind && bytes.Equal(bk.Data, k.Bytes) {
				n++
			}
		}
		for _, o := range u.Keys {
			if o.Kind == k.Kind {
				n--
			}
		}
		if n != 0 {
			return nil, fmt.Errorf("%w: the record's keys are not the bundle's", ErrBadBundle)
		}
	}
	return b, nil
}
