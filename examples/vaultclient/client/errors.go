package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/share"
)

// APIError is an error response from the server's own routes other than
// the account routes (which answer *account.HTTPError): the status
// and the code of its {"error": code} body (API.md, "Errors").
type APIError struct {
	Status int
	Code   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("vault: %s (%d %s)", e.Code, e.Status, http.StatusText(e.Status))
}

// IsStatus reports whether err is an *APIError or an *account.HTTPError
// (from the account routes) with that status.
func IsStatus(err error, status int) bool {
	if e, ok := err.(*APIError); ok {
		return e.Status == status
	}
	e, ok := err.(*account.HTTPError)
	return ok && e.Status == status
}

func readAPIError(resp *http.Response) error {
	var body struct {
		Error string `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&body)
	return &APIError{Status: resp.StatusCode, Code: body.Error}
}

// UnknownRecipientsError is returned by Upload, before anything is sent,
// when some recipients cannot be shared with: not registered, without a
// usable published key, or malformed names.
type UnknownRecipientsError struct {
	Users []string // in the order given
}

func (e *UnknownRecipientsError) Error() string {
	return "vault: unknown recipients: " + strings.Join(e.Users, ", ")
}

// ShareError is returned by Upload when the file was stored (Item) but
// sharing it with some recipients failed: Shared got it, Failed did not,
// Errs[i] being why Failed[i] did not.
type ShareError struct {
	Item   *share.Item
	Shared []string
	Failed []string
	Errs   []error
}

func (e *ShareError) Error() string {
	why := make([]string, len(e.Failed))
	for i, u := range e.Failed {
		why[i] = fmt.Sprintf("%s: %v", u, e.Errs[i])
	}
	return fmt.Sprintf("vault: stored %s but could not share it with %s", e.Item.ID, strings.Join(why, "; "))
}

// Unwrap returns the share errors, for errors.Is and errors.As.
func (e *ShareError) Unwrap() []error { return e.Errs }
