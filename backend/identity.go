package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/identity"
)

const (
	kindKey    = "identity.key"
	kindReplay = "identity.replay"
)

// KeyRegistry returns an identity.KeyRegistry over s. Entries are stored
// as JSON with the public key as a JWK; a key's ID is recomputed from the
// key when read, never trusted from the row.
func KeyRegistry(s driver.Store) identity.KeyRegistry { return keyRegistry{s} }

type keyRegistry struct{ s driver.Store }

var _ identity.KeyRegistry = keyRegistry{}

type keyEntryJSON struct {
	PublicKey   json.RawMessage `json:"jwk"`
	Permissions []string        `json:"permissions,omitempty"`
	Revoked     bool            `json:"revoked,omitempty"`
}

func (k keyRegistry) Register(ctx context.Context, e identity.KeyEntry) error {
	if e.PublicKey == nil {
		return identity.ErrInvalidEntry
	}
	jwk, err := e.PublicKey.MarshalJWK()
	if err != nil {
		return err
	}
	data, err := json.Marshal(keyEntryJSON{PublicKey: jwk, Permissions: e.Permissions, Revoked: e.Revoked})
	if err != nil {
		return err
	}
	_, err = k.s.Create(ctx, driver.Record{Kind: kindKey, ID: e.KeyID(), Owner: e.Owner, Data: data})
	return err
}

func (k keyRegistry) Lookup(ctx context.Context, keyID string) (identity.KeyEntry, error) {
	r, err := k.s.Get(ctx, kindKey, keyID)
	if err != nil {
		return identity.KeyEntry{}, err
	}
	return decodeKeyEntry(r)
}

func decodeKeyEntry(r driver.Record) (identity.KeyEntry, error) {
	var j keyEntryJSON
	if err := json.Unmarshal(r.Data, &j); err != nil {
		return identity.KeyEntry{}, fmt.Errorf("identity: stored key entry %q is damaged", r.ID)
	}
	pub, err := identity.ParsePublicKeyJWK(j.PublicKey)
	if err != nil || pub.KeyID() != r.ID {
		return identity.KeyEntry{}, fmt.Errorf("identity: stored key entry %q is damaged", r.ID)
	}
	return identity.KeyEntry{PublicKey: pub, Owner: r.Owner, Permissions: j.Permissions, Revoked: j.Revoked}, nil
}

// modify changes a stored entry in one transaction.
func (k keyRegistry) modify(ctx context.Context, keyID string, fn func(*keyEntryJSON)) error {
	_, err := k.s.Modify(ctx, kindKey, keyID, func(r *driver.Record) error {
		var j keyEntryJSON
		if err := json.Unmarshal(r.Data, &j); err != nil {
			return fmt.Errorf("identity: stored key entry %q is damaged", keyID)
		}
		fn(&j)
		data, err := json.Marshal(j)
		r.Data = data
		return err
	})
	return err
}

func (k keyRegistry) SetPermissions(ctx context.Context, keyID string, perms []string) error {
	return k.modify(ctx, keyID, func(j *keyEntryJSON) { j.Permissions = perms })
}

func (k keyRegistry) Revoke(ctx context.Context, keyID string) error {
	return k.modify(ctx, keyID, func(j *keyEntryJSON) { j.Revoked = true })
}

// ReplayStore returns an identity.ReplayStore over s. Each (key ID, nonce)
// is a record that expires with its request; expired records are purged
// every purgeEvery insertions, so the table stays bounded by the traffic
// of one freshness window.
func ReplayStore(s driver.Store) identity.ReplayStore { return &replayStore{s: s} }

// purgeEvery is how many insertions pass between purges of expired nonces.
const purgeEvery = 1024

type replayStore struct {
	s driver.Store
	n atomic.Uint64
}

var _ identity.ReplayStore = (*replayStore)(nil)

func (rs *replayStore) Remember(ctx context.Context, keyID, nonce string, expires time.Time) error {
	if rs.n.Add(1)%purgeEvery == 0 {
		if err := rs.s.Purge(ctx, kindReplay, time.Now()); err != nil {
			return err
		}
	}
	id := compositeID(keyID, nonce)
	_, err := rs.s.Create(ctx, driver.Record{Kind: kindReplay, ID: id, Expires: expires})
	if !errors.Is(err, driver.ErrExists) {
		return err
	}
	// Taken: a replay, unless the entry has expired and not yet been
	// purged. Then it is renewed by compare-and-swap, so of two
	// concurrent renewals exactly one succeeds.
	old, err := rs.s.Get(ctx, kindReplay, id)
	if errors.Is(err, driver.ErrNotFound) {
		return identity.ErrExists // purged in between: refuse, fail closed
	}
	if err != nil {
		return err
	}
	if !old.Expires.Before(time.Now()) {
		return identity.ErrExists
	}
	old.Expires = expires
	if _, err := rs.s.Update(ctx, old, old.Version); errors.Is(err, driver.ErrConflict) || errors.Is(err, driver.ErrNotFound) {
		return identity.ErrExists
	} else if err != nil {
		return err
	}
	return nil
}
