package share

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// maxAuditRetries bounds the compare-and-swap loop of one append.
const maxAuditRetries = 16

// audit checks that ev is the signed event for this request and chains it
// into the item's log.
func (s *Service) audit(ctx context.Context, ev *Event, action, actor, item, subject string) error {
	if err := s.checkEvent(ctx, ev, action, actor, item, subject); err != nil {
		return err
	}
	return s.appendAudit(ctx, ev)
}

// checkEvent checks that ev is the signed event for this request.
func (s *Service) checkEvent(ctx context.Context, ev *Event, action, actor, item, subject string) error {
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
	pub, err := s.signingKey(ctx, actor)
	if err != nil {
		return err
	}
	if !ev.Verify(pub) {
		return fmt.Errorf("%w: audit event signature", ErrPermission)
	}
	return nil
}

// attest chains a server-attested (unsigned) link-download event.
func (s *Service) attest(ctx context.Context, link, item string) error {
	ev := &Event{Action: ActionLinkDownload, Actor: link, Item: item, Subject: link,
		Time: s.now(), Nonce: make([]byte, NonceSize)}
	rand.Read(ev.Nonce)
	return s.appendAudit(ctx, ev)
}

func (s *Service) appendAudit(ctx context.Context, ev *Event) error {
	for range maxAuditRetries {
		e := &AuditEntry{Seq: 1, Prev: genesis(ev.Item), Event: *ev}
		head, err := s.Stores.Audit.AuditHead(ctx, ev.Item)
		switch {
		case err == nil:
			e.Seq, e.Prev = head.Seq+1, head.Hash
		case !errors.Is(err, ErrNotFound):
			return err
		}
		e.Hash = e.ComputeHash()
		err = s.Stores.Audit.AppendAudit(ctx, e)
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("%w: audit log busy", ErrConflict)
}

// Audit returns an item's audit chain, oldest first, to its owner.
func (s *Service) Audit(ctx context.Context, actor, item string) ([]*AuditEntry, error) {
	if err := checkIDs(item); err != nil {
		return nil, err
	}
	it, err := s.Stores.Items.Item(ctx, item)
	switch {
	case err == nil:
		if it.Owner != actor {
			return nil, ErrPermission
		}
	case errors.Is(err, ErrNotFound):
		// A deleted item's chain stays readable by whoever deleted it.
		entries, lerr := s.Stores.Audit.AuditEntries(ctx, item)
		if lerr != nil {
			return nil, lerr
		}
		n := len(entries)
		if n == 0 {
			return nil, ErrNotFound
		}
		if last := entries[n-1].Event; last.Action != ActionDelete || last.Actor != actor {
			return nil, ErrPermission
		}
		return entries, nil
	default:
		return nil, err
	}
	return s.Stores.Audit.AuditEntries(ctx, item)
}
