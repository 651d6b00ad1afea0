package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Error codes this server adds to share's and identity's (API.md, "Errors").
const (
	CodeInvalid         = "invalid"
	CodeUnauthenticated = "unauthenticated"
	CodeBadCredentials  = "bad_credentials"
	CodeNotFound        = "not_found"
	CodeExists          = "exists"
	CodeTooLarge        = "too_large"
	CodeRateLimited     = "rate_limited"
	CodeQuotaExceeded   = "quota_exceeded"
	CodeLengthRequired  = "length_required"
	CodeInternal        = "internal"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

// apiError is an error response: a status and a code, never a secret.
type apiError struct {
	status int
	code   string
}

func (e *apiError) Error() string { return "vault: " + e.code }

var (
	errInvalid        = &apiError{http.StatusBadRequest, CodeInvalid}
	errLengthRequired = &apiError{http.StatusBadRequest, CodeLengthRequired}
	errBadCredentials = &apiError{http.StatusUnauthorized, CodeBadCredentials}
	errNotFound       = &apiError{http.StatusNotFound, CodeNotFound}
	errExists         = &apiError{http.StatusConflict, CodeExists}
	errTooLarge       = &apiError{http.StatusRequestEntityTooLarge, CodeTooLarge}
	errRateLimited    = &apiError{http.StatusTooManyRequests, CodeRateLimited}
	errQuota          = &apiError{http.StatusInsufficientStorage, CodeQuotaExceeded}
)

// writeError answers with err's status and code. Unknown errors are a 500
// whose text stays in the server.
func writeError(w http.ResponseWriter, err error) {
	status, code := http.StatusInternalServerError, CodeInternal
	var ae *apiError
	var re *identity.RejectError
	switch {
	case errors.As(err, &ae):
		status, code = ae.status, ae.code
	case errors.As(err, &re):
		status, code = re.StatusCode(), string(re.Reason)
	case errors.Is(err, share.ErrNotFound):
		status, code = http.StatusNotFound, CodeNotFound
	case errors.Is(err, share.ErrExists):
		status, code = http.StatusConflict, CodeExists
	case errors.Is(err, share.ErrPermission):
		status, code = http.StatusForbidden, "permission"
	case errors.Is(err, keystore.ErrUnlock):
		status, code = http.StatusUnauthorized, CodeBadCredentials
	case errors.Is(err, share.ErrInvalid), errors.Is(err, keystore.ErrCorrupt), errors.Is(err, keystore.ErrPolicy):
		status, code = http.StatusBadRequest, CodeInvalid
	}
	writeJSON(w, status, ErrorBody{Error: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a size-capped JSON body strictly.
func readJSON(r *http.Request, max int64, v any) error {
	body := http.MaxBytesReader(nil, r.Body, max)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return errInvalid
	}
	if dec.More() {
		return errInvalid
	}
	return nil
}
