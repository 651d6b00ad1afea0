package sharehttp

import (
	"context"
	"io"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/sealkit/sealkit/share"
)

// Handler serves a [share.Service] over HTTP: every route of [Routes].
// Mount it under a prefix with http.StripPrefix if needed.
type Handler struct {
	svc       *share.Service
	principal func(*http.Request) (string, error)
	linkRate  *httplimit.RateLimiter // LinkRate; nil: none
	downloads *httplimit.Gate        // MaxDownloads; nil: none
	mux       *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that serves svc, with the limits opts set.
// principal returns the verified user acting in a request (identity's
// verifier plugs in here); any error it returns, or a user that is not a
// valid ID, is answered unauthenticated (401) and its text is not sent. A
// nil principal refuses every signed route. Link routes never call it.
func NewHandler(svc *share.Service, principal func(*http.Request) (string, error), opts ...Option) *Handler {
	h := &Handler{svc: svc, principal: principal, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	for _, rt := range table {
		h.mux.Handle(rt.Method+" "+rt.Path, h.route(rt))
	}
	return h
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// route serves rt: it applies the link rate, authenticates as rt.Auth
// says, takes a download's place, runs rt.serve and answers an error it
// returns with share's code for it.
func (h *Handler) route(rt *Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer r.Body.Close()
		c := &call{svc: h.svc, route: rt, w: w, r: r}
		switch rt.Auth {
		case AuthLink:
			if err := h.allowLink(r); err != nil {
				WriteError(w, err)
				return
			}
		case AuthSigned:
			if h.principal == nil {
				WriteError(w, share.ErrUnauthenticated)
				return
			}
			actor, err := h.principal(r)
			if err != nil || !share.ValidID(actor) {
				WriteError(w, share.ErrUnauthenticated)
				return
			}
			c.actor = actor
		}
		key, err := h.enterDownload(rt, r, c.actor)
		if err != nil {
			WriteError(w, err)
			return
		}
		defer h.leaveDownload(key)
		if err := rt.serve(c); err != nil {
			WriteError(w, err)
		}
	}
}

// call is one request to a route: what a serve function works with.
type call struct {
	svc   *share.Service
	route *Route
	actor string // "" on link routes
	w     http.ResponseWriter
	r     *http.Request
}

func (c *call) ctx() context.Context { return c.r.Context() }

// id returns the path's {id}.
func (c *call) id() string { return c.r.PathValue("id") }

// reply answers v as JSON with the route's status, or returns err.
func (c *call) reply(v any, err error) error {
	if err != nil {
		return err
	}
	httpwire.WriteJSON(c.w, c.route.Status, v)
	return nil
}

// done answers {} with the route's status, or returns err.
func (c *call) done(err error) error { return c.reply(struct{}{}, err) }

// stream answers head (a frame head or nothing) and then rc's bytes with
// the route's status, and closes rc.
func (c *call) stream(head []byte, rc io.ReadCloser) error {
	defer rc.Close()
	h := c.w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(c.route.Status)
	if _, err := c.w.Write(head); err != nil {
		return nil // the status is sent; the client sees a short body
	}
	_, _ = io.Copy(c.w, rc)
	return nil
}

// readJSON reads the request body: one JSON value of at most
// share.MaxSmallRecord bytes with no unknown fields, validated if its type
// has a Validate method (the Service validates the rest).
func readJSON[T any](c *call) (*T, error) {
	v := new(T)
	if err := wire.ReadJSON(c.r.Body, share.MaxSmallRecord, v); err != nil {
		return nil, err
	}
	if vv, ok := any(v).(interface{ Validate() error }); ok {
		if err := vv.Validate(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// nonNil makes an empty list answer [] rather than null.
func nonNil[T any](s []*T) []*T {
	if s == nil {
		return []*T{}
	}
	return s
}
