package sharehttp

import (
	"fmt"
	"net/http"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/sealkit/sealkit/share"
)

// wire is share's code table: the wire code and status of each sentinel.
// It drives the handler's answers, the client's errors and the OpenAPI
// check. Any other error is "internal" (500) and its text is not sent.
var wire = httpwire.Convention{
	Package: "share",
	Codes: []httpwire.Code{
		{Code: "unauthenticated", Status: http.StatusUnauthorized, Err: share.ErrUnauthenticated},
		{Code: "bad_proof", Status: http.StatusUnauthorized, Err: share.ErrBadProof},
		{Code: "permission", Status: http.StatusForbidden, Err: share.ErrPermission},
		{Code: "limit", Status: http.StatusForbidden, Err: share.ErrLimit},
		{Code: "quota", Status: http.StatusInsufficientStorage, Err: share.ErrQuota},
		{Code: "not_found", Status: http.StatusNotFound, Err: share.ErrNotFound},
		{Code: "exists", Status: http.StatusConflict, Err: share.ErrExists},
		{Code: "conflict", Status: http.StatusConflict, Err: share.ErrConflict},
		{Code: "used", Status: http.StatusConflict, Err: share.ErrUsed},
		{Code: "expired", Status: http.StatusGone, Err: share.ErrExpired},
		{Code: "self_share", Status: http.StatusBadRequest, Err: share.ErrSelfShare},
		{Code: "invalid", Status: http.StatusBadRequest, Err: share.ErrInvalid},
		{Code: "corrupt", Status: http.StatusBadRequest, Err: share.ErrCorrupt},
		{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Err: share.ErrTooLarge},
		{Code: "exhausted", Status: http.StatusTooManyRequests, Err: share.ErrExhausted},
		{Code: "locked", Status: http.StatusLocked, Err: share.ErrLocked},
		{Code: "range_not_satisfiable", Status: http.StatusRequestedRangeNotSatisfiable, Err: share.ErrRange},
		{Code: "rate_limited", Status: http.StatusTooManyRequests, Err: httplimit.ErrRateLimited}, // LinkRate, MaxDownloads
	},
	TooLarge: share.ErrTooLarge,
	Invalid:  share.ErrInvalid,
}

// WriteError answers with err's code and status from share's code table,
// {"error": code}; an error that wraps none of share's sentinels is
// "internal" (500), its text not sent. A refusal with a RetryAfter
// method (an [httplimit.RetryError]) also sets Retry-After. A server that refuses a share
// request before the [Handler] sees it (a quota on [ReadUploadFrame]'s
// result, say) answers through WriteError so clients get share's codes.
func WriteError(w http.ResponseWriter, err error) { wire.WriteError(w, err) }

// invalid returns an error wrapping share.ErrInvalid.
func invalid(what string) error { return fmt.Errorf("%w: %s", share.ErrInvalid, what) }
