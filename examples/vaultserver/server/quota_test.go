package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// paddedHeader returns an envelope header for item id of exactly size bytes:
// a real detached-key header with filler stanzas, which parse but never
// open. The server stores headers unopened, so only their bytes matter here.
func paddedHeader(t *testing.T, id, owner string, size int) []byte {
	t.Helper()
	w, err := envelope.NewWriter(io.Discard, share.ItemAD(id, owner, 1), &envelope.SealOptions{Key: envelope.NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	h := w.Header().Bytes()
	// magic, version, suite, segment size, salt; then the stanza count (0).
	const countAt = 4 + 1 + 1 + 4 + 32
	rest := size - len(h)
	const maxStanza = 5 + 65535 // type length, "x", hint length, body length, body
	n := (rest + maxStanza - 1) / maxStanza
	body := rest - 5*n
	out := append([]byte{}, h[:countAt]...)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	for i := range n {
		bl := body / n
		if i < body%n {
			bl++
		}
		out = append(out, 1, 'x', 0)
		out = binary.BigEndian.AppendUint16(out, uint16(bl))
		out = append(out, make([]byte, bl)...)
	}
	out = append(out, h[countAt+2:]...)
	if p, err := envelope.ParseHeader(out); err != nil || p.Len() != size || len(out) != size {
		t.Fatalf("padded header of %d bytes does not parse: %v", len(out), err)
	}
	return out
}

// TestQuotaChargesHeaders: an item's header counts against the quota like
// its payload, so twelve uploads of large headers with 1-byte payloads are
// refused once the quota is reached instead of filling the database.
func TestQuotaChargesHeaders(t *testing.T) {
	ctx := context.Background()
	for _, hs := range []int{envelope.MaxHeaderSize, 256 << 10} {
		t.Run(fmt.Sprintf("header %d", hs), func(t *testing.T) {
			const quota = 1 << 20
			ts := start(t, func(c *server.Config) { c.Quota = quota })
			alice := ts.register(t, "alice")
			tr := &sharehttp.Client{BaseURL: ts.URL + "/api", HTTPClient: alice.HTTPClient()}
			stored, refused := 0, 0
			for i := range 12 {
				id := fmt.Sprintf("BIG%d", i)
				up := &share.Upload{
					Item: &share.Item{ID: id, Owner: "alice", Version: 1, Header: paddedHeader(t, id, "alice", hs)},
					Keys: []*share.WrappedKey{{Item: id, Recipient: "alice", Version: 1, Record: []byte("wrapped")}},
				}
				_, err := tr.Upload(ctx, up, strings.NewReader("p"))
				var he *share.HTTPError
				switch {
				case err == nil:
					stored++
				case errors.As(err, &he) && he.Status == http.StatusInsufficientStorage && he.Code == server.CodeQuotaExceeded:
					refused++
				default:
					t.Fatalf("upload %d: %v", i, err)
				}
			}
			u, err := alice.Storage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if refused == 0 || u.UsedBytes > u.QuotaBytes || u.UsedBytes < int64(stored*hs) || u.FileCount != stored {
				t.Fatalf("%d stored, %d refused, usage %+v: want refusals, headers counted, within quota", stored, refused, u)
			}
			t.Logf("%d stored, %d refused, %d bytes charged", stored, refused, u.UsedBytes)
		})
	}
}

// TestItemLimit: a user owning Config.MaxItems items cannot add another
// (403 item_limit), can still replace a version of one, and can add again
// after a delete.
func TestItemLimit(t *testing.T) {
	ctx := context.Background()
	ts := start(t, func(c *server.Config) { c.MaxItems = 2 })
	alice := ts.register(t, "alice")
	first, err := alice.Upload(ctx, "a", strings.NewReader("a"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Upload(ctx, "b", strings.NewReader("b"), 1, nil); err != nil {
		t.Fatal(err)
	}
	_, err = alice.Upload(ctx, "c", strings.NewReader("c"), 1, nil)
	var he *share.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden || he.Code != server.CodeItemLimit {
		t.Fatalf("third item: %v, want 403 %s", err, server.CodeItemLimit)
	}
	if _, err := alice.Share().Rotate(ctx, first.ID); err != nil {
		t.Fatalf("new version at the limit: %v", err)
	}
	if err := alice.Delete(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Upload(ctx, "c", strings.NewReader("c"), 1, nil); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	// Another user's count is their own.
	bob := ts.register(t, "bob")
	if _, err := bob.Upload(ctx, "a", strings.NewReader("a"), 1, nil); err != nil {
		t.Fatalf("bob: %v", err)
	}
}
