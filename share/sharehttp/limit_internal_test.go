package sharehttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/share"
)

// TestUnknownLinkCreatesNoBucket: only the client's address is charged
// for link IDs that do not exist, so guessed IDs cannot fill the limiter.
func TestUnknownLinkCreatesNoBucket(t *testing.T) {
	h := NewHandler(share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs()), nil,
		LinkRate(httplimit.Rate{Burst: 100, Per: time.Minute}))
	for i := range 5 {
		r := httptest.NewRequest("GET", "/v1/links/nosuchlink"+strconv.Itoa(i), nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Fatalf("%d %s, want 404", w.Code, w.Body)
		}
	}
	if n := h.linkRate.Len(); n != 1 {
		t.Fatalf("%d link buckets, want 1 (the client's address)", n)
	}
}

// TestMaxDownloads: a user, or a client address on the link route, holds
// at most MaxDownloads places at once; other routes take none.
func TestMaxDownloads(t *testing.T) {
	h := NewHandler(share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs()), nil, MaxDownloads(1))
	r := httptest.NewRequest("POST", "/", nil)
	r.RemoteAddr = "192.0.2.1:4321"
	enter := func(rt *Route, actor string) (string, error) { return h.enterDownload(rt, r, actor) }
	alice, err := enter(download, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var re *httplimit.RetryError
	if _, err := enter(download, "alice"); !errors.As(err, &re) || !errors.Is(err, httplimit.ErrRateLimited) || re.Wait != downloadWait {
		t.Fatalf("alice's second download: %v, want a RetryError around ErrRateLimited", err)
	}
	if k, err := enter(download, "bob"); err != nil {
		t.Fatalf("bob's download: %v", err)
	} else {
		h.leaveDownload(k)
	}
	anon, err := enter(accessLink, "")
	if err != nil {
		t.Fatalf("a link download: %v", err)
	}
	if _, err := enter(accessLink, ""); !errors.Is(err, httplimit.ErrRateLimited) {
		t.Fatalf("a second link download from the address: %v", err)
	}
	if k, err := enter(item, "alice"); err != nil || k != "" {
		t.Fatalf("a route that streams nothing: %q, %v", k, err)
	}
	h.leaveDownload(alice)
	h.leaveDownload(anon)
	if k, err := enter(download, "alice"); err != nil {
		t.Fatalf("alice's download after hers ended: %v", err)
	} else {
		h.leaveDownload(k)
	}
}
