package server

import (
	"context"
	"encoding/json"
	"errors"
	"hash/maphash"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// fileEntry is the server's index of one item a user owns: what quotas and
// listings need, which share's Service does not keep per owner. An entry is
// in one of three states: live (the item at Version), pending (an upload's
// reservation, see reserve) or deleted (the item's leftovers, see
// settleDelete). Every entry's Charged counts against the quota.
type fileEntry struct {
	Size    int64     `json:"size"`
	Version uint64    `json:"version"`
	Created time.Time `json:"created"`
	// Charged is what the entry counts against the quota (see charge);
	// entries written before it was kept have only Size.
	Charged int64 `json:"charged,omitempty"`
	// Pending marks the reservation of an upload that may not have stored
	// its item yet: Version is the version it stores, Reserved when it
	// began, and Prev the live entry it replaces (a new version), which a
	// failed upload restores.
	Pending  bool       `json:"pending,omitempty"`
	Reserved time.Time  `json:"reserved,omitzero"`
	Prev     *fileEntry `json:"prev,omitempty"`
	// Deleted marks a deleted item: Charged is its residual charge.
	Deleted bool `json:"deleted,omitempty"`

	rev uint64 // the index record's version in Stores.Records
}

func (fe fileEntry) charged() int64 {
	if fe.Charged > 0 {
		return fe.Charged
	}
	return fe.Size
}

// listed returns the entry of the item as it is stored now, if it is: a
// pending new version lists its previous one, and a pending new item or a
// deleted one lists nothing.
func (fe fileEntry) listed() (fileEntry, bool) {
	switch {
	case fe.Deleted:
		return fileEntry{}, false
	case fe.Pending:
		if fe.Prev == nil {
			return fileEntry{}, false
		}
		return *fe.Prev, true
	}
	return fe, true
}

// DefaultMaxItems is the items a user may own when Config.MaxItems is 0.
const DefaultMaxItems = 10_000

// CodeItemLimit answers an upload of a new item by a user who owns
// Config.MaxItems items already (403).
const CodeItemLimit = "item_limit"

var errItemLimit = &apiError{http.StatusForbidden, CodeItemLimit}

// errConflict answers an upload of an item another upload of the user is
// still storing (share's "conflict" code).
var errConflict = &apiError{http.StatusConflict, "conflict"}

// recordOverhead is charged for each record an upload stores (the item, each
// wrapped key, the index entry) beyond the bytes of its JSON: the backends'
// row, key and index overhead, rounded up.
const recordOverhead = 512

// charge is what an upload counts against its owner's quota: its JSON record
// (the item record with its base64 header, and the wrapped keys), its
// payload, and recordOverhead per stored record.
func charge(f *sharehttp.UploadFrame, payload int64) int64 {
	return f.RecordLen() + payload + recordOverhead*int64(len(f.Upload.Keys)+2)
}

func (s *Server) maxItems() int {
	if s.cfg.MaxItems > 0 {
		return s.cfg.MaxItems
	}
	return DefaultMaxItems
}

// maxListLimit caps one page of the file list.
const maxListLimit = 1000

// DeletedRecordCost is charged, for good, for each record a deleted item
// leaves behind: its tombstone, its audit chain's head, its index entry,
// and each entry of its audit chain. An audit entry's JSON (a signed event
// with IDs of at most share.MaxIDLen bytes, a nonce and two hashes) is at
// most 579 bytes; 1 KiB covers it and its row's keys, and recordOverhead
// the rest of the row.
const DeletedRecordCost = recordOverhead + 1<<10

// deletedResidual is the charge a deleted item with an audit chain of n
// entries keeps: otherwise create-and-delete loops would fill the stores
// with tombstones and audit chains at no cost.
func deletedResidual(n uint64) int64 {
	const most = math.MaxInt64/DeletedRecordCost - 3
	return DeletedRecordCost * (3 + int64(min(n, most)))
}

// postCommitTimeout bounds the bookkeeping after share has stored or
// deleted an item, which runs even if the client has gone: it must not be
// cut short by the request's cancellation, nor hang.
const postCommitTimeout = 30 * time.Second

// afterCommit is the context of that bookkeeping: r's values without its
// cancellation, and postCommitTimeout.
func afterCommit(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), postCommitTimeout)
}

// index returns the user's file entries by item ID.
func (s *Server) index(ctx context.Context, user string) (map[string]fileEntry, error) {
	entries, err := s.cfg.Stores.Records.List(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make(map[string]fileEntry)
	for _, e := range entries {
		id, ok := strings.CutPrefix(e.ID, filePrefix)
		if !ok {
			continue
		}
		var fe fileEntry
		if err := json.Unmarshal(e.Data, &fe); err != nil {
			return nil, err
		}
		fe.rev = e.Version
		out[id] = fe
	}
	return out, nil
}

// entry returns the user's index entry for item id; ok is false if it has
// none.
func (s *Server) entry(ctx context.Context, user, id string) (fe fileEntry, ok bool, err error) {
	e, err := s.cfg.Stores.Records.Get(ctx, user, filePrefix+id)
	if errors.Is(err, keystore.ErrNotFound) {
		return fileEntry{}, false, nil
	}
	if err != nil {
		return fileEntry{}, false, err
	}
	if err := json.Unmarshal(e.Data, &fe); err != nil {
		return fileEntry{}, false, err
	}
	fe.rev = e.Version
	return fe, true, nil
}

// putEntry writes fe as the user's entry for id: a new record if fe.rev is
// 0, else a replacement of that version of the record.
func (s *Server) putEntry(ctx context.Context, user, id string, fe fileEntry) error {
	b, err := json.Marshal(fe)
	if err != nil {
		return err
	}
	if fe.rev == 0 {
		_, err = s.cfg.Stores.Records.Put(ctx, user, filePrefix+id, b)
	} else {
		_, err = s.cfg.Stores.Records.Update(ctx, user, filePrefix+id, fe.rev, b)
	}
	return err
}

// userLocks serialise each user's index updates in this process: a user
// always takes the same one of them, and users share them by hash, so
// their number stays fixed however many users there are.
const userLocks = 256

var userLockSeed = maphash.MakeSeed()

func (s *Server) userLock(user string) *sync.Mutex {
	return &s.uploads[maphash.String(userLockSeed, user)%userLocks]
}

// handleUpload checks size, quota and item count and reserves the upload's
// charge in the index before share's handler stores the item, then settles
// the reservation by what was stored. The body is share's upload frame and
// must have a Content-Length.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, p principal) {
	if r.ContentLength < 0 {
		writeError(w, errLengthRequired)
		return
	}
	f, err := sharehttp.ReadUploadFrame(r.Body)
	if errors.Is(err, share.ErrTooLarge) {
		err = errTooLarge
	}
	if err != nil {
		writeError(w, err)
		return
	}
	size := r.ContentLength - f.Len()
	if size < 0 {
		writeError(w, errInvalid)
		return
	}
	if size > s.cfg.MaxObjectSize {
		writeError(w, errTooLarge)
		return
	}
	up := f.Upload
	if up.Validate() != nil {
		writeError(w, errInvalid)
		return
	}
	if up.Item.Owner != p.Owner {
		writeError(w, share.ErrPermission)
		return
	}
	if err := s.reserve(r.Context(), p.Owner, up, charge(f, size)); err != nil {
		writeError(w, err)
		return
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{f.Body(r.Body), r.Body}
	s.shareAPI(w, r)
	// Whatever share answered, the item may be stored (the client may have
	// gone after the commit, or a step after it failed): settle by what
	// is stored.
	ctx, cancel := afterCommit(r)
	defer cancel()
	if err := s.settleUpload(ctx, p.Owner, up.Item.ID, func(payload int64) int64 { return charge(f, payload) }); err != nil {
		s.cfg.Logger.Error("index after upload", "err", err)
	}
}

// reserve writes a pending index entry for up charging want, after checking
// the quota and the item count with every other entry (pending ones
// included) counted. A new version reserves the larger of its charge and
// the old version's, since both are stored until it commits. Pending
// entries older than the longest an upload can take are settled first:
// their uploads were cut off by a crash.
func (s *Server) reserve(ctx context.Context, user string, up *share.Upload, want int64) error {
	mu := s.userLock(user)
	mu.Lock()
	defer mu.Unlock()
	idx, err := s.index(ctx, user)
	if err != nil {
		return err
	}
	stale := s.cfg.Now().Add(-s.longestUpload())
	for id, fe := range idx {
		if fe.Pending && fe.Reserved.Before(stale) {
			if err := s.settle(ctx, user, id, fe, func(int64) int64 { return fe.Charged }); err != nil {
				return err
			}
		}
	}
	if idx, err = s.index(ctx, user); err != nil {
		return err
	}
	var used int64
	items := 0
	for _, fe := range idx {
		used += fe.charged()
		if !fe.Deleted {
			items++
		}
	}
	id := up.Item.ID
	old, have := idx[id]
	res := fileEntry{Version: up.Item.Version, Charged: want, Pending: true, Reserved: s.cfg.Now(), rev: old.rev}
	switch {
	case have && old.Pending:
		return errConflict // another upload of this item is in flight
	case up.PrevVersion == 0 && have:
		return errExists // live, or deleted (its ID is never reused)
	case up.PrevVersion == 0 && items >= s.maxItems():
		return errItemLimit
	case have && old.Deleted:
		return errNotFound
	case have: // a new version replaces the old one
		used -= old.charged()
		res.Prev = &old
		res.Charged = max(want, old.charged())
	}
	if used+want > s.cfg.Quota {
		return errQuota
	}
	err = s.putEntry(ctx, user, id, res)
	if errors.Is(err, keystore.ErrExists) || errors.Is(err, keystore.ErrConflict) {
		return errConflict // another process updated the entry first
	}
	return err
}

// longestUpload bounds how long an upload may run: its deadlines
// (limits.go) and the bookkeeping after it.
func (s *Server) longestUpload() time.Duration {
	return s.limits.MaxUploadTime(s.cfg.maxUploadBody()) + postCommitTimeout
}

// settleUpload settles the user's pending entry for id, if it still has
// one, with charged giving the charge of a stored payload size.
func (s *Server) settleUpload(ctx context.Context, user, id string, charged func(payload int64) int64) error {
	mu := s.userLock(user)
	mu.Lock()
	defer mu.Unlock()
	fe, ok, err := s.entry(ctx, user, id)
	if err != nil || !ok || !fe.Pending {
		return err // settled already (stale, or the item was deleted meanwhile)
	}
	return s.settle(ctx, user, id, fe, charged)
}

// settle replaces a pending entry fe by what is stored: the item at the
// reserved version, owned by user, is charged; otherwise the upload
// failed and the reservation is released (the previous entry restored, or
// none). The caller holds the user's lock.
func (s *Server) settle(ctx context.Context, user, id string, fe fileEntry, charged func(payload int64) int64) error {
	it, err := s.svc.Stores.Items.Item(ctx, id)
	var next fileEntry
	switch {
	case err == nil && it.Owner == user && it.Version == fe.Version:
		next = fileEntry{Size: it.Size, Version: it.Version, Created: it.Created, Charged: charged(it.Size)}
		if fe.Prev != nil && !fe.Prev.Created.IsZero() {
			next.Created = fe.Prev.Created // listed by when the item was first stored
		}
		if next.Created.IsZero() {
			next.Created = s.cfg.Now()
		}
	case err == nil, errors.Is(err, share.ErrNotFound):
		if fe.Prev == nil {
			err := s.cfg.Stores.Records.Delete(ctx, user, filePrefix+id)
			if errors.Is(err, keystore.ErrNotFound) {
				return nil
			}
			return err
		}
		next = *fe.Prev
	default:
		return err // stays pending, settled when stale
	}
	next.rev = fe.rev
	return s.putEntry(ctx, user, id, next)
}

// handleDelete lets share delete the item, then keeps its residual charge
// in the index.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, p principal) {
	s.shareAPI(w, r)
	ctx, cancel := afterCommit(r)
	defer cancel()
	if err := s.settleDelete(ctx, p.Owner, r.PathValue("id")); err != nil {
		s.cfg.Logger.Error("index after delete", "err", err)
	}
}

// settleDelete turns the user's entry for id into a deleted one charging
// deletedResidual, if the item is deleted and its tombstone names user,
// whatever share answered.
func (s *Server) settleDelete(ctx context.Context, user, id string) error {
	if !share.ValidID(id) {
		return nil
	}
	mu := s.userLock(user)
	mu.Lock()
	defer mu.Unlock()
	owner, err := s.svc.Stores.Items.DeletedItem(ctx, id)
	if errors.Is(err, share.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if owner != user {
		return nil
	}
	fe, _, err := s.entry(ctx, user, id)
	if err != nil || fe.Deleted {
		return err
	}
	var n uint64
	head, err := s.svc.Stores.Audit.AuditHead(ctx, id)
	switch {
	case err == nil:
		n = head.Seq
	case !errors.Is(err, share.ErrNotFound):
		return err
	}
	if l, ok := fe.listed(); ok {
		fe = l
	}
	return s.putEntry(ctx, user, id, fileEntry{Version: fe.Version, Created: fe.Created,
		Charged: deletedResidual(n), Deleted: true, rev: fe.rev})
}

// handleFiles lists the user's items, newest first, paginated.
func (s *Server) handleFiles(w http.ResponseWriter, r *http.Request, p principal) {
	limit, offset := 100, 0
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			writeError(w, errInvalid)
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, errInvalid)
			return
		}
		offset = n
	}
	all, err := s.index(r.Context(), p.Owner)
	if err != nil {
		writeError(w, err)
		return
	}
	idx := make(map[string]fileEntry, len(all))
	ids := make([]string, 0, len(all))
	for id, fe := range all {
		if l, ok := fe.listed(); ok {
			idx[id] = l
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := idx[b].Created.Compare(idx[a].Created); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	resp := api.FilesResponse{Files: []*share.Item{}, Total: len(ids), Limit: limit, Offset: offset}
	start := min(offset, len(ids))
	for _, id := range ids[start : start+min(limit, len(ids)-start)] { // offset+limit could overflow
		it, err := s.svc.Item(r.Context(), p.Owner, id)
		if err != nil {
			writeError(w, err)
			return
		}
		resp.Files = append(resp.Files, it)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleStorage(w http.ResponseWriter, r *http.Request, p principal) {
	idx, err := s.index(r.Context(), p.Owner)
	if err != nil {
		writeError(w, err)
		return
	}
	resp := api.StorageResponse{QuotaBytes: s.cfg.Quota, MaxObjectBytes: s.cfg.MaxObjectSize}
	for _, fe := range idx {
		resp.UsedBytes += fe.charged()
		if _, ok := fe.listed(); ok {
			resp.FileCount++
		}
	}
	resp.PercentageUsed = float64(resp.UsedBytes) * 100 / float64(resp.QuotaBytes)
	writeJSON(w, http.StatusOK, resp)
}
