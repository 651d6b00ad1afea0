package identity

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// TrustedProxy describes the TLS-terminating reverse proxy in front of a
// server. Proxies commonly rewrite Host (so @authority and @target-uri
// differ from what the client signed) and forward plain HTTP (so @scheme
// looks like "http"): the Verifier therefore never takes those from the
// forwarded request or from X-Forwarded-* headers, but uses "https" and
// Authority.
type TrustedProxy struct {
	// Authority is the public host[:port] clients address and sign.
	// Required.
	Authority string
	// Allow, if set, reports whether a plain-HTTP request really came
	// through the proxy (for example: RemoteAddr is the proxy's address).
	// If nil, every plain-HTTP request is taken to have come through the
	// proxy: the network must ensure only the proxy can reach the server.
	Allow func(*http.Request) bool
}

// Verifier is server middleware that accepts only requests signed (RFC
// 9421) by a registered, unrevoked key, over TLS, fresh, unreplayed and
// with a matching Content-Digest. Set Registry; the other fields have
// working defaults. It is safe for concurrent use; do not change fields
// after first use.
//
// A request must cover @method, either @target-uri or all of @authority,
// @path and @query, content-digest, content-type when the request has one,
// and RequiredHeaders; its parameters must include created, nonce and keyid
// (alg and expires are optional and checked when present).
type Verifier struct {
	// Registry resolves key IDs. Required.
	Registry KeyRegistry
	// Replay remembers nonces; nil means one MemoryReplayStore per Verifier.
	Replay ReplayStore
	// Label selects the signature to verify; "" requires exactly one.
	Label string
	// MaxAge and MaxSkew bound freshness (DefaultMaxAge, DefaultMaxSkew).
	MaxAge, MaxSkew time.Duration
	// MaxBodyBytes caps the body read and hashed (DefaultMaxBodyBytes).
	// The body is buffered as its bytes arrive, never sized from
	// Content-Length; a smaller per-route cap set with http.MaxBytesReader
	// on r.Body is reported as ErrBodyTooLarge too.
	MaxBodyBytes int64
	// RequiredHeaders are lowercase header names that must be covered.
	RequiredHeaders []string
	// Authority, if set, is the public host[:port] that @authority and
	// @target-uri must name, instead of the request's Host.
	Authority string
	// TrustedProxy allows plain-HTTP requests from a TLS-terminating proxy.
	// Without it, requests that did not arrive over TLS are refused.
	TrustedProxy *TrustedProxy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Admit, if set, is called once the signature has verified and the
	// nonce is reserved, just before the body is read, with the key's
	// entry; an error refuses the request and Verify returns it as is
	// (return a *RejectError for Handler to answer with its status).
	// Servers use it to bound the body bytes they buffer per key owner
	// (r.ContentLength, or up to MaxBodyBytes when it is -1).
	Admit func(r *http.Request, e KeyEntry) error

	once   sync.Once
	replay ReplayStore
}

// authority refuses requests that did not arrive over TLS unless p allows
// them, and returns the authority to verify against: r.Host over TLS,
// p.Authority behind the proxy.
func (p *TrustedProxy) authority(r *http.Request) (string, error) {
	if r.TLS != nil {
		return r.Host, nil
	}
	if p == nil || p.Authority == "" || (p.Allow != nil && !p.Allow(r)) {
		return "", reject(ReasonInsecureTransport, "request did not arrive over TLS")
	}
	return p.Authority, nil
}

func (v *Verifier) replayStore() ReplayStore {
	if v.Replay != nil {
		return v.Replay
	}
	v.once.Do(func() { v.replay = &MemoryReplayStore{Now: v.Now} })
	return v.replay
}

// Check verifies r and returns nil or a *RejectError (or Admit's error).
// On success it has read the body and replaced it with an in-memory copy
// whose every byte matched Content-Digest; on failure the body may be
// partly read. Once the signature verifies, the nonce is spent even if the
// body then fails: a client retries with a new signature.
func (v *Verifier) Check(r *http.Request) error {
	var out Verified // on the stack: Check does not return it
	return v.verify(r, nil, &out)
}

// Verify is Check returning the *Verified outcome.
func (v *Verifier) Verify(r *http.Request) (*Verified, error) {
	out := new(Verified)
	if err := v.verify(r, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// verify is Verify with a further admission check after v.Admit, setting
// *out on success.
func (v *Verifier) verify(r *http.Request, admit func(*http.Request, KeyEntry) error, out *Verified) error {
	scheme := "https"
	authority, err := v.TrustedProxy.authority(r)
	if err != nil {
		return err
	}
	if v.Authority != "" {
		authority = v.Authority
	}
	ps, err := parseSignatures(r.Header, v.Label)
	if err != nil {
		return err
	}
	p := &ps.sp.p
	if err := v.checkCoverage(r, ps.sp); err != nil {
		return err
	}
	if err := checkNonce(p.Nonce); err != nil {
		return err
	}
	if p.Alg != "" && p.Alg != Ed25519 && p.Alg != ECDSAP256SHA256 {
		return reject(ReasonUnknownAlgorithm, "alg "+strconv.Quote(string(p.Alg)))
	}
	until, err := newFreshness(v.MaxAge, v.MaxSkew, v.Now).check(p.Created, p.Expires)
	if err != nil {
		return err
	}
	ctx := r.Context()
	entry, err := lookupKey(ctx, v.Registry, p.KeyID)
	if err != nil {
		return err
	}
	m := requestView(r, scheme, authority)
	if err := m.verify(ps, entry.PublicKey); err != nil {
		return err
	}
	// The signature covers Content-Digest; now check the body against it.
	max := v.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	if r.ContentLength > max {
		return reject(ReasonBodyTooLarge, "Content-Length exceeds the cap")
	}
	digest, err := parseContentDigest(r.Header[headerContentDigest])
	if err != nil {
		return err
	}
	// Reserve the nonce before reading the body: the same signed headers
	// sent on other connections are refused at once instead of each
	// holding a body read open.
	if err := remember(ctx, v.replayStore(), entry.KeyID(), p.Nonce, until); err != nil {
		return err
	}
	for _, f := range [...]func(*http.Request, KeyEntry) error{v.Admit, admit} {
		if f == nil {
			continue
		}
		if err := f(r, entry); err != nil {
			return err
		}
	}
	body, err := readBufferedBody(r.Body, max, r.ContentLength, digest)
	if err != nil {
		return err
	}
	if err := digest.check(); err != nil {
		return err
	}
	r.Body = body
	r.ContentLength = body.n
	*out = Verified{
		ok:        true,
		entry:     entry,
		created:   p.Created,
		nonce:     p.Nonce,
		signature: headerGet(r.Header, headerSignature),
	}
	return nil
}

func (v *Verifier) checkCoverage(r *http.Request, sp *sigParams) error {
	has := func(name string) bool { return slices.Contains(sp.comps, component{name: name}) }
	for _, c := range sp.comps {
		if c.req {
			return reject(ReasonMalformed, "request signature covers "+c.String())
		}
	}
	if !has("@method") {
		return reject(ReasonPolicy, "@method not covered")
	}
	if !has("@target-uri") && !(has("@authority") && has("@path") && has("@query")) {
		return reject(ReasonPolicy, "@target-uri (or @authority, @path and @query) not covered")
	}
	if !has("content-digest") {
		return reject(ReasonPolicy, "content-digest not covered")
	}
	if headerGet(r.Header, headerContentType) != "" && !has("content-type") {
		return reject(ReasonPolicy, "content-type not covered")
	}
	for _, h := range v.RequiredHeaders {
		if !has(h) {
			return reject(ReasonPolicy, h+" not covered")
		}
	}
	return nil
}

// Handler returns middleware that answers refused requests with the
// RejectError's status and a JSON body {"error": reason}, and passes
// verified ones to next with the *Verified in the context
// (VerifiedFromContext, KeyIDFromContext). A refused request with a body
// also closes the connection, so the server does not wait for body bytes
// it will never use.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ver, err := v.Verify(r)
		if err != nil {
			if r.ContentLength != 0 {
				w.Header().Set("Connection", "close")
			}
			WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withVerified(r.Context(), ver)))
	})
}

// RequirePermission returns middleware, to be placed after
// [Authenticator.Handler], [Verifier.Handler] or [TokenVerifier.Handler],
// that refuses requests whose key lacks perm with 403 permission_denied.
func RequirePermission(perm string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var has, ok bool
			if p, found := PrincipalFrom(r.Context()); found {
				has, ok = p.HasPermission(perm), true
			} else if ver, found := VerifiedFromContext(r.Context()); found {
				has, ok = ver.HasPermission(perm), true
			}
			switch {
			case !ok:
				WriteError(w, reject(ReasonNoCredentials, "request was not authenticated"))
			case !has:
				WriteError(w, reject(ReasonPermissionDenied, "key lacks permission"))
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// ErrorBody is the JSON body WriteError sends.
type ErrorBody struct {
	Error Reason `json:"error"`
}

// WriteError answers a refused request with the internal/httpwire
// convention: the *[RejectError]'s status and {"error": reason}; any other
// error is 500 {"error": "internal"}. Detail stays in the server's hands
// (log it if useful); the client gets only the reason.
func WriteError(w http.ResponseWriter, err error) { wire.WriteError(w, err) }
