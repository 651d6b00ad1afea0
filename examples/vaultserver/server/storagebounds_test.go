package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// TestLinksPerItemCapped: links are not charged to the quota, so share caps
// them per item; through the vault server the link past
// share.DefaultMaxLinksPerItem is 403 limit (share.ErrLimit at the client)
// and stores nothing, while another item still takes links.
func TestLinksPerItemCapped(t *testing.T) {
	sharetest.LowerLinkIterations(t, 1000)
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	c := alice.Share()
	it, err := c.Upload(ctx, strings.NewReader("payload"), nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := share.LinkOptions{TTL: time.Hour, MaxDownloads: 1}
	for i := range share.DefaultMaxLinksPerItem {
		if _, err := c.CreateLink(ctx, it.ID, opt); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	if _, err := c.CreateLink(ctx, it.ID, opt); !errors.Is(err, share.ErrLimit) {
		t.Fatalf("link past the cap: got %v, want ErrLimit", err)
	}
	links, err := ts.srv.Service().Stores.Links.LinksForItem(ctx, it.ID)
	if err != nil || len(links) != share.DefaultMaxLinksPerItem {
		t.Fatalf("%d links stored, %v; want %d", len(links), err, share.DefaultMaxLinksPerItem)
	}
	other, err := c.Upload(ctx, strings.NewReader("other"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLink(ctx, other.ID, opt); err != nil {
		t.Fatalf("the cap is per item: %v", err)
	}
}
