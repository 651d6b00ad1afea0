package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/share"
)

// DefaultMaxItems is the items a user may own when Config.MaxItems is 0.
const DefaultMaxItems = 10_000

// maxListLimit caps one page of the file list.
const maxListLimit = share.MaxPageSize

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

// handleFiles lists the user's items, oldest first, a page after the
// cursor "after" (the answer's "next") or, for older clients, after
// skipping "offset" items (which costs a read of each item skipped).
func (s *Server) handleFiles(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	limit, err1 := queryInt(q.Get("limit"), 100, maxListLimit)
	offset, err2 := queryInt(q.Get("offset"), 0, math.MaxInt)
	after := q.Get("after")
	if err1 != nil || err2 != nil || limit < 1 {
		writeError(w, errInvalid)
		return
	}
	ctx := r.Context()
	used, _, err := s.svc.Usage(ctx, p.Owner)
	if err != nil {
		writeError(w, err)
		return
	}
	resp := api.FilesResponse{Files: []*share.Item{}, Total: int(used.Items), Limit: limit, Offset: offset}
	for offset > 0 && offset < resp.Total && err == nil {
		var skip []*share.Item
		skip, after, err = s.svc.Items(ctx, p.Owner, share.SortByCreated, after, min(offset, maxListLimit))
		offset -= len(skip)
		if after == "" || len(skip) == 0 {
			offset = resp.Total // the listing ended
		}
	}
	if offset == 0 && err == nil {
		resp.Files, resp.Next, err = s.svc.Items(ctx, p.Owner, share.SortByCreated, after, limit)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// queryInt parses a query parameter in 0..most; "" is def.
func queryInt(v string, def, most int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err == nil && (n < 0 || n > most) {
		err = errInvalid
	}
	return n, err
}

// handleStorage answers with the user's usage as share charges it.
func (s *Server) handleStorage(w http.ResponseWriter, r *http.Request, p principal) {
	u, _, err := s.svc.Usage(r.Context(), p.Owner)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.StorageResponse{
		UsedBytes: u.Bytes, QuotaBytes: s.cfg.Quota, FileCount: int(u.Items), MaxObjectBytes: s.cfg.MaxObjectSize,
		PercentageUsed: float64(u.Bytes) * 100 / float64(s.cfg.Quota),
	})
}
