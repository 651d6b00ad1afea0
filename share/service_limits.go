package share

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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

// capped creates one record under a cap, inside the caller's transaction:
// it refuses if count is already at max, creates the record, then counts
// again and refuses if the count went past max, which rolls its own create
// back with the transaction. The caller holds the set's capLocks lock, so
// within one process no concurrent create of the set runs; across
// processes only serialised transactions (SQLite's) make it exact
// (SPEC.md "Concurrency").
func capped(what string, max int, count func() (int, error), create func() error) error {
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
	if n, err = count(); err != nil {
		return err
	}
	if n > max {
		return limitError(what, max)
	}
	return nil
}

// liveLinks counts an item's links that can still be used (not expired,
// downloads left). With sweep it first removes the others: nothing can
// open them again, and they would otherwise stay stored for ever.
func liveLinks(ctx context.Context, st Stores, item string, now time.Time, sweep bool) (int, error) {
	links, err := st.Links.LinksForItem(ctx, item)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range links {
		if now.Before(l.Expires) && l.Remaining > 0 {
			n++
		} else if sweep {
			if err := st.Links.DeleteLink(ctx, l.ID); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// recipients counts the users other than owner holding a key for item.
func recipients(ctx context.Context, st Stores, item, owner string) (int, error) {
	keys, err := st.Keys.KeysForItem(ctx, item)
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
func keptInvitations(ctx context.Context, st Stores, inviter string, now time.Time, sweep bool) (int, error) {
	ins, err := st.Invitations.InvitationsFrom(ctx, inviter)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range ins {
		if in.Used || now.Before(in.Expires) {
			n++
		} else if sweep {
			if err := st.Invitations.DeleteInvitation(ctx, in.ID); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func spacesOf(ctx context.Context, st Stores, sharer string) (int, error) {
	sps, err := st.Spaces.SpacesFrom(ctx, sharer)
	return len(sps), err
}

// dropSpace removes a space no share names any more; a space is reusable
// across items, so one of recipient's other shares may still name it.
func dropSpace(ctx context.Context, st Stores, space, recipient string) error {
	shares, err := st.Shares.SharesForRecipient(ctx, recipient)
	if err != nil {
		return err
	}
	for _, sh := range shares {
		if sh.Space == space {
			return nil
		}
	}
	err = st.Spaces.DeleteSpace(ctx, space)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// capLocks serialises, within one process, the count-then-create of each
// capped set: an item's recipients or live links, a user's invitations or
// spaces. A transaction alone does not, where transactions do not see each
// other's uncommitted creates (PostgreSQL's READ COMMITTED): two of them
// could each count max−1 and both commit. Across processes sharing one
// database it holds nothing (SPEC.md "Concurrency").
type capLocks struct {
	mu sync.Mutex
	m  map[string]*capLock
}

type capLock struct {
	mu   sync.Mutex
	refs int // holders and waiters; the entry goes when it drops to 0
}

// The key of each capped set.
func recipientsKey(item string) string  { return "recipients/" + item }
func linksKey(item string) string       { return "links/" + item }
func invitationsKey(user string) string { return "invitations/" + user }
func spacesKey(user string) string      { return "spaces/" + user }

// lock takes the locks of keys, in byte order so that two callers never
// wait on each other; call the function it returns to release them.
func (l *capLocks) lock(keys ...string) (unlock func()) {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	held := make([]*capLock, len(keys))
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*capLock{}
	}
	for i, k := range keys {
		e := l.m[k]
		if e == nil {
			e = &capLock{}
			l.m[k] = e
		}
		e.refs++
		held[i] = e
	}
	l.mu.Unlock()
	for _, e := range held {
		e.mu.Lock()
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, e := range held {
			e.mu.Unlock()
			if e.refs--; e.refs == 0 {
				delete(l.m, keys[i])
			}
		}
	}
}

// atomicCapped is atomic under the capLocks of keys, the capped sets fn
// adds to.
func (s *Service) atomicCapped(ctx context.Context, keys []string, fn func(st Stores) error) error {
	defer s.caps.lock(keys...)()
	return s.atomic(ctx, fn)
}
