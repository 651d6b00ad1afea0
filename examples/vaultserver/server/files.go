package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// fileEntry is the server's index of one item a user owns: what quotas and
// listings need, which share's Service does not keep per owner.
type fileEntry struct {
	Size    int64     `json:"size"`
	Version uint64    `json:"version"`
	Created time.Time `json:"created"`
	// Charged is what the item counts against the quota (see charge);
	// entries written before it was kept have only Size.
	Charged int64 `json:"charged,omitempty"`
}

func (fe fileEntry) charged() int64 {
	if fe.Charged > 0 {
		return fe.Charged
	}
	return fe.Size
}

// DefaultMaxItems is the items a user may own when Config.MaxItems is 0.
const DefaultMaxItems = 10_000

// CodeItemLimit answers an upload of a new item by a user who owns
// Config.MaxItems items already (403).
const CodeItemLimit = "item_limit"

var errItemLimit = &apiError{http.StatusForbidden, CodeItemLimit}

// recordOverhead is charged for each record an upload stores (the item, each
// wrapped key, the index entry) beyond the bytes of its JSON: the backends'
// row, key and index overhead, rounded up.
const recordOverhead = 512

// charge is what an upload counts against its owner's quota: its JSON record
// (the item record with its base64 header, and the wrapped keys), its
// payload, and recordOverhead per stored record.
func charge(f *share.UploadFrame, payload int64) int64 {
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

// index returns the user's file entries by item ID.
func (s *Server) index(r *http.Request, user string) (map[string]fileEntry, error) {
	entries, err := s.cfg.Stores.Records.List(r.Context(), user)
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
		out[id] = fe
	}
	return out, nil
}

func (s *Server) userLock(user string) *sync.Mutex {
	m, _ := s.uploads.LoadOrStore(user, new(sync.Mutex))
	return m.(*sync.Mutex)
}

// handleUpload checks size, quota and item count before share's handler
// stores the item, then indexes it. The body is share's upload frame and
// must have a Content-Length.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, p principal) {
	if r.ContentLength < 0 {
		writeError(w, errLengthRequired)
		return
	}
	f, err := share.ReadUploadFrame(r.Body)
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
	mu := s.userLock(p.user)
	mu.Lock()
	defer mu.Unlock()
	idx, err := s.index(r, p.user)
	if err != nil {
		writeError(w, err)
		return
	}
	var used int64
	for _, fe := range idx {
		used += fe.charged()
	}
	if up.PrevVersion > 0 {
		used -= idx[up.Item.ID].charged() // a new version replaces the old one
	} else if len(idx) >= s.maxItems() {
		writeError(w, errItemLimit)
		return
	}
	if used+charge(f, size) > s.cfg.Quota {
		writeError(w, errQuota)
		return
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{f.Body(r.Body), r.Body}
	rec := &statusRecorder{ResponseWriter: w}
	s.shareAPI(rec, r)
	if rec.status >= 300 {
		return
	}
	it, err := s.svc.Item(r.Context(), p.user, up.Item.ID)
	if err != nil {
		s.cfg.Logger.Error("index after upload", "err", err)
		return
	}
	s.putIndex(r, p.user, it, charge(f, it.Size))
}

func (s *Server) putIndex(r *http.Request, user string, it *share.Item, charged int64) {
	ctx := r.Context()
	created := it.Created
	if created.IsZero() {
		created = s.cfg.Now()
	}
	id := filePrefix + it.ID
	old, err := s.cfg.Stores.Records.Get(ctx, user, id)
	if err == nil {
		var fe fileEntry
		if json.Unmarshal(old.Data, &fe) == nil && !fe.Created.IsZero() {
			created = fe.Created
		}
	}
	b, _ := json.Marshal(fileEntry{Size: it.Size, Version: it.Version, Created: created, Charged: charged})
	switch {
	case err == nil:
		_, err = s.cfg.Stores.Records.Update(ctx, user, id, old.Version, b)
	case errors.Is(err, keystore.ErrNotFound):
		_, err = s.cfg.Stores.Records.Put(ctx, user, id, b)
	}
	if err != nil {
		s.cfg.Logger.Error("index write", "err", err)
	}
}

// handleDelete lets share delete the item, then drops it from the index.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, p principal) {
	mu := s.userLock(p.user)
	mu.Lock()
	defer mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	s.shareAPI(rec, r)
	if rec.status >= 300 {
		return
	}
	err := s.cfg.Stores.Records.Delete(r.Context(), p.user, filePrefix+r.PathValue("id"))
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		s.cfg.Logger.Error("index delete", "err", err)
	}
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
	idx, err := s.index(r, p.user)
	if err != nil {
		writeError(w, err)
		return
	}
	ids := make([]string, 0, len(idx))
	for id := range idx {
		ids = append(ids, id)
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
		it, err := s.svc.Item(r.Context(), p.user, id)
		if err != nil {
			writeError(w, err)
			return
		}
		resp.Files = append(resp.Files, it)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleStorage(w http.ResponseWriter, r *http.Request, p principal) {
	idx, err := s.index(r, p.user)
	if err != nil {
		writeError(w, err)
		return
	}
	resp := api.StorageResponse{QuotaBytes: s.cfg.Quota, FileCount: len(idx), MaxObjectBytes: s.cfg.MaxObjectSize}
	for _, fe := range idx {
		resp.UsedBytes += fe.charged()
	}
	resp.PercentageUsed = float64(resp.UsedBytes) * 100 / float64(resp.QuotaBytes)
	writeJSON(w, http.StatusOK, resp)
}

// statusRecorder remembers the status share's handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
