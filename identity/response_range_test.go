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

// TestStreamHandlerPartial: a 206 of StreamHandler is streamed like a 200
// (flushed before the handler returns, no Content-Digest) and its
// signature covers its Content-Range, so a Content-Range changed on the
// way is refused.
func TestStreamHandlerPartial(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("POST", "https://vault.example/api/v1/items/x/download", nil)
	req.Header.Set("Range", "bytes=10-19")
	rec := httptest.NewRecorder()
	resp := serveSigned(t, s, true, req, rec, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Range", "bytes 10-19/100")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("0123456789"))
		if err := http.NewResponseController(w).Flush(); err != nil || !rec.Flushed {
			t.Errorf("a 206 was not streamed: Flush %v, flushed %v", err, rec.Flushed)
		}
	})
	want := []string{"@status", "content-type", "content-range", "@method;req", "@path;req", "@query;req"}
	if got := covered(t, resp, pub); !slices.Equal(got, want) {
		t.Errorf("covered %q, want %q", got, want)
	}
	if resp.Header.Get("Content-Digest") != "" {
		t.Error("a streamed 206 carries a Content-Digest")
	}
	if err := identity.VerifyStreamedResponse(resp, pub); err != nil {
		t.Fatalf("VerifyStreamedResponse: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "0123456789" {
		t.Errorf("body %q", b)
	}
	resp.Header.Set("Content-Range", "bytes 20-29/100")
	if err := identity.VerifyStreamedResponse(resp, pub); !errors.Is(err, identity.ErrBadSignature) {
		t.Errorf("Content-Range changed after signing: %v, want ErrBadSignature", err)
	}
}

// TestBufferedContentRange: a buffered answer with a Content-Range (a 416
// stating the size) covers it too.
func TestBufferedContentRange(t *testing.T) {
	s, pub := newSigner(t)
	req := httptest.NewRequest("POST", "https://vault.example/api/v1/items/x/download", nil)
	resp := serveSigned(t, s, true, req, httptest.NewRecorder(), func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Range", "bytes */100")
		http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
	})
	if !slices.Contains(covered(t, resp, pub), "content-range") {
		t.Error("a 416's Content-Range is not covered")
	}
	if err := identity.VerifyResponse(resp, pub, 0); err != nil {
		t.Errorf("VerifyResponse: %v", err)
	}
}

// TestVerifyContentRangeCovered: an answer whose Content-Range its
// signature does not cover is refused, streamed or buffered.
func TestVerifyContentRangeCovered(t *testing.T) {
	k, _ := identity.GenerateKey()
	req := httptest.NewRequest("POST", "https://vault.example/api/v1/items/x/download", nil)
	resp := &http.Response{StatusCode: http.StatusPartialContent, Request: req,
		Header: http.Header{"Content-Range": {"bytes 0-3/10"}}, Body: io.NopCloser(strings.NewReader("abcd"))}
	if err := identity.SignResponse(resp, k, identity.DefaultLabel, identity.SignatureParams{
		Components: []string{"@status", "@method;req", "@path;req", "@query;req"},
		Created:    time.Now(), Alg: k.Algorithm(), KeyID: k.KeyID(),
	}); err != nil {
		t.Fatal(err)
	}
	if err := identity.VerifyStreamedResponse(resp, k.Public()); !errors.Is(err, identity.ErrPolicy) {
		t.Errorf("streamed, content-range uncovered: %v, want ErrPolicy", err)
	}
	if err := identity.VerifyResponse(resp, k.Public(), 0); !errors.Is(err, identity.ErrPolicy) {
		t.Errorf("buffered, content-range uncovered: %v, want ErrPolicy", err)
	}
}
