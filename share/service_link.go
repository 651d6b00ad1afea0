package share

import (
	"context"
	"crypto/subtle"
	"io"
)

// CreateLink stores a public password link for an item and chains its
// event, together; owner only. An item has at most MaxLinksPerItem live
// links (ErrLimit).
func (s *Service) CreateLink(ctx context.Context, actor string, req *LinkRequest) error {
	if req == nil || req.Link == nil {
		return invalid("no link")
	}
	l := cloneLink(req.Link)
	l.Remaining, l.Failures = l.MaxDownloads, 0
	if err := l.Validate(); err != nil {
		return err
	}
	err := s.atomicCapped(ctx, []string{linksKey(l.Item)}, func(st Stores) error {
		it, err := ownedItem(ctx, st, actor, l.Item)
		if err != nil {
			return err
		}
		if l.Owner != actor {
			return ErrPermission
		}
		if l.Version != it.Version {
			return invalid("link for another version of the item")
		}
		if int64(l.Iterations) < minLinkIterations.Load() {
			return invalid("link KDF iterations below the floor")
		}
		now := s.now()
		if !l.Expires.After(now) || l.Expires.Sub(now) > MaxLinkTTL {
			return invalid("link expiry out of range")
		}
		if err := s.checkEvent(ctx, st, req.Event, ActionShare, actor, l.Item, l.ID); err != nil {
			return err
		}
		if err := s.auditRoom(ctx, st, l.Item); err != nil {
			return err
		}
		l.Created = now
		swept := false
		err = capped("live links per item", s.maxLinks(),
			func() (int, error) {
				n, err := liveLinks(ctx, st, l.Item, now, !swept)
				swept = true
				return n, err
			},
			func() error { return st.Links.CreateLink(ctx, l) })
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, st, req.Event) // no link without its event
	})
	if err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpCreateLink, Actor: actor, Owner: actor, Item: l.Item, Subject: l.ID, Version: l.Version, Time: l.Created})
	return nil
}

// CreateLink calls [Service.CreateLink] as l.Actor.
func (l Local) CreateLink(ctx context.Context, req *LinkRequest) error {
	return l.Service.CreateLink(ctx, l.Actor, req)
}

// openLink returns a link that may still be used.
func (s *Service) openLink(ctx context.Context, id string) (*Link, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	l, err := s.Stores.Links.Link(ctx, id)
	if err != nil {
		return nil, err
	}
	if l.Failures >= orDefault(s.MaxLinkFailures, DefaultMaxLinkFailures) {
		return nil, ErrLocked
	}
	if !s.now().Before(l.Expires) {
		return nil, ErrExpired
	}
	return l, nil
}

// LinkParams returns what a link opener needs to stretch the secret. It
// needs no authentication: the link ID is the capability to try.
func (s *Service) LinkParams(ctx context.Context, id string) (*LinkParams, error) {
	l, err := s.openLink(ctx, id)
	if err != nil {
		return nil, err
	}
	return l.Params(), nil
}

// LinkParams calls [Service.LinkParams]; no user acts.
func (l Local) LinkParams(ctx context.Context, id string) (*LinkParams, error) {
	return l.Service.LinkParams(ctx, id)
}

// AccessLink checks a link proof in constant time and, if it is right and
// the link is neither expired nor exhausted, takes one download atomically
// and returns the item record, the wrapped DEK and the payload. Each proof
// first reserves an attempt (LinkStore.ReserveAttempt), so that however
// many arrive at once at most MaxLinkFailures wrong ones are ever compared;
// a right proof gives its attempt back. The wrong proof that uses the last
// attempt, and every attempt after it, get ErrLocked. It needs no
// authentication.
func (s *Service) AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error) {
	l, err := s.openLink(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	max := orDefault(s.MaxLinkFailures, DefaultMaxLinkFailures)
	n, err := s.Stores.Links.ReserveAttempt(ctx, id, max)
	if err != nil {
		return nil, nil, err
	}
	if req == nil || subtle.ConstantTimeCompare(hashProof(req.Proof), l.VerifierHash) != 1 {
		if n >= max {
			return nil, nil, ErrLocked
		}
		return nil, nil, ErrBadProof
	}
	if err := s.Stores.Links.ReleaseAttempt(ctx, id); err != nil {
		return nil, nil, err
	}
	if l.Remaining <= 0 {
		return nil, nil, ErrExhausted
	}
	// The download taken and its attested event commit together.
	var it *Item
	var left int
	err = s.atomic(ctx, func(st Stores) error {
		var err error
		if it, err = st.Items.Item(ctx, l.Item); err != nil {
			return err
		}
		if it.Version != l.Version {
			return ErrNotFound // the item was rotated: this link's key is gone
		}
		if err := s.auditRoom(ctx, st, l.Item); err != nil {
			return err
		}
		if left, err = st.Links.ConsumeDownload(ctx, id, s.now()); err != nil {
			return err
		}
		return s.attest(ctx, st, id, l.Item)
	})
	if err != nil {
		return nil, nil, err
	}
	blob, err := s.Blobs.Get(ctx, it.BlobRef)
	if err != nil {
		return nil, nil, err
	}
	s.notify(ctx, Change{Op: OpLinkDownload, Actor: id, Owner: it.Owner, Item: it.ID, Subject: id, Version: it.Version, Size: it.Size})
	return &LinkGrant{Item: it, WrappedKey: l.WrappedKey, Remaining: left}, blob, nil
}

// AccessLink calls [Service.AccessLink]; no user acts.
func (l Local) AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error) {
	return l.Service.AccessLink(ctx, id, req)
}

// LinkOpener is what an anonymous link opener needs ([OpenLink]): no user
// acts in either call.
type LinkOpener interface {
	// LinkParams returns a link's KDF parameters ([Service.LinkParams]).
	LinkParams(ctx context.Context, id string) (*LinkParams, error)
	// AccessLink presents a link proof and returns the grant and payload
	// ([Service.AccessLink]).
	AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error)
}

// Links creates password links and opens them.
type Links interface {
	// CreateLink stores a password link ([Service.CreateLink]).
	CreateLink(ctx context.Context, req *LinkRequest) error
	LinkOpener
}
