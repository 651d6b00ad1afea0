package sharehttp_test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// A server open to the Internet limits link requests per client address
// and per link, and the downloads each user or address holds open.
func ExampleNewHandler() {
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	owner := func(*http.Request) (string, error) { return "", share.ErrUnauthenticated } // identity's verifier here
	h := sharehttp.NewHandler(svc, owner,
		sharehttp.LinkRate(httplimit.Rate{Burst: 2, Per: time.Minute}),
		sharehttp.MaxDownloads(8))
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", h))

	for range 3 {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/links/guessed", nil))
		fmt.Println(w.Code, "Retry-After:", cmp.Or(w.Header().Get("Retry-After"), "none"))
	}
	// Output:
	// 404 Retry-After: none
	// 404 Retry-After: none
	// 429 Retry-After: 30
}
