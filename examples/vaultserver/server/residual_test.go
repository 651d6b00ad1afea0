package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// Creating and deleting items in a loop is charged: each deleted item's
// tombstone, audit chain and index entry keep DeletedRecordCost per record
// against the quota for good, so the loop ends at the quota instead of
// filling the stores. Before, 30 cycles with MaxItems 1 used 0 bytes.
func TestDeleteLoopCharged(t *testing.T) {
	ctx := context.Background()
	const quota = 16 << 10
	ts := start(t, func(c *server.Config) { c.MaxItems = 1; c.Quota = quota })
	alice := ts.register(t, "alice")
	st := ts.srv.Service().Stores
	var want int64
	cycles := 0
	for range 30 {
		it, err := alice.Upload(ctx, "a", strings.NewReader("a"), 1, nil)
		var he *share.HTTPError
		if errors.As(err, &he) && he.Status == http.StatusInsufficientStorage && he.Code == server.CodeQuotaExceeded {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := alice.Delete(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		head, err := st.Audit.AuditHead(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		want += server.DeletedRecordCost * int64(3+head.Seq)
		cycles++
	}
	u, err := alice.Storage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A delete is never refused, so its residual may take the usage past
	// the quota; each cycle leaves at least four records.
	if cycles == 0 || cycles > quota/(4*server.DeletedRecordCost)+1 || u.UsedBytes != want || u.FileCount != 0 {
		t.Fatalf("%d create/delete cycles, storage %+v: want the quota to end the loop with %d bytes charged", cycles, u, want)
	}
	t.Logf("quota %d ended the loop after %d cycles, %d bytes charged", quota, cycles, u.UsedBytes)
}

// An upload share refuses (here: the ID is another user's) releases its
// reservation: nothing stays charged or counted.
func TestRefusedUploadReleasesReservation(t *testing.T) {
	ctx := context.Background()
	ts := start(t, func(c *server.Config) { c.MaxItems = 1 })
	alice, bob := ts.register(t, "alice"), ts.register(t, "bob")
	it, err := bob.Upload(ctx, "b", strings.NewReader("b"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &sharehttp.Client{BaseURL: ts.URL + "/api", HTTPClient: alice.HTTPClient()}
	up := &share.Upload{
		Item: &share.Item{ID: it.ID, Owner: "alice", Version: 1, Header: paddedHeader(t, it.ID, "alice", 4096)},
		Keys: []*share.WrappedKey{{Item: it.ID, Recipient: "alice", Version: 1, Record: []byte("wrapped")}},
	}
	if _, err := tr.Upload(ctx, up, strings.NewReader("p")); !errors.Is(err, share.ErrExists) {
		t.Fatalf("upload of bob's ID: %v, want ErrExists", err)
	}
	if u, err := alice.Storage(ctx); err != nil || u.UsedBytes != 0 || u.FileCount != 0 {
		t.Fatalf("after a refused upload: %+v, %v; want nothing charged", u, err)
	}
	if _, err := alice.Upload(ctx, "a", strings.NewReader("a"), 1, nil); err != nil {
		t.Fatalf("upload after a refused one (MaxItems 1): %v", err)
	}
}
