package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/storageauth"
)

// Anyone can make a storageauth slot ID and fill its slot, without an
// account, so the server bounds new slots three ways (API.md, "Rate limits
// and quotas"): storageauth's own cap on a record's size, Config.SlotRate
// per client address, and Config.MaxSlots in all. Updating a slot that
// holds a record is not limited: it replaces the record.

// The slot count is kept in Stores.Records under an owner no user can have
// (share.ValidID refuses ""), so it survives restarts and is shared by
// every server process over one database. It counts slots created since it
// was introduced; slots are never deleted, so it only grows.
const (
	slotCountOwner = ""
	idSlotCount    = "vault/storageauth/slots"
	// slotCountTries bounds compare-and-swap retries against other
	// processes (this one serialises its own updates).
	slotCountTries = 8
)

// slotRateLimited is storageauth.ErrRateLimited with the wait before a
// retry, which storageauth sends as Retry-After.
type slotRateLimited struct{ wait time.Duration }

func (e *slotRateLimited) Error() string             { return storageauth.ErrRateLimited.Error() }
func (e *slotRateLimited) Unwrap() error             { return storageauth.ErrRateLimited }
func (e *slotRateLimited) RetryAfter() time.Duration { return e.wait }

// allowSlot is storageauth's AllowCreate: one token of the client's
// address, then one place under MaxSlots.
func (s *Server) allowSlot(ctx context.Context, _ string) error {
	addr, ok := clientAddrFrom(ctx)
	if !ok {
		return errors.New("vault: slot creation without a client address")
	}
	if ok, wait := s.slotRate.allow(addr); !ok {
		return &slotRateLimited{wait}
	}
	return s.reserveSlot(ctx)
}

// reserveSlot adds one to the slot count, or fails with ErrFull at
// MaxSlots. A creation that then fails (a lost race for the same slot)
// keeps its place: the count errs towards refusing.
func (s *Server) reserveSlot(ctx context.Context) error {
	s.slotMu.Lock()
	defer s.slotMu.Unlock()
	recs := s.cfg.Stores.Records
	for range slotCountTries {
		e, err := recs.Get(ctx, slotCountOwner, idSlotCount)
		var n int64
		switch {
		case errors.Is(err, keystore.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.ParseInt(string(e.Data), 10, 64); err != nil || n < 0 {
				return errors.New("vault: slot count record is damaged")
			}
		}
		if n >= s.cfg.MaxSlots {
			return storageauth.ErrFull
		}
		next := []byte(strconv.FormatInt(n+1, 10))
		if e.Version == 0 {
			_, err = recs.Put(ctx, slotCountOwner, idSlotCount, next)
		} else {
			_, err = recs.Update(ctx, slotCountOwner, idSlotCount, e.Version, next)
		}
		if !errors.Is(err, keystore.ErrExists) && !errors.Is(err, keystore.ErrConflict) {
			return err
		}
	}
	return &slotRateLimited{time.Second} // busy: other processes are creating slots
}
