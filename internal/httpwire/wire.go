// Package httpwire is the one HTTP convention of sealkit's JSON APIs
// (share, storageauth, identity and the reference server): request bodies
// are single JSON values under a size cap with no unknown fields, errors
// are {"error": code} with a status, and clients turn an error response
// back into one *Error that errors.Is matches to the package's sentinel.
package httpwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Code binds a wire error code to a package's sentinel and the status it
// is sent with.
type Code struct {
	Code   string
	Status int
	Err    error
}

// Convention is one package's use of the wire: its name (for messages),
// its error codes, and the sentinels a refused body maps to.
type Convention struct {
	Package  string
	Codes    []Code
	TooLarge error // a body over its cap
	Invalid  error // a body that is not exactly one JSON value of the type
}

// CodeInternal is sent for any error that is not one of a package's codes;
// its text is never sent, since it may come from a backend.
const CodeInternal = "internal"

// MaxErrorBody caps what a client reads of an error response.
const MaxErrorBody = 4 << 10

// Error is an error response as a client sees it: the status, the code,
// and the package's sentinel for the code (nil for a code it does not
// know), which errors.Is matches.
type Error struct {
	Package string
	Status  int
	Code    string
	Err     error
}

// Error names the sentinel's text when the code has one, so that a user
// reads the same message over HTTP as in process.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v (server answered %d %s)", e.Err, e.Status, e.Code)
	}
	return fmt.Sprintf("%s: server answered %d %s (%s)", e.Package, e.Status, http.StatusText(e.Status), e.Code)
}

// Unwrap returns the sentinel the code names, if any.
func (e *Error) Unwrap() error { return e.Err }

// code returns the wire code and status for err.
func (c *Convention) code(err error) (string, int) {
	for _, k := range c.Codes {
		if errors.Is(err, k.Err) {
			return k.Code, k.Status
		}
	}
	return CodeInternal, http.StatusInternalServerError
}

// WriteError answers with err's code and status: {"error": code}. An error
// with a RetryAfter() time.Duration method also sets Retry-After.
func (c *Convention) WriteError(w http.ResponseWriter, err error) {
	code, status := c.code(err)
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(int((ra.RetryAfter()+time.Second-1)/time.Second)))
	}
	WriteJSON(w, status, struct {
		Error string `json:"error"`
	}{code})
}

// WriteJSON answers with v as JSON; responses are never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ReadJSON reads one JSON value of at most max bytes from r into v:
// unknown fields and trailing data are refused with c.Invalid, a longer
// body with c.TooLarge.
func (c *Convention) ReadJSON(r io.Reader, max int64, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: body over %d bytes", c.TooLarge, mbe.Limit)
		}
		return fmt.Errorf("%w: reading body: %v", c.Invalid, err)
	}
	return c.DecodeJSON(b, max, v)
}

// DecodeJSON is ReadJSON for bytes already in memory.
func (c *Convention) DecodeJSON(b []byte, max int64, v any) error {
	if int64(len(b)) > max {
		return fmt.Errorf("%w: body over %d bytes", c.TooLarge, max)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: json: %v", c.Invalid, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON value", c.Invalid)
	}
	return nil
}

// ResponseError reads an error response (closing nothing) into an *Error.
func (c *Convention) ResponseError(resp *http.Response) error {
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, MaxErrorBody)).Decode(&body)
	e := &Error{Package: c.Package, Status: resp.StatusCode, Code: body.Error}
	for _, k := range c.Codes {
		if k.Code == body.Error {
			e.Err = k.Err
			break
		}
	}
	return e
}
