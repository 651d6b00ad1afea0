package share_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// Read a few bytes from the middle of a large item over HTTP: the client
// fetches only the sealed segments they lie in, with one ranged download,
// and authenticates them before returning a byte.
func ExampleClient_OpenRange() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	srv := httptest.NewServer(sharehttp.NewHandler(svc, func(*http.Request) (string, error) { return "alice", nil }))
	defer srv.Close()
	alice := exampleUser(&sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}, "alice")

	doc := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB: sixteen 64 KiB segments
	it, err := alice.Upload(ctx, bytes.NewReader(doc), nil)
	if err != nil {
		log.Fatal(err)
	}
	r, err := alice.OpenRange(ctx, it.ID)
	if err != nil {
		log.Fatal(err)
	}
	p := make([]byte, 12)
	n, err := r.ReadAt(p, 500_003)
	fmt.Println(r.Size(), string(p[:n]), err)
	_, err = r.ReadAt(p, r.Size()-4)
	fmt.Println(err)
	// Output:
	// 1000000 345678901234 <nil>
	// EOF
}
