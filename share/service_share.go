package share

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
)

// sharedItem checks what every share request must: the actor owns the
// item and the share, and does not share with itself. It returns the item.
func sharedItem(ctx context.Context, st Stores, actor string, sh *Share) (*Item, error) {
	it, err := ownedItem(ctx, st, actor, sh.Item)
	if err != nil {
		return nil, err
	}
	if sh.Owner != actor {
		return nil, ErrPermission
	}
	if sh.Recipient == actor {
		return nil, ErrSelfShare
	}
	return it, nil
}

// Share creates a direct share. Only the item's owner
// shares; sharing with yourself is ErrSelfShare, with an unknown user
// ErrNotFound, twice ErrExists, past MaxRecipients or a full audit chain
// ErrLimit. The key, the share record and the event commit together.
func (s *Service) Share(ctx context.Context, actor string, req *ShareRequest) error {
	if req == nil {
		return invalid("no share request")
	}
	if err := req.Validate(); err != nil {
		return err
	}
	sh, k := req.Share, req.Key
	var it *Item
	err := s.atomicCapped(ctx, []string{recipientsKey(sh.Item)}, func(st Stores) error {
		var err error
		if it, err = sharedItem(ctx, st, actor, sh); err != nil {
			return err
		}
		if sh.Mode != ModeDirect || k.Space != "" {
			return invalid("not a direct share")
		}
		if k.Item != sh.Item || k.Recipient != sh.Recipient || k.Version != it.Version {
			return invalid("wrapped key does not match the share")
		}
		if _, err := st.Users.User(ctx, sh.Recipient); err != nil {
			return err
		}
		if err := s.checkEvent(ctx, st, req.Event, ActionShare, actor, sh.Item, sh.Recipient); err != nil {
			return err
		}
		if len(req.Manifest) != 0 {
			if err := attachManifest(ctx, st, it, req.Manifest); err != nil {
				return err
			}
		}
		return s.createShare(ctx, st, sh, k, req.Event)
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpShare, Actor: actor, Owner: actor, Item: sh.Item, Subject: sh.Recipient, Version: it.Version})
	return nil
}

// Share calls [Service.Share] as l.Actor.
func (l Local) Share(ctx context.Context, req *ShareRequest) error {
	return l.Service.Share(ctx, l.Actor, req)
}

// createShare stores the recipient's key, under MaxRecipients, then the
// share record, and chains the share event, in the caller's transaction.
func (s *Service) createShare(ctx context.Context, st Stores, sh *Share, k *WrappedKey, ev *Event) error {
	if err := s.auditRoom(ctx, st, sh.Item); err != nil {
		return err
	}
	now := s.now()
	k, sh = cloneKey(k), cloneShare(sh)
	k.Created, sh.Created = now, now
	err := capped("recipients per item", s.maxRecipients(),
		func() (int, error) { return recipients(ctx, st, sh.Item, sh.Owner) },
		func() error { return st.Keys.PutKey(ctx, k) })
	if err != nil {
		return err
	}
	if err := st.Shares.CreateShare(ctx, sh); err != nil {
		return err
	}
	// A share whose event is not in the chain does not stay: an error
	// here rolls the key and the record back.
	return s.appendAudit(ctx, st, ev)
}

// Received lists the shares addressed to actor.
func (s *Service) Received(ctx context.Context, actor string) ([]*Share, error) {
	return s.Stores.Shares.SharesForRecipient(ctx, actor)
}

// Received calls [Service.Received] as l.Actor.
func (l Local) Received(ctx context.Context) ([]*Share, error) {
	return l.Service.Received(ctx, l.Actor)
}

// Revoke deletes recipient's wrapped key and share records for an item and
// chains the revoke event, together with the owner's next manifest of the
// item (without recipient; optional, SPEC.md §11); owner only. ErrNotFound
// if the item was not shared with recipient.
func (s *Service) Revoke(ctx context.Context, actor, item, recipient string, ev *Event, manifest []byte) error {
	if err := checkIDs(recipient); err != nil {
		return err
	}
	var it *Item
	err := s.atomic(ctx, func(st Stores) error {
		var err error
		if it, err = ownedItem(ctx, st, actor, item); err != nil {
			return err
		}
		if recipient == actor {
			return ErrSelfShare
		}
		if err := s.checkEvent(ctx, st, ev, ActionRevoke, actor, item, recipient); err != nil {
			return err
		}
		if err := dropRecipient(ctx, st, item, recipient); err != nil {
			return err
		}
		if len(manifest) != 0 {
			if err := attachManifest(ctx, st, it, manifest); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, st, ev)
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpRevoke, Actor: actor, Owner: actor, Item: item, Subject: recipient, Version: it.Version})
	return nil
}

// Revoke calls [Service.Revoke] as l.Actor.
func (l Local) Revoke(ctx context.Context, item, recipient string, ev *Event, manifest []byte) error {
	return l.Service.Revoke(ctx, l.Actor, item, recipient, ev, manifest)
}

// Invite stores an invitation from actor. Its token is only a hash here.
// A user keeps at most MaxInvitations (ErrLimit).
func (s *Service) Invite(ctx context.Context, actor string, in *Invitation) error {
	if in == nil {
		return invalid("no invitation")
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Inviter != actor {
		return ErrPermission
	}
	if in.Invitee == actor {
		return ErrSelfShare
	}
	if _, err := recipientFor(in.InviterKey); err != nil {
		return invalid("unusable inviter key")
	}
	now := s.now()
	if !in.Expires.After(now) || in.Expires.Sub(now) > MaxInvitationTTL {
		return invalid("invitation expiry out of range")
	}
	c := cloneInvitation(in)
	c.Used, c.Created = false, now
	err := s.atomicCapped(ctx, []string{invitationsKey(actor)}, func(st Stores) error {
		swept := false
		return capped("invitations per user", s.maxInvitations(),
			func() (int, error) {
				n, err := keptInvitations(ctx, st, actor, now, !swept)
				swept = true
				return n, err
			},
			func() error { return st.Invitations.CreateInvitation(ctx, c) })
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpInvite, Actor: actor, Subject: c.ID, Time: now})
	return nil
}

// Invite calls [Service.Invite] as l.Actor.
func (l Local) Invite(ctx context.Context, in *Invitation) error {
	return l.Service.Invite(ctx, l.Actor, in)
}

// Accept turns an invitation into a connection holding both public keys;
// the invitation is marked used and the connection created together.
// A wrong token is ErrBadProof, a late one ErrExpired, a second use ErrUsed.
func (s *Service) Accept(ctx context.Context, actor, id string, req *AcceptRequest) (*Connection, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	if req == nil || len(req.Token) == 0 || len(req.Token) > 256 {
		return nil, ErrBadProof
	}
	if err := req.Key.Validate(); err != nil {
		return nil, err
	}
	if _, err := recipientFor(req.Key); err != nil {
		return nil, invalid("unusable invitee key")
	}
	var c *Connection
	err := s.atomic(ctx, func(st Stores) error {
		in, err := st.Invitations.Invitation(ctx, id)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(HashInvitationToken(id, req.Token), in.TokenHash) != 1 {
			return ErrBadProof
		}
		if in.Inviter == actor {
			return ErrSelfShare
		}
		if in.Invitee != "" && in.Invitee != actor {
			return ErrPermission
		}
		if !s.now().Before(in.Expires) {
			return ErrExpired
		}
		if in.Used {
			return ErrUsed
		}
		if err := st.Invitations.UseInvitation(ctx, id); err != nil {
			if errors.Is(err, ErrConflict) {
				return ErrUsed
			}
			return err
		}
		c = &Connection{ID: id, Inviter: in.Inviter, Invitee: actor,
			InviterKey: clonePub(in.InviterKey), InviteeKey: clonePub(req.Key), Created: s.now()}
		return st.Connections.CreateConnection(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, Change{Op: OpAccept, Actor: actor, Subject: id, Time: c.Created})
	return cloneConnection(c), nil
}

// Accept calls [Service.Accept] as l.Actor.
func (l Local) Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error) {
	return l.Service.Accept(ctx, l.Actor, id, req)
}

// Connection returns a connection to either party.
func (s *Service) Connection(ctx context.Context, actor, id string) (*Connection, error) {
	return connection(ctx, s.Stores, actor, id)
}

// Connection calls [Service.Connection] as l.Actor.
func (l Local) Connection(ctx context.Context, id string) (*Connection, error) {
	return l.Service.Connection(ctx, l.Actor, id)
}

func connection(ctx context.Context, st Stores, actor, id string) (*Connection, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	c, err := st.Connections.Connection(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Inviter != actor && c.Invitee != actor {
		return nil, ErrPermission
	}
	return c, nil
}

// ShareToSpace creates a share through an encryption space:
// the owner of the item, a party to the connection, shares with the other
// party. A new space counts against the sharer's MaxSpaces (ErrLimit). The
// space, the key, the share record and the event commit together.
func (s *Service) ShareToSpace(ctx context.Context, actor string, req *SpaceShareRequest) error {
	if req == nil {
		return invalid("no space share request")
	}
	if err := req.Validate(); err != nil {
		return err
	}
	sh := req.Share
	var it *Item
	keys := []string{recipientsKey(sh.Item)}
	if req.Space != nil {
		keys = append(keys, spacesKey(actor))
	}
	err := s.atomicCapped(ctx, keys, func(st Stores) error {
		var err error
		it, err = s.spaceShare(ctx, st, actor, req)
		return err
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpShare, Actor: actor, Owner: actor, Item: sh.Item, Subject: sh.Recipient, Version: it.Version})
	return nil
}

// ShareToSpace calls [Service.ShareToSpace] as l.Actor.
func (l Local) ShareToSpace(ctx context.Context, req *SpaceShareRequest) error {
	return l.Service.ShareToSpace(ctx, l.Actor, req)
}

// spaceShare is ShareToSpace inside its transaction.
func (s *Service) spaceShare(ctx context.Context, st Stores, actor string, req *SpaceShareRequest) (*Item, error) {
	sh, k := req.Share, req.Key
	it, err := sharedItem(ctx, st, actor, sh)
	if err != nil {
		return nil, err
	}
	conn, err := connection(ctx, st, actor, sh.Connection)
	if err != nil {
		return nil, err
	}
	if other := map[bool]string{true: conn.Invitee, false: conn.Inviter}[conn.Inviter == actor]; other != sh.Recipient {
		return nil, invalid("the recipient is not the other party of the connection")
	}
	space := req.Space
	if space != nil {
		if space.ID != sh.Space || space.Connection != conn.ID || space.Sharer != actor ||
			space.Recipient != sh.Recipient || len(space.ClaimedKey) != 0 {
			return nil, invalid("space does not match the share")
		}
	} else {
		if space, err = st.Spaces.Space(ctx, sh.Space); err != nil {
			return nil, err
		}
		if space.Sharer != actor || space.Recipient != sh.Recipient || space.Connection != conn.ID {
			return nil, ErrPermission
		}
	}
	if k.Item != sh.Item || k.Recipient != sh.Recipient || k.Version != it.Version || k.Space != sh.Space {
		return nil, invalid("wrapped key does not match the share")
	}
	switch sh.Mode {
	case ModeWrap:
		if len(k.Record) == 0 {
			return nil, invalid("vault-mode share without a wrapped key")
		}
	case ModeReencrypt:
		if len(k.Record) != 0 {
			return nil, invalid("a re-encrypted share's key is the space key")
		}
		if _, err := ownedItem(ctx, st, actor, sh.SourceItem); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("not a space share")
	}
	if err := s.checkEvent(ctx, st, req.Event, ActionShare, actor, sh.Item, sh.Recipient); err != nil {
		return nil, err
	}
	if req.Space != nil {
		c := cloneSpace(space)
		c.Created = s.now()
		err := capped("encryption spaces per user", s.maxSpaces(),
			func() (int, error) { return spacesOf(ctx, st, actor) },
			func() error { return st.Spaces.CreateSpace(ctx, c) })
		if err != nil {
			return nil, err
		}
	}
	if len(req.Manifest) != 0 {
		if err := attachManifest(ctx, st, it, req.Manifest); err != nil {
			return nil, err
		}
	}
	return it, s.createShare(ctx, st, sh, k, req.Event)
}

// Space returns an encryption space to its sharer or recipient.
func (s *Service) Space(ctx context.Context, actor, id string) (*Space, error) {
	return space(ctx, s.Stores, actor, id)
}

// Space calls [Service.Space] as l.Actor.
func (l Local) Space(ctx context.Context, id string) (*Space, error) {
	return l.Service.Space(ctx, l.Actor, id)
}

func space(ctx context.Context, st Stores, actor, id string) (*Space, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	sp, err := st.Spaces.Space(ctx, id)
	if err != nil {
		return nil, err
	}
	if sp.Sharer != actor && sp.Recipient != actor {
		return nil, ErrPermission
	}
	return sp, nil
}

// Claim stores the recipient's rewrap of a space key under its own KEK;
// once only (ErrConflict after).
func (s *Service) Claim(ctx context.Context, actor, id string, record []byte) error {
	err := s.atomic(ctx, func(st Stores) error {
		sp, err := space(ctx, st, actor, id)
		if err != nil {
			return err
		}
		if sp.Recipient != actor {
			return ErrPermission
		}
		if len(record) == 0 || len(record) > MaxWrappedKey {
			return invalid("claimed key size")
		}
		return st.Spaces.ClaimSpace(ctx, id, slices.Clone(record))
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpClaim, Actor: actor, Subject: id})
	return nil
}

// Claim calls [Service.Claim] as l.Actor.
func (l Local) Claim(ctx context.Context, space string, record []byte) error {
	return l.Service.Claim(ctx, l.Actor, space, record)
}

// Shares grants, lists and revokes direct shares.
type Shares interface {
	// Share grants a recipient a wrapped key ([Service.Share]).
	Share(ctx context.Context, req *ShareRequest) error
	// Received lists the shares made to the acting user ([Service.Received]).
	Received(ctx context.Context) ([]*Share, error)
	// Revoke removes a recipient's access and stores the owner's next
	// manifest, if not nil ([Service.Revoke]).
	Revoke(ctx context.Context, item, recipient string, ev *Event, manifest []byte) error
}

// Connections makes connections by invitation and shares through their
// encryption spaces.
type Connections interface {
	// Invite stores an invitation ([Service.Invite]).
	Invite(ctx context.Context, in *Invitation) error
	// Accept turns an invitation into a connection ([Service.Accept]).
	Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error)
	// Connection returns a connection record ([Service.Connection]).
	Connection(ctx context.Context, id string) (*Connection, error)
	// ShareToSpace shares an item through a connection ([Service.ShareToSpace]).
	ShareToSpace(ctx context.Context, req *SpaceShareRequest) error
	// Space returns an encryption space ([Service.Space]).
	Space(ctx context.Context, id string) (*Space, error)
	// Claim stores the recipient's claim of a space ([Service.Claim]).
	Claim(ctx context.Context, space string, record []byte) error
}
