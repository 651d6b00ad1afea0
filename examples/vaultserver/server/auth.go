package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
)

// authenticate establishes the acting user from an RFC 9421 signature
// (identity.Verifier: registered key, fresh, not replayed, body digest) or,
// failing that, a bearer token this server issued. It returns ok=false and
// no error for a request with neither. Either way the request is admitted
// to the user's body budget before the body is read (the Verifier's Admit,
// for signatures).
func (s *Server) authenticate(r *http.Request) (*http.Request, bool, error) {
	if r.Header.Get("Signature-Input") != "" || r.Header.Get("Signature") != "" {
		if !s.cfg.InsecureLoopback && r.TLS == nil {
			return r, false, identity.ErrInsecureTransport
		}
		v, err := s.verifier.Verify(r)
		if err != nil {
			return r, false, err
		}
		p := principal{user: v.Owner(), verified: v}
		return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), true, nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return r, false, nil
	}
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return r, false, identity.ErrBadToken
	}
	if !s.cfg.InsecureLoopback && r.TLS == nil {
		return r, false, identity.ErrInsecureTransport
	}
	claims, err := s.tokens.Verify(token)
	if err != nil {
		return r, false, err
	}
	e, err := s.cfg.Stores.Registry.Lookup(r.Context(), claims.Subject)
	if err != nil || e.Revoked {
		return r, false, identity.ErrRevokedKey
	}
	if err := httplimit.Admit(r, e.Owner); err != nil {
		return r, false, err
	}
	p := principal{user: e.Owner}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), true, nil
}

// authed requires an authenticated user.
func (s *Server) authed(next func(http.ResponseWriter, *http.Request, principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok, err := s.authenticate(r)
		if err != nil {
			s.cfg.Logger.Info("refused request", "path", r.URL.Path, "err", err)
			writeRefusal(w, r, err)
			return
		}
		if !ok {
			writeRefusal(w, r, errUnauthenticated)
			return
		}
		p, _ := principalFrom(r.Context())
		next(w, r, p)
	}
}

// optionalAuth authenticates when credentials are present and refuses bad
// ones; share's handler refuses anonymous calls to routes that need a user.
// An anonymous body is budgeted to the client address.
func (s *Server) optionalAuth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, ok, err := s.authenticate(r)
		if err == nil && !ok {
			err = httplimit.AdmitAnonymous(r)
		}
		if err != nil {
			s.cfg.Logger.Info("refused request", "path", r.URL.Path, "err", err)
			writeRefusal(w, r, err)
			return
		}
		next(w, r)
	}
}
