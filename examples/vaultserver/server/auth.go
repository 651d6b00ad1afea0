package server

import (
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
)

// refuse logs and answers a refused request.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Info("refused request", "path", r.URL.Path, "err", err)
	writeRefusal(w, r, err)
}

// optionalAuth authenticates when credentials are present and refuses bad
// ones; share's handler refuses anonymous calls to routes that need a user.
// An anonymous body is budgeted to the client address.
func (s *Server) optionalAuth(next http.HandlerFunc) http.HandlerFunc {
	return s.optAuth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := identity.PrincipalFrom(r.Context()); !ok {
			if err := httplimit.AdmitAnonymous(r); err != nil {
				s.refuse(w, r, err)
				return
			}
		}
		next(w, r)
	})).ServeHTTP
}
