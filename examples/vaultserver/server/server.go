package server

import (
	"net/http"
	"net/netip"
	"os"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
	"github.com/sealkit/sealkit/storageauth"
)

// Server is the vault's http.Handler. Build it with New.
type Server struct {
	cfg      Config
	svc      *share.Service
	shareH   *sharehttp.Handler
	auth     *identity.Authenticator  // signature or bearer token (auth.go)
	optAuth  *identity.Authenticator  // auth, also passing anonymous requests
	limits   *httplimit.Limits        // connections, requests, bodies, transfers (limits.go)
	handler  http.Handler             // mux under limits.Handler
	csp      string                   // Content-Security-Policy of every response
	signer   *identity.ResponseSigner // signs every routed answer (limit)
	slotRate *httplimit.RateLimiter   // storageauth slots created per client address (counts.go)
}

var _ http.Handler = (*Server)(nil)

// New returns the vault server over cfg.Stores. The token-signing key is
// made here, so tokens do not outlive the process (clients log in again).
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	cfg.Limits.WriteError = writeError
	limits, err := httplimit.New(cfg.Limits)
	if err != nil {
		return nil, err
	}
	cfg.Limits = limits.Config()
	s := &Server{cfg: cfg, csp: baseCSP, limits: limits}
	s.slotRate = httplimit.NewRateLimiter(cfg.SlotRate, cfg.Now)
	tokenKey, err := identity.GenerateKey()
	if err != nil {
		return nil, err
	}
	if cfg.ResponseKey == nil {
		if cfg.ResponseKey, err = identity.GenerateKey(); err != nil {
			return nil, err
		}
	}
	s.signer = &identity.ResponseSigner{Key: cfg.ResponseKey, Now: cfg.Now, WriteError: func(w http.ResponseWriter, err error) {
		s.cfg.Logger.Error("signing a response", "err", err)
		writeError(w, err)
	}}
	accounts, err := account.New(account.Config{Stores: cfg.Stores.Stores, Pepper: cfg.Pepper, LoginRate: cfg.LoginRate,
		MaxUsers: int64(cfg.MaxUsers), InsecureAllowWeakKDF: cfg.KDFPolicy != nil && cfg.KDFPolicy.InsecureAllowWeak,
		Tokens:        &identity.TokenIssuer{Key: tokenKey, Issuer: "sealkit-vault", TTL: cfg.TokenTTL, Now: cfg.Now},
		TokenAudience: TokenAudience, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	var proxy *identity.TrustedProxy
	if cfg.InsecureLoopback {
		proxy = &identity.TrustedProxy{Authority: cfg.Authority, Allow: fromLoopback}
	}
	s.auth = &identity.Authenticator{
		// One Verifier for every route: its cap is the upload route's, and
		// each route's smaller cap reaches it through http.MaxBytesReader.
		Signatures: &identity.Verifier{
			Registry:     cfg.Stores.KeyRegistry,
			Replay:       cfg.Stores.Replay,
			MaxBodyBytes: cfg.maxUploadBody(),
			Authority:    cfg.Authority,
			TrustedProxy: proxy,
			Now:          cfg.Now,
		},
		Tokens: &identity.TokenVerifier{Key: tokenKey.Public(), Issuer: "sealkit-vault", Audience: TokenAudience,
			Registry: cfg.Stores.KeyRegistry, TrustedProxy: proxy, Now: cfg.Now},
		Admit: func(r *http.Request, e identity.KeyEntry) error { return httplimit.Admit(r, e.Owner) },
		Deny:  s.refuse,
	}
	opt := *s.auth
	opt.Optional = true
	s.optAuth = &opt
	s.svc = share.NewService(cfg.Stores.Share, cfg.Stores.Blobs)
	s.svc.MaxBlobSize = cfg.MaxObjectSize
	s.svc.Now = cfg.Now
	s.svc.Quota = s.quota
	s.svc.Notify = s.notify
	s.shareH = sharehttp.NewHandler(s.svc, s.optAuth.Owner,
		sharehttp.LinkRate(cfg.LinkRate), sharehttp.MaxDownloads(cfg.MaxDownloadsPerUser))
	sa := storageauth.NewServer(cfg.Stores.StorageAuth)
	sa.RequireRetrieveProof = true
	sa.MaxCiphertext = storageauth.DefaultMaxCiphertext // what maxStorageBody is sized for
	sa.Now = cfg.Now
	sa.AllowCreate = s.allowSlot

	upload := httplimit.Route{MaxBody: cfg.maxUploadBody(), Transfer: httplimit.Upload, Authenticates: true}
	download := httplimit.Route{MaxBody: maxSmallBody, Transfer: httplimit.Download, Authenticates: true}
	linkAccess := httplimit.Route{MaxBody: maxSmallBody, Transfer: httplimit.Download}
	m := http.NewServeMux()
	accountsH := account.NewHandler("/api", accounts, s.auth) // registration, login, keys, tokens
	for _, rt := range account.Routes() {
		m.HandleFunc(rt.Method+" /api"+rt.Path, s.limit(rt.Limits(), accountsH.ServeHTTP))
	}
	m.HandleFunc("GET /api/v1/server-key", s.limit(anonRoute, s.handleServerKey))
	m.HandleFunc("POST /api/v1/items", s.limit(upload, s.auth.Handler(http.HandlerFunc(s.shareAPI)).ServeHTTP))
	m.HandleFunc("POST /api/v1/items/{id}/download", s.limit(download, s.optionalAuth(s.shareAPI)))
	m.HandleFunc("GET /api/v1/links/{id}", s.limit(anonRoute, s.shareAPI))
	m.HandleFunc("POST /api/v1/links/{id}/access", s.limit(linkAccess, s.shareAPI))
	m.HandleFunc("/api/", s.limit(authRoute, s.optionalAuth(s.shareAPI)))
	m.Handle("/storageauth/", s.limit(storageRoute, http.StripPrefix("/storageauth", sa).ServeHTTP))
	if cfg.StaticDir != "" {
		root, err := os.OpenRoot(cfg.StaticDir)
		if err != nil {
			return nil, err
		}
		s.csp = contentSecurityPolicy(root.FS())
		m.Handle("/", s.limit(anonRoute, staticOnly(http.FileServerFS(root.FS())).ServeHTTP))
		// Link URLs (<server>/l/<id>#<secret>) open the web client's page,
		// which reads the secret from the fragment.
		m.HandleFunc("GET /l/{id}", s.limit(anonRoute, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, root.FS(), "index.html")
		}))
	}
	s.handler = limits.Handler(m)
	return s, nil
}

// ServeHTTP implements http.Handler. Every request has the limits of
// Config.Limits (httplimit.Limits.Handler): deadlines, and at most
// MaxRequestsPerAddr requests in flight per client address.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // link secrets ride in fragments; keep paths private too
	h.Set("Content-Security-Policy", s.csp)
	s.handler.ServeHTTP(w, r)
}

// handleServerKey publishes the response key, for clients to pin.
func (s *Server) handleServerKey(w http.ResponseWriter, _ *http.Request) {
	k := s.signer.Key.Public()
	writeJSON(w, http.StatusOK, api.ServerKeyResponse{Alg: string(k.Algorithm()), KeyID: k.KeyID(), PublicKey: k.Bytes()})
}

// Service returns the share service, for tests and tools in process.
func (s *Server) Service() *share.Service { return s.svc }

// shareAPI hands a request to share's handler under /api.
func (s *Server) shareAPI(w http.ResponseWriter, r *http.Request) {
	http.StripPrefix("/api", s.shareH).ServeHTTP(w, r)
}

// staticOnly lets GET and HEAD through to the static files.
func staticOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: "method_not_allowed"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func fromLoopback(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
