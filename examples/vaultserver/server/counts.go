package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/storageauth"
)

// The server's durable counts, kept in the keystore under counterOwner (no
// user can have it: share.ValidID refuses ""), so that they survive
// restarts and are shared by every process over one database. They only
// grow: accounts and storageauth slots are never deleted.
const (
	counterOwner = ""
	idUserCount  = "vault/users"
	idSlotCount  = "vault/storageauth/slots"
)

// DefaultMaxUsers caps the accounts of a server when Config.MaxUsers is 0.
// With DefaultQuota each, that bounds charged storage at about 10 TiB.
const DefaultMaxUsers = 10_000

// errCountBusy: another process changed the count in the meantime.
var errCountBusy = errors.New("vault: count busy")

// addCount adds one to the count id in ks (a transaction's keystore), or
// returns full at max.
func addCount(ctx context.Context, ks keystore.Store, id string, max int64, full error) error {
	e, err := ks.Get(ctx, counterOwner, id)
	var n int64
	switch {
	case errors.Is(err, keystore.ErrNotFound):
	case err != nil:
		return err
	default:
		if n, err = strconv.ParseInt(string(e.Data), 10, 64); err != nil || n < 0 {
			return errors.New("vault: count record " + id + " is damaged")
		}
	}
	if n >= max {
		return full
	}
	next := []byte(strconv.FormatInt(n+1, 10))
	if e.Version == 0 {
		_, err = ks.Put(ctx, counterOwner, id, next)
	} else {
		_, err = ks.Update(ctx, counterOwner, id, e.Version, next)
	}
	if errors.Is(err, keystore.ErrExists) || errors.Is(err, keystore.ErrConflict) {
		return errCountBusy
	}
	return err
}

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
	err := s.cfg.Stores.Atomic(ctx, func(tx *backend.Stores) error {
		return addCount(ctx, tx.Keystore, idSlotCount, s.cfg.MaxSlots, storageauth.ErrFull)
	})
	if errors.Is(err, errCountBusy) {
		return slotRateLimited(time.Second) // other processes are creating slots
	}
	return err
}
