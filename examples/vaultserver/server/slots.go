package server

import (
	"context"
	"errors"
	"time"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/storageauth"
)

// Anyone can make a storageauth slot ID and fill its slot, without an
// account, so the server bounds new slots three ways (API.md, "Rate limits
// and quotas"): storageauth's own cap on a record's size, Config.SlotRate
// per client address, and Config.MaxSlots in all. Updating a slot that
// holds a record is not limited: it replaces the record.

// The slot count is a durable counter (counter.go) shared by every server
// process over one database. It counts slots created since it was
// introduced; slots are never deleted, so it only grows.
const idSlotCount = "vault/storageauth/slots"

// slotRateLimited is storageauth.ErrRateLimited with the wait before a
// retry, which storageauth sends as Retry-After.
type slotRateLimited struct{ wait time.Duration }

func (e *slotRateLimited) Error() string             { return storageauth.ErrRateLimited.Error() }
func (e *slotRateLimited) Unwrap() error             { return storageauth.ErrRateLimited }
func (e *slotRateLimited) RetryAfter() time.Duration { return e.wait }

// allowSlot is storageauth's AllowCreate: one token of the client's
// address, then one place under MaxSlots.
func (s *Server) allowSlot(ctx context.Context, _ string) error {
	addr, ok := httplimit.ClientAddrFrom(ctx)
	if !ok {
		return errors.New("vault: slot creation without a client address")
	}
	if ok, wait := s.slotRate.Allow(addr); !ok {
		return &slotRateLimited{wait}
	}
	return s.reserveSlot(ctx)
}

// reserveSlot adds one to the slot count, or fails with ErrFull at
// MaxSlots. A creation that then fails (a lost race for the same slot)
// keeps its place: the count errs towards refusing.
func (s *Server) reserveSlot(ctx context.Context) error {
	err := s.slotCount.add(ctx, s.cfg.Stores.Records, s.cfg.MaxSlots, storageauth.ErrFull)
	if errors.Is(err, errCounterBusy) {
		return &slotRateLimited{time.Second} // other processes are creating slots
	}
	return err
}
