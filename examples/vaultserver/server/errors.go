package server

import (
	"errors"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/sealkit/sealkit/share"
)

// Error codes of this server's own routes (API.md, "Errors"); share's
// routes answer with share's codes, refused credentials with identity's.
const (
	CodeInvalid     = "invalid"
	CodeNotFound    = "not_found"
	CodeTooLarge    = httplimit.CodeTooLarge
	CodeRateLimited = httplimit.CodeRateLimited
	CodeBusy        = httplimit.CodeBusy
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

// wire maps errors to codes; anything else is a 500 whose text stays in
// the server. The server reads no JSON body itself: its routes' bodies are
// account's, share's and storageauth's.
var wire = &httpwire.Convention{Package: "vault", Codes: []httpwire.Code{
	{Code: CodeNotFound, Status: http.StatusNotFound, Err: share.ErrNotFound},
	{Code: "permission", Status: http.StatusForbidden, Err: share.ErrPermission},
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: share.ErrInvalid},
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
