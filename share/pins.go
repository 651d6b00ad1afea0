package share

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keylog"
)

// LabelPin prefixes the associated data of the records a Client keeps in
// its PinStore, so a record moved to another name or owner does not open.
const LabelPin = "sealkit/share pin v1"

// maxPinRecord caps a sealed pin record read back from a PinStore.
const maxPinRecord = 4 << 10

// PinStore is where a Client remembers, between sessions, what it has
// seen of others: each contact's pinned identity key and newest key
// bundle, and each item's newest version and manifest. Records are sealed
// under the Client's KEK before they reach the store, so a store the server
// keeps can withhold or replay them but neither read nor rewrite them. Put
// replaces.
type PinStore interface {
	// PutPin stores the sealed record under name.
	PutPin(ctx context.Context, name string, record []byte) error
	// Pin returns the record PutPin stored under name; ErrNotFound if
	// there is none.
	Pin(ctx context.Context, name string) ([]byte, error)
}

// MemoryPins is an in-memory PinStore.
type MemoryPins struct{ m sync.Map }

var _ PinStore = (*MemoryPins)(nil)

// PutPin implements PinStore.
func (m *MemoryPins) PutPin(_ context.Context, name string, record []byte) error {
	m.m.Store(name, bytes.Clone(record))
	return nil
}

// Pin implements PinStore.
func (m *MemoryPins) Pin(_ context.Context, name string) ([]byte, error) {
	v, ok := m.m.Load(name)
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(v.([]byte)), nil
}

// pinRecord is the sealed plaintext of one pin: a contact's (Key,
// Version, Hash of the bundle) or an item's (Version, Seq, Hash of the
// newest manifest; Seq 0 for none yet). Pending is the header hash of a
// version this Client uploaded whose manifest it has not seen stored.
type pinRecord struct {
	Key     []byte `json:"key,omitempty"`
	Version uint64 `json:"version"`
	Seq     uint64 `json:"seq,omitempty"`
	Hash    []byte `json:"hash,omitempty"`
	Pending []byte `json:"pending,omitempty"`
}

func userPin(id string) string { return "user/" + id }
func itemPin(id string) string { return "item/" + id }

func (c *Client) pins() PinStore {
	c.pinsOnce.Do(func() {
		if c.Pins == nil {
			c.memPins = &MemoryPins{}
		}
	})
	if c.Pins != nil {
		return c.Pins
	}
	return c.memPins
}

func (c *Client) pinAD(name string) []byte {
	return appendLP(appendLP([]byte(LabelPin), []byte(c.User)), []byte(name))
}

// loadPin returns the pin under name, or nil if there is none.
func (c *Client) loadPin(ctx context.Context, name string) (*pinRecord, error) {
	rec, err := c.pins().Pin(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(rec) > maxPinRecord {
		return nil, fmt.Errorf("%w: pin record over its cap", ErrCorrupt)
	}
	plain, err := envelope.Open(rec, c.pinAD(name), nil, c.KEK)
	if err != nil {
		return nil, corrupt(err)
	}
	var p pinRecord
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, corrupt(err)
	}
	return &p, nil
}

func (c *Client) savePin(ctx context.Context, name string, p *pinRecord) error {
	plain, err := json.Marshal(p)
	if err != nil {
		return err
	}
	rec, err := envelope.Seal(plain, c.pinAD(name), nil, c.KEK)
	if err != nil {
		return err
	}
	return c.pins().PutPin(ctx, name, rec)
}

// contact is a directory record whose keys a Client may use: checked
// against its bundle and the pin, or (Bundle nil) a record of an earlier
// release the Client was told to accept.
type contact struct {
	*User
	Bundle *identity.KeyBundle
}

// bundleVersion is what a manifest records for the contact: 0 without a
// bundle.
func (k contact) bundleVersion() uint64 {
	if k.Bundle == nil {
		return 0
	}
	return k.Bundle.Version
}

// contact looks up a user and verifies the record before any key in it is
// used: its bundle (ErrBadBundle), then against the pin. The first
// bundle seen is pinned (trust on first use; compare [Client.SafetyNumber]
// to check it). Later, an identity key other than the pinned one is
// ErrKeyChanged unless the bundle's key change statement is signed by the
// pinned key, and a bundle older than the pinned one is ErrRollback.
func (c *Client) contact(ctx context.Context, id string) (contact, error) {
	u, err := c.Transport.User(ctx, id)
	if err != nil {
		return contact{}, err
	}
	if u.ID != id {
		return contact{}, fmt.Errorf("%w: asked for %s, got another user's record", ErrBadBundle, id)
	}
	p, err := c.loadPin(ctx, userPin(id))
	if err != nil {
		return contact{}, err
	}
	if len(u.Bundle) == 0 && c.AllowLegacy && p == nil {
		return contact{User: u}, nil
	}
	b, err := checkUserBundle(u)
	if err != nil {
		return contact{}, err
	}
	if err := c.logged(ctx, u, b); err != nil {
		return contact{}, err
	}
	if p == nil {
		return contact{u, b}, c.savePin(ctx, userPin(id), &pinRecord{Key: b.IdentityKey.Bytes(), Version: b.Version, Hash: b.Hash()})
	}
	key, err := identity.NewEd25519PublicKey(p.Key)
	if err != nil {
		return contact{}, corrupt(err)
	}
	switch {
	case b.Version < p.Version:
		return contact{}, fmt.Errorf("%w: %s's key bundle %d after %d", ErrRollback, id, b.Version, p.Version)
	case !key.Equal(b.IdentityKey) && !key.Equal(b.PreviousIdentityKey):
		// Another identity key at the pinned version or later is a key
		// change, not a rollback.
		return contact{}, fmt.Errorf("%w: %s: the identity key is not the pinned one", ErrKeyChanged, id)
	}
	pin := identity.BundlePin{UserID: id, Key: key, Version: p.Version, Hash: p.Hash}
	if b.Version > p.Version+1 {
		// The directory keeps the newest bundle only: a client that missed
		// versions checks continuity of the identity key, not the chain.
		pin.Hash = nil
	}
	if err := identity.VerifyBundle(b, pin); err != nil {
		switch {
		case errors.Is(err, identity.ErrIdentityChanged):
			return contact{}, fmt.Errorf("%w: %s: %w", ErrKeyChanged, id, err)
		case errors.Is(err, identity.ErrBundleRollback):
			return contact{}, fmt.Errorf("%w: %s's key bundle: %w", ErrRollback, id, err)
		}
		return contact{}, errBundle(err)
	}
	if b.Version > p.Version {
		err = c.savePin(ctx, userPin(id), &pinRecord{Key: b.IdentityKey.Bytes(), Version: b.Version, Hash: b.Hash()})
	}
	return contact{u, b}, err
}

// logged checks, with a KeyLog, that b is the log entry u names, included
// in the newest checkpoint accepted (refreshed if the entry is newer).
func (c *Client) logged(ctx context.Context, u *User, b *identity.KeyBundle) error {
	if c.KeyLog == nil {
		return nil
	}
	if u.LogIndex == nil {
		return fmt.Errorf("%w: %s's record names no log entry", ErrNotLogged, u.ID)
	}
	e := keylog.BundleEntry(b)
	err := c.KeyLog.VerifyEntry(ctx, *u.LogIndex, e)
	if errors.Is(err, keylog.ErrRange) {
		if _, err = c.KeyLog.Refresh(ctx); err == nil {
			err = c.KeyLog.VerifyEntry(ctx, *u.LogIndex, e)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotLogged, u.ID, err)
	}
	return nil
}

// AcceptKeyChange pins user's current identity key and bundle in place of
// the pinned ones, after [ErrKeyChanged] and after the person compared
// the new safety number out of band. The bundle must still be
// well-formed and self-signed.
func (c *Client) AcceptKeyChange(ctx context.Context, user string) error {
	u, err := c.Transport.User(ctx, user)
	if err != nil {
		return err
	}
	if u.ID != user {
		return fmt.Errorf("%w: asked for %s, got another user's record", ErrBadBundle, user)
	}
	b, err := checkUserBundle(u)
	if err != nil {
		return err
	}
	if err := c.logged(ctx, u, b); err != nil {
		return err
	}
	return c.savePin(ctx, userPin(user), &pinRecord{Key: b.IdentityKey.Bytes(), Version: b.Version, Hash: b.Hash()})
}

// SafetyNumber returns the safety number of User and user's pinned
// identity keys (identity.SafetyNumber), for the two people to compare out
// of band. It pins user's key first if this is the first contact.
func (c *Client) SafetyNumber(ctx context.Context, user string) (string, error) {
	k, err := c.contact(ctx, user)
	if err != nil {
		return "", err
	}
	if k.Bundle == nil {
		return "", fmt.Errorf("%w: %s has no key bundle", ErrBadBundle, user)
	}
	me, err := identity.NewEd25519PublicKey(c.SigningKey.Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	return identity.SafetyNumber(identity.UserKey{UserID: c.User, Key: me}, identity.UserKey{UserID: user, Key: k.Bundle.IdentityKey})
}
