package server

import (
	"context"
	"errors"
	"time"

	"github.com/sealkit/sealkit/share"
)

// DefaultMaxItems is the items a user may own when Config.MaxItems is 0.
const DefaultMaxItems = 10_000

// quota is the share Service's Quota: Config.Quota bytes and
// Config.MaxItems items for every user. Uploads past it are refused
// before any payload byte is written (share SPEC.md, "Quota").
func (s *Server) quota(context.Context, string) (share.Usage, error) {
	return share.Usage{Bytes: s.cfg.Quota, Items: int64(s.cfg.MaxItems)}, nil
}

// orphanTimeout bounds the retried delete of an orphaned blob.
const orphanTimeout = 10 * time.Second

// notify is the Service's Notify. It acts on one operation: a blob whose
// delete failed is deleted once more, and logged (its key is no secret)
// if that fails too, for the operator to remove.
func (s *Server) notify(ctx context.Context, c *share.Change) {
	if c.Op != share.OpOrphanBlob {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), orphanTimeout)
	defer cancel()
	if err := s.svc.Blobs.Delete(ctx, c.Subject); err != nil && !errors.Is(err, share.ErrNotFound) {
		s.cfg.Logger.Error("orphaned blob left", "blob", c.Subject, "err", err)
	}
}
