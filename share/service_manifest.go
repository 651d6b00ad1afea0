package share

import (
	"bytes"
	"context"
)

// PutManifest attaches the owner's signed manifest to the current version
// of an item actor owns (SPEC.md §11): after an upload, once the payload's
// hash is known. The Service checks its shape only ([attachManifest]);
// recipients verify the signature.
func (s *Service) PutManifest(ctx context.Context, actor, item string, manifest []byte) error {
	var it *Item
	err := s.atomic(ctx, func(st Stores) error {
		var err error
		if it, err = ownedItem(ctx, st, actor, item); err != nil {
			return err
		}
		return attachManifest(ctx, st, it, manifest)
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpPutManifest, Actor: actor, Owner: actor, Item: item, Version: it.Version, Time: s.now()})
	return nil
}

// PutManifest calls [Service.PutManifest] as l.Actor.
func (l Local) PutManifest(ctx context.Context, item string, manifest []byte) error {
	return l.Service.PutManifest(ctx, l.Actor, item, manifest)
}

// attachManifest stores manifest in the record of it (read in this
// transaction) if it parses, describes the record (ID, owner, version,
// header hash, payload hash and size: ErrInvalid otherwise) and follows
// the stored one (a greater Seq: ErrConflict otherwise).
func attachManifest(ctx context.Context, st Stores, it *Item, manifest []byte) error {
	m, err := ParseManifest(manifest)
	if err != nil {
		return invalid("manifest: %v", err)
	}
	if err := m.Describes(it); err != nil {
		return invalid("manifest: %v", err)
	}
	if len(it.Manifest) != 0 {
		if old, err := ParseManifest(it.Manifest); err == nil && old.Seq >= m.Seq {
			return ErrConflict
		}
	}
	c := cloneItem(it)
	c.Manifest = bytes.Clone(manifest)
	return st.Items.UpdateItem(ctx, c, it.Version)
}
