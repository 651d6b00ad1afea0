package server

import (
	"errors"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Error codes of this server's own routes (API.md, "Errors"); share's
// routes answer with share's codes, refused credentials with identity's.
const (
	CodeInvalid        = "invalid"
	CodeBadCredentials = "bad_credentials"
	CodeNotFound       = "not_found"
	CodeExists         = "exists"
	CodeTooLarge       = httplimit.CodeTooLarge
	CodeRateLimited    = httplimit.CodeRateLimited
	CodeBusy           = httplimit.CodeBusy
	CodeUserLimit      = "user_limit"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

var (
	errInvalid        = errors.New("vault: invalid request")
	errBadCredentials = errors.New("vault: bad credentials")
	errExists         = errors.New("vault: exists")
	errTooLarge       = errors.New("vault: request too large")
	errUserLimit      = errors.New("vault: no room for another account")
)

// wire maps errors to codes; anything else is a 500 whose text stays in
// the server.
var wire = &httpwire.Convention{Package: "vault", TooLarge: errTooLarge, Invalid: errInvalid, Codes: []httpwire.Code{
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: errInvalid},
	{Code: CodeBadCredentials, Status: http.StatusUnauthorized, Err: errBadCredentials},
	{Code: CodeBadCredentials, Status: http.StatusUnauthorized, Err: keystore.ErrUnlock},
	{Code: CodeExists, Status: http.StatusConflict, Err: errExists},
	{Code: CodeTooLarge, Status: http.StatusRequestEntityTooLarge, Err: errTooLarge},
	{Code: CodeUserLimit, Status: http.StatusForbidden, Err: errUserLimit},
	{Code: CodeNotFound, Status: http.StatusNotFound, Err: share.ErrNotFound},
	{Code: CodeNotFound, Status: http.StatusNotFound, Err: keystore.ErrNotFound},
	{Code: "permission", Status: http.StatusForbidden, Err: share.ErrPermission},
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: share.ErrInvalid},
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: keystore.ErrCorrupt},
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: keystore.ErrPolicy},
	{Code: CodeTooLarge, Status: http.StatusRequestEntityTooLarge, Err: httplimit.ErrTooLarge},
	{Code: CodeRateLimited, Status: http.StatusTooManyRequests, Err: httplimit.ErrRateLimited},
	{Code: CodeBusy, Status: http.StatusServiceUnavailable, Err: httplimit.ErrBusy},
}}

// writeError answers with err's status and code (with Retry-After for a
// refusal that passes): identity's for its refusals, else wire's.
func writeError(w http.ResponseWriter, err error) {
	if _, ok := errors.AsType[*identity.RejectError](err); ok {
		identity.WriteError(w, err)
		return
	}
	wire.WriteError(w, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpwire.WriteJSON(w, status, v) }

// readJSON decodes a size-capped JSON body strictly.
func readJSON(r *http.Request, max int64, v any) error { return wire.ReadJSON(r.Body, max, v) }
