package keylog

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sealkit/sealkit/internal/httpwire"
)

// HTTP paths of a log, relative to its base URL (SPEC.md, "HTTP").
const (
	pathCheckpoint  = "/checkpoint"
	pathEntries     = "/entries"
	pathInclusion   = "/proof/inclusion"
	pathConsistency = "/proof/consistency"
	pathUser        = "/user"
)

// Response caps of [HTTPSource]: what a hostile server can make a client
// read.
const (
	// maxEntryJSON bounds one entry's JSON: base64 data, an escaped user
	// label (6 bytes a byte at worst) and the field names.
	maxEntryJSON = (MaxEntryData+2)/3*4 + 6*MaxUserLength + 64
	// maxEntriesBody caps an entries response.
	maxEntriesBody = MaxEntriesPerRequest*(maxEntryJSON+1) + 64
	// maxUserEntriesBody caps a user entries response.
	maxUserEntriesBody = MaxUserEntriesPerRequest*(maxEntryJSON+MaxProofBytes+64) + 64
)

// NewHandler serves src read-only over HTTP (appends happen in the
// server, never over this API):
//
//	GET /checkpoint                          the signed checkpoint (text/plain)
//	GET /entries?start=S&count=N             {"entries": [entry…]}
//	GET /proof/inclusion?index=I&size=N      an inclusion proof
//	GET /proof/consistency?old=A&new=B       a consistency proof
//	GET /user?user=U&start=S&limit=N&size=Z  {"entries": [{"index", "entry", "proof"}…]}
//
// Errors are {"error": code} (not_found, out_of_range, malformed).
func NewHandler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathCheckpoint, func(w http.ResponseWriter, r *http.Request) {
		b, err := src.Checkpoint(r.Context())
		if err != nil {
			wire.WriteError(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	})
	mux.HandleFunc("GET "+pathEntries, func(w http.ResponseWriter, r *http.Request) {
		q := query{v: r.URL.Query()}
		start, count := q.uint("start"), q.uint("count")
		if q.err != nil {
			wire.WriteError(w, q.err)
			return
		}
		es, err := src.Entries(r.Context(), start, int(min(count, MaxEntriesPerRequest+1)))
		answer(w, err, entriesBody{Entries: es})
	})
	mux.HandleFunc("GET "+pathInclusion, func(w http.ResponseWriter, r *http.Request) {
		q := query{v: r.URL.Query()}
		index, size := q.uint("index"), q.uint("size")
		if q.err != nil {
			wire.WriteError(w, q.err)
			return
		}
		p, err := src.InclusionProof(r.Context(), index, size)
		answer(w, err, p)
	})
	mux.HandleFunc("GET "+pathConsistency, func(w http.ResponseWriter, r *http.Request) {
		q := query{v: r.URL.Query()}
		old, new := q.uint("old"), q.uint("new")
		if q.err != nil {
			wire.WriteError(w, q.err)
			return
		}
		p, err := src.ConsistencyProof(r.Context(), old, new)
		answer(w, err, p)
	})
	mux.HandleFunc("GET "+pathUser, func(w http.ResponseWriter, r *http.Request) {
		q := query{v: r.URL.Query()}
		user := q.v.Get("user")
		start, limit, size := q.uint("start"), q.uint("limit"), q.uint("size")
		if q.err != nil {
			wire.WriteError(w, q.err)
			return
		}
		es, err := src.UserEntries(r.Context(), user, start, int(min(limit, MaxUserEntriesPerRequest+1)), size)
		answer(w, err, userEntriesBody{Entries: es})
	})
	return mux
}

type entriesBody struct {
	Entries []Entry `json:"entries"`
}

type userEntriesBody struct {
	Entries []UserEntry `json:"entries"`
}

func answer(w http.ResponseWriter, err error, v any) {
	if err != nil {
		wire.WriteError(w, err)
		return
	}
	httpwire.WriteJSON(w, http.StatusOK, v)
}

// query reads decimal parameters, keeping the first error.
type query struct {
	v   url.Values
	err error
}

func (q *query) uint(name string) uint64 {
	s := q.v.Get(name)
	n, err := strconv.ParseUint(s, 10, 64)
	if q.err == nil && (err != nil || n > MaxSize || strconv.FormatUint(n, 10) != s) {
		q.err = malformed("parameter %s is not a decimal below 2^53", name)
	}
	return n
}

// HTTPSource is a [Source] reading a log served by [NewHandler] at
// BaseURL (no trailing slash) with Client (nil: http.DefaultClient). It
// caps every response it reads; it verifies nothing (give it to a
// [Client]).
type HTTPSource struct {
	BaseURL string
	Client  *http.Client
}

var _ Source = (*HTTPSource)(nil)

func (s *HTTPSource) get(ctx context.Context, path string, params url.Values, max int64) ([]byte, error) {
	u := strings.TrimSuffix(s.BaseURL, "/") + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := s.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, wire.ResponseError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, malformed("response over %d bytes", max)
	}
	return b, nil
}

func nums(kv ...any) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		switch x := kv[i+1].(type) {
		case uint64:
			v.Set(kv[i].(string), strconv.FormatUint(x, 10))
		case int:
			v.Set(kv[i].(string), strconv.Itoa(x))
		case string:
			v.Set(kv[i].(string), x)
		}
	}
	return v
}

// Checkpoint implements [Source].
func (s *HTTPSource) Checkpoint(ctx context.Context) ([]byte, error) {
	return s.get(ctx, pathCheckpoint, nil, MaxCheckpointBytes)
}

// Entries implements [Source].
func (s *HTTPSource) Entries(ctx context.Context, start uint64, count int) ([]Entry, error) {
	if count < 1 || count > MaxEntriesPerRequest {
		return nil, fmt.Errorf("%w: %d entries, want 1 to %d", ErrRange, count, MaxEntriesPerRequest)
	}
	b, err := s.get(ctx, pathEntries, nums("start", start, "count", count), maxEntriesBody)
	if err != nil {
		return nil, err
	}
	return ParseEntries(b)
}

// ParseEntries decodes an entries response ({"entries": [{"user",
// "data"}…]}): at most [MaxEntriesPerRequest] entries, each within the
// limits of [Entry.Check], refused with [ErrMalformed] otherwise.
func ParseEntries(b []byte) ([]Entry, error) {
	var body entriesBody
	if err := wire.DecodeJSON(b, maxEntriesBody, &body); err != nil {
		return nil, err
	}
	if len(body.Entries) > MaxEntriesPerRequest {
		return nil, malformed("%d entries, over %d", len(body.Entries), MaxEntriesPerRequest)
	}
	for _, e := range body.Entries {
		if err := e.Check(); err != nil {
			return nil, err
		}
	}
	return body.Entries, nil
}

// InclusionProof implements [Source].
func (s *HTTPSource) InclusionProof(ctx context.Context, index, size uint64) (*InclusionProof, error) {
	b, err := s.get(ctx, pathInclusion, nums("index", index, "size", size), MaxProofBytes)
	if err != nil {
		return nil, err
	}
	return ParseInclusionProof(b)
}

// ConsistencyProof implements [Source].
func (s *HTTPSource) ConsistencyProof(ctx context.Context, old, new uint64) (*ConsistencyProof, error) {
	b, err := s.get(ctx, pathConsistency, nums("old", old, "new", new), MaxProofBytes)
	if err != nil {
		return nil, err
	}
	return ParseConsistencyProof(b)
}

// UserEntries implements [Source].
func (s *HTTPSource) UserEntries(ctx context.Context, user string, start uint64, limit int, size uint64) ([]UserEntry, error) {
	if limit < 1 || limit > MaxUserEntriesPerRequest {
		return nil, fmt.Errorf("%w: %d entries, want 1 to %d", ErrRange, limit, MaxUserEntriesPerRequest)
	}
	b, err := s.get(ctx, pathUser, nums("user", user, "start", start, "limit", limit, "size", size), maxUserEntriesBody)
	if err != nil {
		return nil, err
	}
	var body userEntriesBody
	if err := wire.DecodeJSON(b, maxUserEntriesBody, &body); err != nil {
		return nil, err
	}
	if len(body.Entries) > limit {
		return nil, malformed("%d entries, over the %d asked for", len(body.Entries), limit)
	}
	for _, e := range body.Entries {
		if err := e.Entry.Check(); err != nil {
			return nil, err
		}
		if e.Proof == nil {
			return nil, malformed("entry without a proof")
		}
		if err := e.Proof.check(); err != nil {
			return nil, err
		}
	}
	return body.Entries, nil
}
