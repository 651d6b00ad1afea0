package httpwire

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.Equal(t, tc.status, rec.Code, "status written for %v", tc.err)
		require.NotContains(t, rec.Body.String(), "secret", "an internal error's text reached the wire")
		got := conv.ResponseError(rec.Result())
		var e *Error
		require.ErrorAs(t, got, &e)
		assert.Equal(t, tc.status, e.Status)
		assert.Equal(t, tc.code, e.Code)
		if tc.is != nil {
			assert.ErrorIs(t, got, tc.is)
		} else {
			assert.NoError(t, e.Err, "an unknown code mapped to a sentinel")
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
		if tc.want == nil {
			assert.NoError(t, err, "%q", tc.body)
		} else {
			assert.ErrorIs(t, err, tc.want, "%q", tc.body)
		}
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 100)))
	req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 10)
	var v rec
	if err := conv.ReadJSON(req.Body, 64, &v); !errors.Is(err, errBig) {
		t.Fatalf("MaxBytesReader overflow: %v", err)
	}
}
