package share

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

// Handler serves a Service over HTTP (routes in SPEC.md, "HTTP"). Mount it
// under a prefix with http.StripPrefix if needed.
type Handler struct {
	Service *Service
	// Authenticate returns the verified user acting in r (identity's
	// signature verifier plugs in here). nil refuses every call that needs
	// a user; public link routes never call it.
	Authenticate func(*http.Request) (string, error)

	once sync.Once
	mux  *http.ServeMux
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.routes)
	h.mux.ServeHTTP(w, r)
}

func writeError(w http.ResponseWriter, err error) {
	code, status := errorCode(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a capped JSON body into a validated record.
func readJSON[T any, P validator[T]](r *http.Request, max int) (*T, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return nil, invalid("body")
	}
	return decode[T, P](b, max)
}

// bareRequest is a request body without validation beyond JSON shape.
type revokeBody struct {
	Recipient string `json:"recipient"`
	Event     *Event `json:"event"`
}

func (b *revokeBody) Validate() error {
	if b.Event == nil {
		return invalid("no event")
	}
	return checkIDs(b.Recipient)
}

type claimBody struct {
	Record []byte `json:"record"`
}

func (b *claimBody) Validate() error { return nil }

// Validate lets the generic decoder take these requests; the Service
// validates them fully.
func (r *LinkRequest) Validate() error {
	if r.Link == nil || r.Event == nil {
		return invalid("link request without link or event")
	}
	return nil
}

// Validate checks the shape.
func (r *AccessRequest) Validate() error { return nil }

// Validate checks the shape.
func (r *AcceptRequest) Validate() error { return nil }

// auditPage reads the audit route's query: after (a sequence number,
// default 0) and limit (1 to MaxAuditPage, default MaxAuditPage).
func auditPage(q url.Values) (after uint64, limit int, err error) {
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, invalid("audit page cursor")
		}
	}
	limit = MaxAuditPage
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxAuditPage {
			return 0, 0, invalid("audit page limit")
		}
	}
	return after, limit, nil
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	h.mux = m
	s := h.Service
	// user wraps a handler that needs an authenticated actor.
	user := func(f func(ctx context.Context, actor string, w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			defer r.Body.Close()
			if h.Authenticate == nil {
				writeError(w, ErrUnauthenticated)
				return
			}
			actor, err := h.Authenticate(r)
			if err != nil || !ValidID(actor) {
				writeError(w, ErrUnauthenticated)
				return
			}
			if err := f(r.Context(), actor, w, r); err != nil {
				writeError(w, err)
			}
		}
	}
	public := func(f func(ctx context.Context, w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			defer r.Body.Close()
			if err := f(r.Context(), w, r); err != nil {
				writeError(w, err)
			}
		}
	}
	ok := func(w http.ResponseWriter, status int, v any, err error) error {
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
	stream := func(w http.ResponseWriter, rc io.ReadCloser) {
		defer rc.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		io.Copy(w, rc)
	}

	m.HandleFunc("POST /v1/users", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		u, err := readJSON[User](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, struct{}{}, s.PublishUser(ctx, a, u))
	}))
	m.HandleFunc("GET /v1/users/{id}", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		u, err := s.User(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, u, err)
	}))
	m.HandleFunc("POST /v1/items", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		b, err := readFrame(r.Body, MaxUploadRecord)
		if err != nil {
			return err
		}
		up, err := DecodeUpload(b)
		if err != nil {
			return err
		}
		it, err := s.Upload(ctx, a, up, r.Body)
		return ok(w, http.StatusCreated, it, err)
	}))
	m.HandleFunc("GET /v1/items/{id}", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		it, err := s.Item(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, it, err)
	}))
	m.HandleFunc("POST /v1/items/{id}/download", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		ev, err := readJSON[Event](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		rc, err := s.Download(ctx, a, r.PathValue("id"), ev)
		if err != nil {
			return err
		}
		stream(w, rc)
		return nil
	}))
	m.HandleFunc("POST /v1/items/{id}/delete", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		ev, err := readJSON[Event](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, struct{}{}, s.Delete(ctx, a, r.PathValue("id"), ev))
	}))
	m.HandleFunc("GET /v1/items/{id}/key", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		k, err := s.MyKey(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, k, err)
	}))
	m.HandleFunc("GET /v1/items/{id}/keys", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		ks, err := s.ItemKeys(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, ks, err)
	}))
	m.HandleFunc("POST /v1/items/{id}/revoke", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		b, err := readJSON[revokeBody](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, struct{}{}, s.Revoke(ctx, a, r.PathValue("id"), b.Recipient, b.Event))
	}))
	m.HandleFunc("GET /v1/items/{id}/audit", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		after, limit, err := auditPage(r.URL.Query())
		if err != nil {
			return err
		}
		es, err := s.Audit(ctx, a, r.PathValue("id"), after, limit)
		if es == nil {
			es = []*AuditEntry{}
		}
		return ok(w, http.StatusOK, es, err)
	}))
	m.HandleFunc("POST /v1/shares", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		req, err := readJSON[ShareRequest](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, struct{}{}, s.Share(ctx, a, req))
	}))
	m.HandleFunc("GET /v1/shares/received", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		ss, err := s.Received(ctx, a)
		return ok(w, http.StatusOK, ss, err)
	}))
	m.HandleFunc("POST /v1/invitations", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		in, err := readJSON[Invitation](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, struct{}{}, s.Invite(ctx, a, in))
	}))
	m.HandleFunc("POST /v1/invitations/{id}/accept", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		req, err := readJSON[AcceptRequest](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		c, err := s.Accept(ctx, a, r.PathValue("id"), req)
		return ok(w, http.StatusCreated, c, err)
	}))
	m.HandleFunc("GET /v1/connections/{id}", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		c, err := s.Connection(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, c, err)
	}))
	m.HandleFunc("POST /v1/spaces/shares", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		req, err := readJSON[SpaceShareRequest](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, struct{}{}, s.ShareToSpace(ctx, a, req))
	}))
	m.HandleFunc("GET /v1/spaces/{id}", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		sp, err := s.Space(ctx, a, r.PathValue("id"))
		return ok(w, http.StatusOK, sp, err)
	}))
	m.HandleFunc("POST /v1/spaces/{id}/claim", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		b, err := readJSON[claimBody](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, struct{}{}, s.Claim(ctx, a, r.PathValue("id"), b.Record))
	}))
	m.HandleFunc("POST /v1/links", user(func(ctx context.Context, a string, w http.ResponseWriter, r *http.Request) error {
		req, err := readJSON[LinkRequest](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, struct{}{}, s.CreateLink(ctx, a, req))
	}))
	m.HandleFunc("GET /v1/links/{id}", public(func(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
		p, err := s.LinkParams(ctx, r.PathValue("id"))
		return ok(w, http.StatusOK, p, err)
	}))
	m.HandleFunc("POST /v1/links/{id}/access", public(func(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
		req, err := readJSON[AccessRequest](r, MaxSmallRecord)
		if err != nil {
			return err
		}
		g, rc, err := s.AccessLink(ctx, r.PathValue("id"), req)
		if err != nil {
			return err
		}
		defer rc.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		if writeFrame(w, g) == nil {
			io.Copy(w, rc)
		}
		return nil
	}))
}
