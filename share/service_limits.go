package share

import (
	"context"
	"fmt"
	"time"
)

// Default storage caps of a Service (SPEC.md "Storage limits"). Together
// with the record size limits they bound what one user can make the
// registries hold; quotas on items and payloads are the server's.
const (
	// DefaultMaxLinksPerItem caps an item's live links.
	DefaultMaxLinksPerItem = 100
	// DefaultMaxRecipients caps the users an item is shared with.
	DefaultMaxRecipients = 1000
	// DefaultMaxInvitations caps the invitations a user keeps.
	DefaultMaxInvitations = 1000
	// DefaultMaxSpaces caps the encryption spaces a user keeps.
	DefaultMaxSpaces = 1000
)

func (s *Service) maxLinks() int { return orDefault(s.MaxLinksPerItem, DefaultMaxLinksPerItem) }

// maxRecipients is at most maxKeysPerItem−1, so that a rotation can still
// carry the owner's key and every recipient's in one upload.
func (s *Service) maxRecipients() int {
	return min(orDefault(s.MaxRecipients, DefaultMaxRecipients), maxKeysPerItem-1)
}

func (s *Service) maxInvitations() int { return orDefault(s.MaxInvitations, DefaultMaxInvitations) }
func (s *Service) maxSpaces() int      { return orDefault(s.MaxSpaces, DefaultMaxSpaces) }

func limitError(what string, max int) error {
	return fmt.Errorf("%w: at most %d %s", ErrLimit, max, what)
}

// capped creates one record under a cap: it refuses if count is already at
// max, creates the record, then counts again and undoes its own create if
// concurrent creates took the count past max. So however many calls race,
// no more than max records remain once they return (a call may be refused
// that would have fit alone), and only for the moment between a create and
// its undo do the stores hold more: at most max plus the calls in flight.
// That needs a listing to reflect every create that completed before it
// began, as Memory's and the SQL backends' do.
func capped(what string, max int, count func() (int, error), create func() error, undo func()) error {
	n, err := count()
	if err != nil {
		return err
	}
	if n >= max {
		return limitError(what, max)
	}
	if err := create(); err != nil {
		return err
	}
	if n, err = count(); err != nil || n > max {
		undo()
		if err != nil {
			return err
		}
		return limitError(what, max)
	}
	return nil
}

// liveLinks counts an item's links that can still be used (not expired,
// downloads left). With sweep it first removes the others: nothing can
// open them again, and they would otherwise stay stored for ever.
func (s *Service) liveLinks(ctx context.Context, item string, now time.Time, sweep bool) (int, error) {
	links, err := s.Stores.Links.LinksForItem(ctx, item)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range links {
		if now.Before(l.Expires) && l.Remaining > 0 {
			n++
		} else if sweep {
			s.Stores.Links.DeleteLink(ctx, l.ID)
		}
	}
	return n, nil
}

// recipients counts the users other than owner holding a key for item.
func (s *Service) recipients(ctx context.Context, item, owner string) (int, error) {
	keys, err := s.Stores.Keys.KeysForItem(ctx, item)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if k.Recipient != owner {
			n++
		}
	}
	return n, nil
}

// keptInvitations counts inviter's invitations that are outstanding (not
// expired) or used (each is a connection). With sweep it first removes the
// expired unused ones, which nobody can accept any more.
func (s *Service) keptInvitations(ctx context.Context, inviter string, now time.Time, sweep bool) (int, error) {
	ins, err := s.Stores.Invitations.InvitationsFrom(ctx, inviter)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range ins {
		if in.Used || now.Before(in.Expires) {
			n++
		} else if sweep {
			s.Stores.Invitations.DeleteInvitation(ctx, in.ID)
		}
	}
	return n, nil
}

func (s *Service) spacesOf(ctx context.Context, sharer string) (int, error) {
	sps, err := s.Stores.Spaces.SpacesFrom(ctx, sharer)
	return len(sps), err
}

// dropSpace removes a space no share names any more; a space is reusable
// across items, so one of recipient's other shares may still name it.
func (s *Service) dropSpace(ctx context.Context, space, recipient string) {
	shares, err := s.Stores.Shares.SharesForRecipient(ctx, recipient)
	if err != nil {
		return
	}
	for _, sh := range shares {
		if sh.Space == space {
			return
		}
	}
	s.Stores.Spaces.DeleteSpace(ctx, space)
}
