package account

import (
	"errors"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/httpwire"
)

// Auth says who may call a route.
type Auth int

const (
	// Anonymous routes need no credentials; they are rate-limited per
	// client address.
	Anonymous Auth = iota + 1
	// User routes need a signed request or a session token.
	User
	// Signed routes need a signed request.
	Signed
)

// Route is one account route. A server mounts each at its prefix + Path
// with the route's limits (Limits), and hands it to a [Handler].
type Route struct {
	Name    string // the Service method it calls
	Method  string // HTTP method
	Path    string // below the prefix, e.g. /v1/register
	Auth    Auth
	MaxBody int64 // the body cap
	Status  int   // status of a successful answer

	serve func(h *Handler, r *http.Request) (any, error)
}

// Limits returns the httplimit route the server wraps rt in: its body cap,
// and whether the handler authenticates (admitting the body to the user's
// budget) or the body draws on the anonymous budget.
func (rt *Route) Limits() httplimit.Route {
	return httplimit.Route{MaxBody: rt.MaxBody, Authenticates: rt.Auth != Anonymous}
}

var table = []*Route{
	{Name: "Register", Method: "POST", Path: "/v1/register", Auth: Anonymous, MaxBody: MaxRegisterBody, Status: http.StatusCreated, serve: (*Handler).register},
	{Name: "LoginStart", Method: "POST", Path: "/v1/login/start", Auth: Anonymous, MaxBody: MaxLoginBody, Status: http.StatusOK, serve: (*Handler).loginStart},
	{Name: "Login", Method: "POST", Path: "/v1/login", Auth: Anonymous, MaxBody: MaxLoginBody, Status: http.StatusOK, serve: (*Handler).login},
	{Name: "Token", Method: "POST", Path: "/v1/token", Auth: Signed, MaxBody: MaxSignedBody, Status: http.StatusOK, serve: (*Handler).token},
	{Name: "Keys", Method: "GET", Path: "/v1/keys", Auth: User, MaxBody: MaxSignedBody, Status: http.StatusOK, serve: (*Handler).keys},
	{Name: "ChangePassphrase", Method: "POST", Path: "/v1/passphrase", Auth: Signed, MaxBody: MaxLoginBody, Status: http.StatusOK, serve: (*Handler).changePassphrase},
}

// Routes returns the account routes, one entry per operation.
func Routes() []Route {
	out := make([]Route, len(table))
	for i, rt := range table {
		out[i] = *rt
		out[i].serve = nil
	}
	return out
}

// Handler serves a [Service] on every route of [Routes], each at its Path
// below the Handler's prefix. Build it with NewHandler.
type Handler struct {
	svc      *Service
	auth     *identity.Authenticator
	addrRate *httplimit.RateLimiter // per client address: AddrFactor × LoginRate
	mux      *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the Handler of svc at prefix ("" or a path such as
// "/api", which then serves "/api/v1/register"). The request path is not
// stripped, since signed requests cover it. auth (required) authenticates
// the User and Signed routes and admits their bodies (its Admit); the
// Anonymous ones are limited to AddrFactor × Config.LoginRate per client
// address, logins and registrations counted apart.
//
// Serve it below httplimit's Limits.Handler: the login back-off keys on
// the client address that puts in the request's context.
func NewHandler(prefix string, svc *Service, auth *identity.Authenticator) *Handler {
	r := svc.cfg.LoginRate
	r.Burst *= AddrFactor
	h := &Handler{svc: svc, auth: auth, addrRate: httplimit.NewRateLimiter(r, svc.cfg.Now), mux: http.NewServeMux()}
	for _, rt := range table {
		h.mux.Handle(rt.Method+" "+prefix+rt.Path, h.handler(rt))
	}
	return h
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// handler serves rt, authenticating first unless it is Anonymous.
func (h *Handler) handler(rt *Route) http.Handler {
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := rt.serve(h, r)
		if err != nil {
			WriteError(w, err)
			return
		}
		httpwire.WriteJSON(w, rt.Status, v)
	})
	if rt.Auth != Anonymous {
		next = h.auth.Handler(next)
	}
	return next
}

// WriteError answers with err's status and code: identity's for its
// refusals, else this package's (any other error is 500 internal, its
// text not sent). A *httplimit.RetryError also sets Retry-After.
func WriteError(w http.ResponseWriter, err error) {
	if _, ok := errors.AsType[*identity.RejectError](err); ok {
		identity.WriteError(w, err)
		return
	}
	wire.WriteError(w, err)
}

// limited takes a token of the address limiter for the request's client
// address, kind apart, or answers 429 with Retry-After.
func (h *Handler) limited(r *http.Request, kind string) error {
	if ok, wait := h.addrRate.Allow(kind + ":" + httplimit.ClientAddr(r)); !ok {
		return &httplimit.RetryError{Err: httplimit.ErrRateLimited, Wait: wait}
	}
	return nil
}

func (h *Handler) register(r *http.Request) (any, error) {
	if err := h.limited(r, "register"); err != nil {
		return nil, err
	}
	var req RegisterRequest
	if err := wire.ReadJSON(r.Body, MaxRegisterBody, &req); err != nil {
		return nil, err
	}
	resp, err := h.svc.Register(r.Context(), &req)
	if errors.Is(err, ErrInvalid) {
		h.svc.cfg.Logger.Info("registration refused", "err", err)
	}
	return resp, err
}

// loginStart and login read the body before they take a token, so a
// malformed request costs none.
func (h *Handler) loginStart(r *http.Request) (any, error) {
	var req LoginStartRequest
	if err := wire.ReadJSON(r.Body, MaxLoginBody, &req); err != nil {
		return nil, err
	}
	if err := h.limited(r, "ip"); err != nil {
		return nil, err
	}
	resp, err := h.svc.LoginStart(r.Context(), req.User)
	return resp, err
}

func (h *Handler) login(r *http.Request) (any, error) {
	var req LoginRequest
	if err := wire.ReadJSON(r.Body, MaxLoginBody, &req); err != nil {
		return nil, err
	}
	if err := h.limited(r, "ip"); err != nil {
		return nil, err
	}
	resp, err := h.svc.Login(r.Context(), req.User, req.AuthKey)
	return resp, err
}

func (h *Handler) token(r *http.Request) (any, error) {
	p, _ := identity.PrincipalFrom(r.Context())
	resp, err := h.svc.Token(p.Verified)
	return resp, err
}

func (h *Handler) keys(r *http.Request) (any, error) {
	p, _ := identity.PrincipalFrom(r.Context())
	resp, err := h.svc.Keys(r.Context(), p.Owner)
	return resp, err
}

func (h *Handler) changePassphrase(r *http.Request) (any, error) {
	p, _ := identity.PrincipalFrom(r.Context())
	if p.Verified == nil {
		return nil, identity.ErrMissingSignature // a token does not change the passphrase
	}
	var req ChangePassphraseRequest
	if err := wire.ReadJSON(r.Body, MaxLoginBody, &req); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.ChangePassphrase(r.Context(), p.Owner, &req)
}
