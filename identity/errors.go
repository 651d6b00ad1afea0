package identity

import (
	"net/http"

	"github.com/sealkit/sealkit/internal/httpwire"
	"github.com/sealkit/sealkit/internal/storeerr"
)

// Storage error codes shared by every sealkit store. KeyRegistry and
// ReplayStore implementations return (or wrap) these.
var (
	// ErrNotFound: the key ID is not registered.
	ErrNotFound = storeerr.ErrNotFound
	// ErrExists: the key ID is already registered, or the (key ID, nonce)
	// pair was already remembered by a ReplayStore.
	ErrExists = storeerr.ErrExists
)

// Reason is the machine-readable cause of a rejection, sent to clients in
// the JSON body of a refused request as {"error": reason}.
type Reason string

// Reasons, one per way a request, message or token can be refused.
const (
	ReasonNoCredentials     Reason = "unauthenticated"
	ReasonMissingSignature  Reason = "missing_signature"
	ReasonMalformed         Reason = "malformed_signature"
	ReasonUnknownAlgorithm  Reason = "unknown_algorithm"
	ReasonUnknownKey        Reason = "unknown_key"
	ReasonRevokedKey        Reason = "revoked_key"
	ReasonBadSignature      Reason = "bad_signature"
	ReasonPolicy            Reason = "insufficient_coverage"
	ReasonStale             Reason = "stale"
	ReasonReplayed          Reason = "replayed"
	ReasonDigestMismatch    Reason = "digest_mismatch"
	ReasonBodyTooLarge      Reason = "body_too_large"
	ReasonInsecureTransport Reason = "insecure_transport"
	ReasonPermissionDenied  Reason = "permission_denied"
	ReasonBadToken          Reason = "invalid_token"
	ReasonUnavailable       Reason = "unavailable"
)

// RejectError is returned, possibly wrapped, for every refused request,
// message or token. Detail says which check failed and never holds key
// material. errors.Is(err, ErrStale) (and the other Err… values) matches
// on Reason alone.
type RejectError struct {
	Reason Reason
	Detail string
	// Err is an underlying cause (a store error, a parse error), if any.
	Err error
}

func (e *RejectError) Error() string {
	s := "identity: " + string(e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *RejectError) Unwrap() error { return e.Err }

// Is reports whether target is a *RejectError with the same Reason.
func (e *RejectError) Is(target error) bool {
	t, ok := target.(*RejectError)
	return ok && t.Reason == e.Reason
}

// StatusCode is the HTTP status Handler answers with: 403 when the client
// is known but not allowed (revoked key, missing permission, plain HTTP),
// 503 when a store failed, 401 otherwise.
func (e *RejectError) StatusCode() int {
	switch e.Reason {
	case ReasonRevokedKey, ReasonPermissionDenied, ReasonInsecureTransport:
		return http.StatusForbidden
	case ReasonUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// Sentinels for errors.Is; each matches every *RejectError of its Reason.
var (
	// ErrNoCredentials: a request with neither a signature nor an
	// Authorization field ([Authenticator]).
	ErrNoCredentials     = &RejectError{Reason: ReasonNoCredentials}
	ErrMissingSignature  = &RejectError{Reason: ReasonMissingSignature}
	ErrMalformed         = &RejectError{Reason: ReasonMalformed}
	ErrUnknownAlgorithm  = &RejectError{Reason: ReasonUnknownAlgorithm}
	ErrUnknownKey        = &RejectError{Reason: ReasonUnknownKey}
	ErrRevokedKey        = &RejectError{Reason: ReasonRevokedKey}
	ErrBadSignature      = &RejectError{Reason: ReasonBadSignature}
	ErrPolicy            = &RejectError{Reason: ReasonPolicy}
	ErrStale             = &RejectError{Reason: ReasonStale}
	ErrReplayed          = &RejectError{Reason: ReasonReplayed}
	ErrDigestMismatch    = &RejectError{Reason: ReasonDigestMismatch}
	ErrBodyTooLarge      = &RejectError{Reason: ReasonBodyTooLarge}
	ErrInsecureTransport = &RejectError{Reason: ReasonInsecureTransport}
	ErrPermissionDenied  = &RejectError{Reason: ReasonPermissionDenied}
	ErrBadToken          = &RejectError{Reason: ReasonBadToken}
	ErrUnavailable       = &RejectError{Reason: ReasonUnavailable}
)

// wire is identity's use of the one HTTP error convention: every Reason is
// a code, sent with its RejectError status.
var wire = func() *httpwire.Convention {
	c := &httpwire.Convention{Package: "identity", TooLarge: ErrBodyTooLarge, Invalid: ErrMalformed}
	for _, e := range []*RejectError{
		ErrNoCredentials, ErrMissingSignature, ErrMalformed, ErrUnknownAlgorithm, ErrUnknownKey,
		ErrRevokedKey, ErrBadSignature, ErrPolicy, ErrStale, ErrReplayed, ErrDigestMismatch,
		ErrBodyTooLarge, ErrInsecureTransport, ErrPermissionDenied, ErrBadToken, ErrUnavailable,
	} {
		c.Codes = append(c.Codes, httpwire.Code{Code: string(e.Reason), Status: e.StatusCode(), Err: e})
	}
	return c
}()

func reject(r Reason, detail string) error { return &RejectError{Reason: r, Detail: detail} }

func rejectErr(r Reason, detail string, err error) error {
	return &RejectError{Reason: r, Detail: detail, Err: err}
}
