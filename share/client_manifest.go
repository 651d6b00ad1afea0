package share

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sealkit/sealkit/envelope"
)

// item fetches an item record and checks it against its owner's manifest
// (SPEC.md §11): signed by the owner's pinned identity key, describing
// this record, and not older than what this Client saw of the item. The
// manifest is nil only for a legacy item AllowLegacy accepts. Call it with
// the item locked (lockItem).
func (c *Client) item(ctx context.Context, id string) (*Item, *Manifest, error) {
	it, err := c.Transport.Item(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if it.ID != id {
		return nil, nil, corrupt(errors.New("the server answered with another item"))
	}
	seen, err := c.loadPin(ctx, itemPin(id))
	if err != nil {
		return nil, nil, err
	}
	if it.Owner == c.User {
		return c.ownItem(ctx, it, seen)
	}
	k, err := c.contact(ctx, it.Owner)
	if err != nil {
		return nil, nil, err
	}
	if len(it.Manifest) == 0 {
		switch {
		case !c.AllowLegacy || k.Bundle != nil:
			return nil, nil, errManifest("item has no manifest")
		case seen != nil && seen.Seq > 0:
			return nil, nil, errManifest("item lost the manifest it had")
		case seen != nil && it.Version < seen.Version:
			return nil, nil, fmt.Errorf("%w: item version %d after %d", ErrRollback, it.Version, seen.Version)
		case seen == nil || it.Version > seen.Version:
			return it, nil, c.savePin(ctx, itemPin(id), &pinRecord{Version: it.Version})
		}
		return it, nil, nil
	}
	m, err := c.checkManifest(ctx, it, k.SigningKey, seen)
	return it, m, err
}

// checkManifest verifies it's manifest under the owner's key, that it
// describes it, and that it follows what was seen.
func (c *Client) checkManifest(ctx context.Context, it *Item, owner ed25519.PublicKey, seen *pinRecord) (*Manifest, error) {
	m, err := ParseManifest(it.Manifest)
	if err != nil {
		return nil, err
	}
	if err := m.Verify(owner); err != nil {
		return nil, err
	}
	if err := m.Describes(it); err != nil {
		return nil, err
	}
	return m, c.observe(ctx, m, seen)
}

// ownItem is item for an item record naming User as its owner. Its
// manifest is missing after an upload whose PutManifest never arrived, or
// is still the previous version's after such a rotation: if this Client
// made that upload (its pin holds the header's hash) and the item is still
// User's own (its DEK opens with KEK, its header verifies), User signs the
// manifest now, listing the previous manifest's recipients that still hold
// a key. An item of an earlier release, with no manifest and none seen, is
// signed the same way with AllowLegacy only, listing the holders the
// server names.
func (c *Client) ownItem(ctx context.Context, it *Item, seen *pinRecord) (*Item, *Manifest, error) {
	me := c.SigningKey.Public().(ed25519.PublicKey)
	var prev *Manifest
	if len(it.Manifest) != 0 {
		m, err := ParseManifest(it.Manifest)
		if err != nil {
			return nil, nil, err
		}
		if err := m.Verify(me); err != nil {
			return nil, nil, err
		}
		if m.Version == it.Version {
			m, err := c.checkManifest(ctx, it, me, seen)
			return it, m, err
		}
		if m.Item != it.ID || m.Owner != it.Owner || m.Version+1 != it.Version {
			return nil, nil, errManifest("manifest names another item, owner or version")
		}
		prev = m
	}
	pending := seen != nil && seen.Version == it.Version && len(seen.Pending) != 0 &&
		subtle.ConstantTimeCompare(seen.Pending, sha256Sum(it.Header)) == 1
	legacy := prev == nil && c.AllowLegacy && (seen == nil || seen.Seq == 0)
	switch {
	case seen != nil && it.Version < seen.Version:
		return nil, nil, fmt.Errorf("%w: item version %d after %d", ErrRollback, it.Version, seen.Version)
	case !pending && !legacy:
		return nil, nil, errManifest("item has no manifest of its version")
	case prev != nil && seen != nil && (prev.Seq != seen.Seq || subtle.ConstantTimeCompare(prev.Hash(), seen.Hash) != 1):
		return nil, nil, errManifest("the previous version's manifest is not the one seen")
	}
	wk, err := c.Transport.MyKey(ctx, it.ID)
	if err != nil {
		return nil, nil, err
	}
	if wk.Item != it.ID || wk.Version != it.Version || wk.Space != "" {
		return nil, nil, corrupt(errors.New("wrapped key for another item or version"))
	}
	dek, err := envelope.UnwrapKey(wk.Record, c.KEK)
	if err != nil {
		return nil, nil, corrupt(err)
	}
	err = verifyItem(it, dek)
	dek.Destroy()
	if err != nil {
		return nil, nil, err
	}
	var rs []ManifestRecipient
	if prev != nil {
		rs = prev.Recipients
	} else if legacy {
		if rs, err = c.holders(ctx, it.ID); err != nil {
			return nil, nil, err
		}
	}
	if rs, err = c.stillHolding(ctx, it.ID, rs); err != nil {
		return nil, nil, err
	}
	m, err := c.putManifest(ctx, it, prev, rs)
	return it, m, err
}

// observe checks m against the item's pin and moves the pin to m: an
// older version or manifest is ErrRollback, another manifest at the seen
// sequence number, or a next one that does not chain, ErrBadManifest.
func (c *Client) observe(ctx context.Context, m *Manifest, seen *pinRecord) error {
	if seen != nil {
		switch {
		case m.Version < seen.Version || m.Seq < seen.Seq:
			return fmt.Errorf("%w: item manifest %d (version %d) after %d (version %d)",
				ErrRollback, m.Seq, m.Version, seen.Seq, seen.Version)
		case m.Seq == seen.Seq && subtle.ConstantTimeCompare(m.Hash(), seen.Hash) != 1:
			return errManifest("another manifest at a sequence number already seen")
		case m.Seq == seen.Seq:
			return nil
		case m.Seq == seen.Seq+1 && seen.Seq > 0 && subtle.ConstantTimeCompare(m.Previous, seen.Hash) != 1:
			return errManifest("manifest does not chain to the one seen before")
		}
	}
	return c.savePin(ctx, itemPin(m.Item), &pinRecord{Version: m.Version, Seq: m.Seq, Hash: m.Hash()})
}

// ownedItem is item for an item User owns; ErrPermission for another's.
func (c *Client) ownedItem(ctx context.Context, id string) (*Item, *Manifest, error) {
	it, m, err := c.item(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if it.Owner != c.User {
		return nil, nil, ErrPermission
	}
	return it, m, nil
}

// checkListed refuses a key the owner's manifest does not list for User:
// a direct key needs a direct entry, a space key the entry of that space.
func (c *Client) checkListed(it *Item, m *Manifest, space string) error {
	if m == nil || it.Owner == c.User {
		return nil
	}
	r, ok := m.Recipient(c.User)
	if !ok || r.Space != space {
		return errManifest("the owner's manifest does not list this recipient")
	}
	return nil
}

// recipients returns who holds the DEK of it besides User, as User last
// signed it in m, narrowed to those the server still lists: the server can
// drop a recipient (it can always deny access) but never add one.
func (c *Client) recipients(ctx context.Context, it *Item, m *Manifest) ([]ManifestRecipient, error) {
	if m == nil {
		return nil, errManifest("item has no manifest")
	}
	return c.stillHolding(ctx, it.ID, m.Recipients)
}

// stillHolding returns the entries of rs the server lists as holding a key
// of item, in that space.
func (c *Client) stillHolding(ctx context.Context, item string, rs []ManifestRecipient) ([]ManifestRecipient, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	keys, err := c.Transport.ItemKeys(ctx, item)
	if err != nil {
		return nil, err
	}
	var out []ManifestRecipient
	for _, r := range rs {
		if slices.ContainsFunc(keys, func(k *WrappedKey) bool { return k.Recipient == r.User && k.Space == r.Space }) {
			out = append(out, r)
		}
	}
	return out, nil
}

// holders is the server's list of an item's key holders besides User, the
// starting point of a legacy item's first manifest only.
func (c *Client) holders(ctx context.Context, item string) ([]ManifestRecipient, error) {
	keys, err := c.Transport.ItemKeys(ctx, item)
	if err != nil {
		return nil, err
	}
	var out []ManifestRecipient
	for _, k := range keys {
		if k.Recipient != c.User && ValidID(k.Recipient) && (k.Space == "" || ValidID(k.Space)) {
			out = withRecipient(out, ManifestRecipient{User: k.Recipient, Space: k.Space})
		}
	}
	return out, nil
}

// withRecipient returns rs with r in place of any entry of r.User.
func withRecipient(rs []ManifestRecipient, r ManifestRecipient) []ManifestRecipient {
	return append(withoutRecipient(rs, r.User), r)
}

func withoutRecipient(rs []ManifestRecipient, user string) []ManifestRecipient {
	return slices.DeleteFunc(rs, func(x ManifestRecipient) bool { return x.User == user })
}

// nextManifest signs the manifest of item record it (as the server
// stored it) that follows prev, or for prev nil the one after what this
// Client last saw of the item (the item's first if nothing). Store it
// (with a request or PutManifest), then [Client.saw] it.
func (c *Client) nextManifest(ctx context.Context, it *Item, prev *Manifest, rs []ManifestRecipient) (*Manifest, error) {
	m := Manifest{Item: it.ID, Owner: it.Owner, Version: it.Version, Seq: 1,
		HeaderHash: sha256Sum(it.Header), PayloadHash: it.SHA256, Size: it.Size, Recipients: rs}
	if prev != nil {
		m.Seq, m.Previous = prev.Seq+1, prev.Hash()
	} else if seen, err := c.loadPin(ctx, itemPin(it.ID)); err != nil {
		return nil, err
	} else if seen != nil && seen.Seq > 0 {
		m.Seq, m.Previous = seen.Seq+1, bytes.Clone(seen.Hash)
	}
	return SignManifest(c.SigningKey, m)
}

// uploaded pins it, a version this Client just stored, as pending its
// manifest, keeping the newest manifest seen.
func (c *Client) uploaded(ctx context.Context, it *Item) error {
	defer c.lockItem(it.ID)()
	p, err := c.loadPin(ctx, itemPin(it.ID))
	if err != nil {
		return err
	}
	if p == nil {
		p = &pinRecord{}
	}
	p.Version, p.Pending = it.Version, sha256Sum(it.Header)
	return c.savePin(ctx, itemPin(it.ID), p)
}

// saw pins m, a manifest the server accepted.
func (c *Client) saw(ctx context.Context, m *Manifest) error {
	return c.savePin(ctx, itemPin(m.Item), &pinRecord{Version: m.Version, Seq: m.Seq, Hash: m.Hash()})
}

// putManifest signs the manifest that follows prev and attaches it with
// PutManifest: after an upload, once the payload's hash is known.
func (c *Client) putManifest(ctx context.Context, it *Item, prev *Manifest, rs []ManifestRecipient) (*Manifest, error) {
	m, err := c.nextManifest(ctx, it, prev, rs)
	if err != nil {
		return nil, err
	}
	if err := c.Transport.PutManifest(ctx, it.ID, m.Bytes()); err != nil {
		return nil, err
	}
	return m, c.saw(ctx, m)
}

// lockItem serialises this Client's reads and changes of one item's
// manifest, so that its own operations never race each other's pins or
// sequence numbers. Another device of the same user racing it gets
// ErrConflict from the Service.
func (c *Client) lockItem(id string) func() {
	v, _ := c.itemLocks.LoadOrStore(id, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
