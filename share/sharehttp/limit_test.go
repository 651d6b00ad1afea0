package sharehttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// TestLinkRate: a client address gets Burst link requests, and so does
// each existing link from all addresses together; past either bucket the
// answer is 429 rate_limited with Retry-After until a token refills.
// Unknown link IDs are charged to the address alone.
func TestLinkRate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	svc := newService()
	svc.Now = func() time.Time { return now }
	link := &share.Link{ID: "L1", Item: "A", Owner: "alice", Version: 1, Salt: make([]byte, share.SaltSize), Iterations: 600_000,
		WrappedKey: []byte("w"), VerifierHash: make([]byte, 32), Expires: now.Add(24 * time.Hour), MaxDownloads: 3, Remaining: 3}
	if err := svc.Stores.Links.CreateLink(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	h := sharehttp.NewHandler(svc, nil, sharehttp.LinkRate(httplimit.Rate{Burst: 2, Per: time.Hour}))
	get := func(addr, id string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/v1/links/"+id, nil)
		r.RemoteAddr = addr + ":4321"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	refused := func(w *httptest.ResponseRecorder, what string) {
		t.Helper()
		wantError(t, w, http.StatusTooManyRequests, "rate_limited")
		if ra := w.Header().Get("Retry-After"); ra != "1800" {
			t.Errorf("%s: Retry-After %q, want 1800 (half an hour a token)", what, ra)
		}
	}

	for i := range 2 {
		if w := get("192.0.2.1", "L1"); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	refused(get("192.0.2.1", "L1"), "the address's third request")
	refused(get("192.0.2.2", "L1"), "the link's third request, from another address")
	for i := range 2 {
		if w := get("192.0.2.3", "nosuchlink"); w.Code != http.StatusNotFound {
			t.Fatalf("unknown link %d: %d %s", i, w.Code, w.Body)
		}
	}
	refused(get("192.0.2.3", "nosuchlink"), "a third unknown link")

	now = now.Add(30 * time.Minute) // a token for every bucket
	if w := get("192.0.2.4", "L1"); w.Code != http.StatusOK {
		t.Fatalf("after a refill: %d %s", w.Code, w.Body)
	}
	refused(get("192.0.2.5", "L1"), "the refilled token, taken")
}

// TestNoLimits: without options nothing is rate limited.
func TestNoLimits(t *testing.T) {
	h := sharehttp.NewHandler(newService(), nil)
	for i := range 50 {
		if w := serve(h, "GET", "/v1/links/nosuchlink", nil); w.Code != http.StatusNotFound {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
}
