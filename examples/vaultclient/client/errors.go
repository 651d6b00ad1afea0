package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// APIError is an error response from the server's own routes: the status
// and the code of its {"error": code} body (API.md, "Errors").
type APIError struct {
	Status int
	Code   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("vault: %s (%d %s)", e.Code, e.Status, http.StatusText(e.Status))
}

// IsStatus reports whether err is an *APIError with that status.
func IsStatus(err error, status int) bool {
	e, ok := err.(*APIError)
	return ok && e.Status == status
}

func readAPIError(resp *http.Response) error {
	var body struct {
		Error string `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&body)
	return &APIError{Status: resp.StatusCode, Code: body.Error}
}
