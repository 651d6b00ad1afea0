package server

import (
	"context"
	"errors"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/storageauth"
)

// idSlotCount is the durable count of storageauth slots
// (backend.Stores.Increment): shared by every process over one database,
// kept across restarts. It only grows: slots are never deleted.
const idSlotCount = "vault/storageauth/slots"

// Anyone can make a storageauth slot ID and fill its slot, without an
// account, so the server bounds new slots three ways (API.md, "Rate limits
// and quotas"): storageauth's own cap on a record's size, Config.SlotRate
// per client address, and Config.MaxSlots in all. Updating a slot that
// holds a record is not limited: it replaces the record.

// slotRateLimited is storageauth.ErrRateLimited with the wait before a
// retry, which storageauth sends as Retry-After.
func slotRateLimited(wait time.Duration) error {
	return &httplimit.RetryError{Err: storageauth.ErrRateLimited, Wait: wait}
}

// allowSlot is storageauth's AllowCreate: one token of the client's
// address, then one place under MaxSlots. A creation that then fails (a
// lost race for the same slot) keeps its place: the count errs towards
// refusing.
func (s *Server) allowSlot(ctx context.Context, _ string) error {
	addr, ok := httplimit.ClientAddrFrom(ctx)
	if !ok {
		return errors.New("vault: slot creation without a client address")
	}
	if ok, wait := s.slotRate.Allow(addr); !ok {
		return slotRateLimited(wait)
	}
	switch err := s.cfg.Stores.Increment(ctx, idSlotCount, s.cfg.MaxSlots); {
	case errors.Is(err, backend.ErrCounterFull):
		return storageauth.ErrFull
	case errors.Is(err, backend.ErrCounterBusy):
		return slotRateLimited(time.Second) // other processes are creating slots
	default:
		return err
	}
}
