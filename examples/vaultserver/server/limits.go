package server

import (
	"net/http"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// Body caps of the small routes (API.md, "Limits"). Only the upload route
// takes a body of object size.
const (
	// maxSmallBody caps share's JSON routes, the signed routes that send
	// no body, and everything else.
	maxSmallBody = share.MaxSmallRecord
	// maxStorageBody is the most storageauth's Server reads of a PUT: half
	// as much again as its MaxCiphertext (set to DefaultMaxCiphertext in
	// New). A larger cap would admit bytes it can never use.
	maxStorageBody = storageauth.DefaultMaxCiphertext + storageauth.DefaultMaxCiphertext/2
	// maxAnonBody is the largest body an anonymous request may send (the
	// register route's): each anonymous budget must admit one.
	maxAnonBody = max(account.MaxRegisterBody, account.MaxLoginBody, maxStorageBody, maxSmallBody)
)

// The routes' limits. An authenticating route's handler admits its body
// to the user's budget (authenticate) or, for a request without
// credentials, to the client address's (optionalAuth).
var (
	anonRoute    = httplimit.Route{MaxBody: maxSmallBody}
	authRoute    = httplimit.Route{MaxBody: maxSmallBody, Authenticates: true}
	storageRoute = httplimit.Route{MaxBody: maxStorageBody}
)

// limit applies rt's body cap, budget and pacing to next, and signs its
// answers and refusals (API.md, "Signed responses"): a download route's
// 200, or 206 to a Range, is streamed, signed without its body (and with
// its Content-Range); every other answer is buffered and signed with its
// Content-Digest.
func (s *Server) limit(rt httplimit.Route, next http.HandlerFunc) http.HandlerFunc {
	sign := s.signer.Handler
	if rt.Transfer == httplimit.Download {
		sign = s.signer.StreamHandler
	}
	return sign(s.limits.Route(rt, next)).ServeHTTP
}

// writeRefusal answers a request refused before its body was read.
func writeRefusal(w http.ResponseWriter, r *http.Request, err error) {
	httplimit.PrepareRefusal(w, r, err)
	writeError(w, err)
}
