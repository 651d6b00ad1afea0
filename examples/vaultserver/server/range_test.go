package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/share"
)

// TestRangedDownload: ranged reads of a multi-segment file through the
// server and the Go client (which verifies every answer's signature)
// equal the plaintext's slices, and the server's 206 is streamed and
// signed over its Content-Range.
func TestRangedDownload(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	doc := make([]byte, 7<<16+777) // eight 64 KiB segments, the last one short
	rand.Read(doc)
	it, err := alice.Upload(ctx, "film.bin", bytes.NewReader(doc), int64(len(doc)), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := alice.OpenRange(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(doc)) || r.Metadata().Name != "film.bin" {
		t.Fatalf("size %d, metadata %+v", r.Size(), r.Metadata())
	}
	for _, rg := range [][2]int64{{0, 1}, {65535, 2}, {100000, 200000}, {int64(len(doc)) - 10, 10}, {3 << 16, 1 << 16}} {
		got := make([]byte, rg[1])
		if _, err := r.ReadAt(got, rg[0]); err != nil {
			t.Fatalf("ReadAt(%d bytes, %d): %v", rg[1], rg[0], err)
		}
		if !bytes.Equal(got, doc[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("ReadAt(%d bytes, %d): wrong bytes", rg[1], rg[0])
		}
	}

	// The wire: a 206 signed over its Content-Range, no Content-Digest.
	ev, _ := json.Marshal(share.NewEvent(alice.Share().SigningKey, share.ActionDownload, "alice", it.ID, ""))
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/v1/items/"+it.ID+"/download", bytes.NewReader(ev))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Range", "bytes=-100")
	resp, err := alice.HTTPClient().Do(req) // verified by the session's client
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := fmt.Sprintf("bytes %d-%d/%d", it.Size-100, it.Size-1, it.Size)
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want || len(body) != 100 {
		t.Fatalf("%d, Content-Range %q (want %q), %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), want, len(body))
	}
	if resp.Header.Get("Content-Digest") != "" {
		t.Error("a 206 was buffered and digested, not streamed")
	}
	p, err := identity.VerifyResponseSignature(resp, "", alice.ResponseKey())
	if err != nil {
		t.Fatal(err)
	}
	covers := map[string]bool{}
	for _, c := range p.Components {
		covers[c] = true
	}
	if !covers["content-range"] || !covers["@status"] || !covers["signature;req"] {
		t.Errorf("the 206's signature covers %q", p.Components)
	}
}
