package identity_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

// serveSigned runs h under the signer's Handler (or StreamHandler) for req
// and returns the answer as a client sees it, bound to req.
func serveSigned(t *testing.T, s *identity.ResponseSigner, stream bool, req *http.Request, w http.ResponseWriter, h http.HandlerFunc) *http.Response {
	t.Helper()
	rec, ok := w.(*httptest.ResponseRecorder)
	if !ok {
		rec = w.(*deadlineWriter).ResponseRecorder
	}
	wrap := s.Handler
	if stream {
		wrap = s.StreamHandler
	}
	wrap(h).ServeHTTP(w, req)
	resp := rec.Result()
	resp.Request = req
	return resp
}

func newSigner(t *testing.T) (*identity.ResponseSigner, *identity.PublicKey) {
	t.Helper()
	k, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &identity.ResponseSigner{Key: k}, k.Public()
}

func covered(t *testing.T, resp *http.Response, key *identity.PublicKey) []string {
	t.Helper()
	p, err := identity.VerifyResponseSignature(resp, "", key)
	if err != nil {
		t.Fatal(err)
	}
	return p.Components
}

// TestStreamHandlerStreams: a 200 of StreamHandler is sent as it is
// written (a flush reaches the connection before the handler returns),
// signed over its status, content-type and the request, with no
// Content-Digest; VerifyStreamedResponse takes it, VerifyResponse does not.
func TestStreamHandlerStreams(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("POST", "https://vault.example/api/items/x/download?v=2", nil)
	req.Header.Set("Signature", "sig1=:AAAA:")
	rec := httptest.NewRecorder()
	resp := serveSigned(t, s, true, req, rec, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write([]byte("first "))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if !rec.Flushed || rec.Body.String() != "first " {
			t.Errorf("after Flush the connection has %q (flushed %v), want the first write", rec.Body, rec.Flushed)
		}
		w.Write([]byte("second"))
	})
	want := []string{"@status", "content-type", "@method;req", "@path;req", "@query;req", "signature;req"}
	if got := covered(t, resp, pub); !slices.Equal(got, want) {
		t.Errorf("covered %q, want %q", got, want)
	}
	if resp.Header.Get("Content-Digest") != "" {
		t.Error("a streamed answer carries a Content-Digest")
	}
	if err := identity.VerifyStreamedResponse(resp, pub); err != nil {
		t.Errorf("VerifyStreamedResponse: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "first second" {
		t.Errorf("body %q", b)
	}
	if err := identity.VerifyResponse(resp, pub, 0); !errors.Is(err, identity.ErrPolicy) {
		t.Errorf("VerifyResponse of a streamed answer: %v, want ErrPolicy", err)
	}
}

// TestStreamHandlerBuffersOtherStatuses: a non-200 answer of StreamHandler
// is buffered and signed with its digest, as Handler signs it.
func TestStreamHandlerBuffersOtherStatuses(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("POST", "https://vault.example/api/items/x/download", nil)
	resp := serveSigned(t, s, true, req, httptest.NewRecorder(), func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such item", http.StatusNotFound)
	})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := identity.VerifyResponse(resp, pub, 0); err != nil {
		t.Errorf("VerifyResponse: %v", err)
	}
}

// TestStreamHandlerNoSniffedType: a streamed 200 written without a
// Content-Type is sent without one (a sniffed type would be uncovered).
func TestStreamHandlerNoSniffedType(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("GET", "https://vault.example/blob", nil)
	resp := serveSigned(t, s, true, req, httptest.NewRecorder(), func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html>"))
	})
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		t.Errorf("Content-Type %q, want none", ct)
	}
	if err := identity.VerifyStreamedResponse(resp, pub); err != nil {
		t.Errorf("VerifyStreamedResponse: %v", err)
	}
}

// TestVerifyStreamedResponseBinding: a streamed answer must be bound to
// its request: one signed over its status alone (as streamed answers once
// were) is refused, and so is one bound to another target.
func TestVerifyStreamedResponseBinding(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("POST", "https://vault.example/api/items/x/download", nil)
	resp := serveSigned(t, s, true, req, httptest.NewRecorder(), func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("payload"))
	})
	other := resp
	other.Request = httptest.NewRequest("POST", "https://vault.example/api/items/y/download", nil)
	if err := identity.VerifyStreamedResponse(other, pub); !errors.Is(err, identity.ErrBadSignature) {
		t.Errorf("answer for another target: %v, want ErrBadSignature", err)
	}

	k, _ := identity.GenerateKey()
	unbound := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req}
	if err := identity.SignResponse(unbound, k, identity.DefaultLabel, identity.SignatureParams{
		Components: []string{"@status"}, Created: time.Now(), Alg: k.Algorithm(), KeyID: k.KeyID(),
	}); err != nil {
		t.Fatal(err)
	}
	if err := identity.VerifyStreamedResponse(unbound, k.Public()); !errors.Is(err, identity.ErrPolicy) {
		t.Errorf("answer not bound to its request: %v, want ErrPolicy", err)
	}
}

// deadlineWriter is a connection's writer that takes deadlines, as
// net/http's does.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	write time.Time
}

func (d *deadlineWriter) SetWriteDeadline(t time.Time) error { d.write = t; return nil }

// TestSignerWriterUnwraps: http.ResponseController reaches the connection
// under both handlers (so httplimit's deadlines work beneath them), and a
// buffered answer's Flush sends nothing early.
func TestSignerWriterUnwraps(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "buffered", true: "streamed"}[stream], func(t *testing.T) {
			s, pub := newSigner(t)
			dw := &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
			at := time.Unix(1_800_000_000, 0)
			req := httptest.NewRequest("GET", "https://vault.example/x", nil)
			resp := serveSigned(t, s, stream, req, dw, func(w http.ResponseWriter, _ *http.Request) {
				if err := http.NewResponseController(w).SetWriteDeadline(at); err != nil {
					t.Errorf("SetWriteDeadline: %v", err)
				}
				w.WriteHeader(http.StatusCreated) // buffered under both
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				if dw.Flushed || dw.Code != http.StatusOK {
					t.Error("a buffered answer's Flush reached the connection")
				}
			})
			if !dw.write.Equal(at) {
				t.Errorf("write deadline %v, want %v", dw.write, at)
			}
			if err := identity.VerifyResponse(resp, pub, 0); err != nil || resp.StatusCode != http.StatusCreated {
				t.Errorf("status %d, VerifyResponse: %v", resp.StatusCode, err)
			}
		})
	}
}

// TestSignerTooLarge: an answer past MaxBodyBytes is replaced by
// WriteError's answer, itself signed; the handler's Write fails with
// ErrResponseTooLarge.
func TestSignerTooLarge(t *testing.T) {
	s, pub := newSigner(t)
	s.MaxBodyBytes = 32
	var got error
	s.WriteError = func(w http.ResponseWriter, err error) {
		got = err
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"error":"internal"}`))
	}
	req := httptest.NewRequest("GET", "https://vault.example/x", nil)
	resp := serveSigned(t, s, false, req, httptest.NewRecorder(), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Handler", "1")
		if _, err := w.Write([]byte(strings.Repeat("a", 33))); !errors.Is(err, identity.ErrResponseTooLarge) {
			t.Errorf("Write past the cap: %v", err)
		}
	})
	if !errors.Is(got, identity.ErrResponseTooLarge) {
		t.Errorf("WriteError got %v", got)
	}
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("X-Handler") != "" {
		t.Errorf("status %d, handler header %q: want WriteError's answer alone", resp.StatusCode, resp.Header.Get("X-Handler"))
	}
	if err := identity.VerifyResponse(resp, pub, 0); err != nil {
		t.Errorf("VerifyResponse of the error answer: %v", err)
	}
}
