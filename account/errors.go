package account

import (
	"errors"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/internal/httpwire"
)

// Errors of the account operations. Each has a wire code (SPEC.md, "Errors").
var (
	// ErrInvalid: a malformed request or one that fails a check
	// (registration refuses with it whatever the check was).
	ErrInvalid = errors.New("account: invalid request")
	// ErrBadCredentials: no login verifier for the user, or a wrong auth key.
	ErrBadCredentials = errors.New("account: bad credentials")
	// ErrExists: the user name or the signing key is taken.
	ErrExists = errors.New("account: exists")
	// ErrUserLimit: the service holds Config.MaxUsers accounts already.
	ErrUserLimit = errors.New("account: no room for another account")
	// ErrConflict: the account changed while the request was checked.
	ErrConflict = errors.New("account: changed concurrently")
	// ErrNotFound: no such account.
	ErrNotFound = errors.New("account: no such account")
	// ErrTooLarge: a request body over its route's cap.
	ErrTooLarge = errors.New("account: request too large")
)

// Wire codes of the account routes.
const (
	CodeInvalid        = "invalid"
	CodeBadCredentials = "bad_credentials"
	CodeExists         = "exists"
	CodeUserLimit      = "user_limit"
	CodeConflict       = "conflict"
	CodeNotFound       = "not_found"
	CodeTooLarge       = httplimit.CodeTooLarge
	CodeRateLimited    = httplimit.CodeRateLimited
	CodeBusy           = httplimit.CodeBusy
)

// HTTPError is an error answer of the account routes as [Client] returns
// it: the status, the wire code, and the sentinel of this package (or of
// httplimit) the code names, which errors.Is matches.
type HTTPError = httpwire.Error

// wire maps errors to codes; anything else is a 500 whose text stays in
// the server. Refusals of identity's verifiers are answered by identity.
var wire = &httpwire.Convention{Package: "account", TooLarge: ErrTooLarge, Invalid: ErrInvalid, Codes: []httpwire.Code{
	{Code: CodeInvalid, Status: http.StatusBadRequest, Err: ErrInvalid},
	{Code: CodeBadCredentials, Status: http.StatusUnauthorized, Err: ErrBadCredentials},
	{Code: CodeExists, Status: http.StatusConflict, Err: ErrExists},
	{Code: CodeUserLimit, Status: http.StatusForbidden, Err: ErrUserLimit},
	{Code: CodeConflict, Status: http.StatusConflict, Err: ErrConflict},
	{Code: CodeNotFound, Status: http.StatusNotFound, Err: ErrNotFound},
	{Code: CodeTooLarge, Status: http.StatusRequestEntityTooLarge, Err: ErrTooLarge},
	{Code: CodeTooLarge, Status: http.StatusRequestEntityTooLarge, Err: httplimit.ErrTooLarge},
	{Code: CodeRateLimited, Status: http.StatusTooManyRequests, Err: httplimit.ErrRateLimited},
	{Code: CodeBusy, Status: http.StatusServiceUnavailable, Err: httplimit.ErrBusy},
}}
