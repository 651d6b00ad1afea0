package share

import (
	"errors"
	"net/http"
)

// Error codes on the wire: the body of every error response is
// {"error": code}. The HTTP client maps each back to its sentinel.
var wireErrors = []struct {
	code   string
	err    error
	status int
}{
	{"unauthenticated", ErrUnauthenticated, http.StatusUnauthorized},
	{"bad_proof", ErrBadProof, http.StatusUnauthorized},
	{"permission", ErrPermission, http.StatusForbidden},
	{"limit", ErrLimit, http.StatusForbidden},
	{"not_found", ErrNotFound, http.StatusNotFound},
	{"exists", ErrExists, http.StatusConflict},
	{"conflict", ErrConflict, http.StatusConflict},
	{"used", ErrUsed, http.StatusConflict},
	{"expired", ErrExpired, http.StatusGone},
	{"self_share", ErrSelfShare, http.StatusBadRequest},
	{"invalid", ErrInvalid, http.StatusBadRequest},
	{"corrupt", ErrCorrupt, http.StatusBadRequest},
	{"too_large", ErrTooLarge, http.StatusRequestEntityTooLarge},
	{"exhausted", ErrExhausted, http.StatusTooManyRequests},
	{"locked", ErrLocked, http.StatusLocked},
}

// errorCode returns the wire code and status for err; unknown errors are
// "internal" / 500 and their text is not sent.
func errorCode(err error) (string, int) {
	for _, e := range wireErrors {
		if errors.Is(err, e.err) {
			return e.code, e.status
		}
	}
	return "internal", http.StatusInternalServerError
}

// codeError returns the sentinel for a wire code.
func codeError(code string, status int) error {
	for _, e := range wireErrors {
		if e.code == code {
			return e.err
		}
	}
	return &HTTPError{Status: status, Code: code}
}

// HTTPError is an error response the client could not map to a sentinel.
type HTTPError struct {
	Status int
	Code   string
}

func (e *HTTPError) Error() string {
	return "share: server error " + http.StatusText(e.Status) + " (" + e.Code + ")"
}
