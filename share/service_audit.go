package share

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// maxAuditRetries bounds how often a transaction that lost an audit
// append is run again.
const maxAuditRetries = 16

// DownloadAuditWindow bounds download entries: a user's downloads of one
// item are chained at most once per window (the first in it); repeats are
// served without a new entry, so a user who downloads in a loop cannot grow
// the chain faster than one entry per hour.
const DownloadAuditWindow = time.Hour

// MaxAuditPage caps the entries of one audit page (Service.Audit).
const MaxAuditPage = 1000

// DefaultMaxAuditChain caps the entries of one item's chain chained by
// events that grant or use access (Service.MaxAuditChain). It leaves room
// below MaxAuditEntries for the revoke and delete events chained past it,
// so that Client.Audit can still read and verify a whole chain.
const DefaultMaxAuditChain = MaxAuditEntries - maxKeysPerItem

func (s *Service) maxAuditChain() uint64 {
	return uint64(min(orDefault(s.MaxAuditChain, DefaultMaxAuditChain), DefaultMaxAuditChain))
}

// pastCap reports whether an event of action is chained even when the
// chain is full: a revoke or a delete removes access, so the owner can
// always make one. Once no share can be added there is at most one revoke
// per recipient (MaxRecipients) and one delete.
func pastCap(action string) bool { return action == ActionRevoke || action == ActionDelete }

// auditRoom returns ErrLimit if item's chain is full, checked before a
// share, link or link download stores anything.
func (s *Service) auditRoom(ctx context.Context, st Stores, item string) error {
	head, err := st.Audit.AuditHead(ctx, item)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case head.Seq >= s.maxAuditChain():
		return limitError("audit entries per item", int(s.maxAuditChain()))
	}
	return nil
}

// chainDownload chains a checked download event if it is the actor's first
// of the item in DownloadAuditWindow. A refused download is not served, and
// its transaction takes the claim back, so the next one is chained.
func (s *Service) chainDownload(ctx context.Context, st Stores, ev *Event) error {
	chain, err := st.Audit.ClaimDownload(ctx, ev.Item, ev.Actor, s.now(), DownloadAuditWindow)
	if err != nil || !chain {
		return err
	}
	err = s.appendAudit(ctx, st, ev)
	if errors.Is(err, ErrLimit) {
		// A full chain must not lock key holders out of their files: the
		// download is served unrecorded, and the claim stays so that the
		// next ones in the window do not try again (SPEC §9).
		return nil
	}
	return err
}

// withinWindow reports whether a download claimed at last still covers one
// at now. A claim in the future (a clock set back) covers nothing.
func withinWindow(last, now time.Time, window time.Duration) bool {
	d := now.Sub(last)
	return d >= 0 && d < window
}

// checkEvent checks that ev is the signed event for this request.
func (s *Service) checkEvent(ctx context.Context, st Stores, ev *Event, action, actor, item, subject string) error {
	if ev == nil {
		return invalid("a signed audit event is required")
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	if ev.Action != action || ev.Actor != actor || ev.Item != item || ev.Subject != subject {
		return invalid("audit event does not describe this request")
	}
	skew := orDefault(s.EventSkew, DefaultEventSkew)
	if d := s.now().Sub(ev.Time); d > skew || d < -skew {
		return invalid("audit event time too far from the server's")
	}
	pub, err := signingKey(ctx, st, actor)
	if err != nil {
		return err
	}
	if !ev.Verify(pub) {
		return fmt.Errorf("%w: audit event signature", ErrPermission)
	}
	return nil
}

// attest chains a server-attested (unsigned) link-download event.
func (s *Service) attest(ctx context.Context, st Stores, link, item string) error {
	ev := &Event{Action: ActionLinkDownload, Actor: link, Item: item, Subject: link,
		Time: s.now(), Nonce: make([]byte, NonceSize)}
	rand.Read(ev.Nonce)
	return s.appendAudit(ctx, st, ev)
}

// appendAudit chains ev after the head of its item's chain. It runs inside
// a transaction: a lost compare-and-swap is errAuditRace, on which atomic
// runs the whole transaction again.
func (s *Service) appendAudit(ctx context.Context, st Stores, ev *Event) error {
	e := &AuditEntry{Seq: 1, Prev: genesis(ev.Item), Event: *ev}
	head, err := st.Audit.AuditHead(ctx, ev.Item)
	switch {
	case err == nil:
		e.Seq, e.Prev = head.Seq+1, head.Hash
	case !errors.Is(err, ErrNotFound):
		return err
	}
	// The compare-and-swap fixes Seq, so no entry past the cap is ever
	// chained but a revoke or a delete.
	if e.Seq > s.maxAuditChain() && !pastCap(ev.Action) {
		return limitError("audit entries per item", int(s.maxAuditChain()))
	}
	e.Hash = e.ComputeHash()
	err = st.Audit.AppendAudit(ctx, e)
	if errors.Is(err, ErrConflict) {
		return errAuditRace
	}
	return err
}

// Audit returns a page of an item's audit chain to its owner: up to limit
// entries (1 to MaxAuditPage; 0 means MaxAuditPage) with Seq greater than
// after, oldest first. A page shorter than limit is the last. The chain of a
// deleted item stays readable by the owner its tombstone names, and by
// nobody else.
func (s *Service) Audit(ctx context.Context, actor, item string, after uint64, limit int) ([]*AuditEntry, error) {
	if err := checkIDs(item); err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = MaxAuditPage
	}
	if limit < 0 || limit > MaxAuditPage {
		return nil, invalid("audit page limit out of range")
	}
	it, err := s.Stores.Items.Item(ctx, item)
	switch {
	case err == nil:
		if it.Owner != actor {
			return nil, ErrPermission
		}
	case errors.Is(err, ErrNotFound):
		owner, err := s.Stores.Items.DeletedItem(ctx, item)
		if err != nil {
			return nil, err
		}
		if owner != actor {
			return nil, ErrPermission
		}
	default:
		return nil, err
	}
	return s.Stores.Audit.AuditEntries(ctx, item, after, limit)
}

// Audit calls [Service.Audit] as l.Actor.
func (l Local) Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	return l.Service.Audit(ctx, l.Actor, item, after, limit)
}
