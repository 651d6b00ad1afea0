package httpwire

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var (
	errGone  = errors.New("pkg: gone")
	errBig   = errors.New("pkg: too large")
	errShape = errors.New("pkg: invalid")
)

var conv = Convention{
	Package:  "pkg",
	Codes:    []Code{{"gone", http.StatusGone, errGone}, {"too_large", http.StatusRequestEntityTooLarge, errBig}},
	TooLarge: errBig,
	Invalid:  errShape,
}

type slow struct{ d time.Duration }

func (s slow) Error() string             { return "slow" }
func (s slow) Unwrap() error             { return errGone }
func (s slow) RetryAfter() time.Duration { return s.d }

func TestErrorRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
		is     error
	}{
		{fmt.Errorf("wrapped: %w", errGone), http.StatusGone, "gone", errGone},
		{errors.New("backend said secret"), http.StatusInternalServerError, CodeInternal, nil},
	} {
		rec := httptest.NewRecorder()
		conv.WriteError(rec, tc.err)
		if rec.Code != tc.status || strings.Contains(rec.Body.String(), "secret") {
			t.Fatalf("%v: wrote %d %q", tc.err, rec.Code, rec.Body)
		}
		got := conv.ResponseError(rec.Result())
		var e *Error
		if !errors.As(got, &e) || e.Status != tc.status || e.Code != tc.code {
			t.Fatalf("%v: read back %#v", tc.err, got)
		}
		if tc.is != nil && !errors.Is(got, tc.is) {
			t.Fatalf("%v: errors.Is(%v) false", got, tc.is)
		}
		if tc.is == nil && e.Err != nil {
			t.Fatalf("unknown code mapped to %v", e.Err)
		}
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	rec := httptest.NewRecorder()
	conv.WriteError(rec, slow{1500 * time.Millisecond})
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After = %q, want 2", got)
	}
}

func TestReadJSON(t *testing.T) {
	type rec struct {
		A int `json:"a"`
	}
	for _, tc := range []struct {
		body string
		want error
	}{
		{`{"a":1}`, nil},
		{`{"a":1,"b":2}`, errShape},
		{`{"a":1}{}`, errShape},
		{`{"a":1} x`, errShape},
		{`{"a":` + strings.Repeat(" ", 64) + `1}`, errBig},
		{``, errShape},
	} {
		var v rec
		err := conv.ReadJSON(strings.NewReader(tc.body), 32, &v)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%q: %v, want %v", tc.body, err, tc.want)
		}
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 100)))
	req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 10)
	var v rec
	if err := conv.ReadJSON(req.Body, 64, &v); !errors.Is(err, errBig) {
		t.Fatalf("MaxBytesReader overflow: %v", err)
	}
}
