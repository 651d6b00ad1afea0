package share_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// TestAccessMatrix walks the access-control matrix, extended with the
// operations this package adds, against the registry API (the cryptographic
// half is TestDirectShare's: only DEK holders can read). Each cell is tried
// on a fresh item so that one allowed delete cannot hide another cell.
func TestAccessMatrix(t *testing.T) {
	w := newWorld(t, "local")
	owner := w.addUser(t, "owner", "rsa", 0)
	w.addUser(t, "shared", "rsa", 1)
	w.addUser(t, "stranger", "hybrid", 2)
	w.addUser(t, "third", "rsa", 2)

	type op struct {
		name string
		do   func(c *share.Client, item string) error
	}
	ops := []op{
		{"read", func(c *share.Client, item string) error { _, err := c.ReadAll(ctx, item); return err }},
		{"item record", func(c *share.Client, item string) error { _, err := c.Transport.Item(ctx, item); return err }},
		{"share", func(c *share.Client, item string) error { _, err := c.Share(ctx, item, "third"); return err }},
		{"revoke", func(c *share.Client, item string) error { return c.Revoke(ctx, item, "shared", false) }},
		{"delete", func(c *share.Client, item string) error { return c.Delete(ctx, item) }},
		{"link", func(c *share.Client, item string) error {
			_, err := c.CreateLink(ctx, item, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
			return err
		}},
		{"list keys", func(c *share.Client, item string) error { _, err := c.Transport.ItemKeys(ctx, item); return err }},
		{"rotate", func(c *share.Client, item string) error { _, err := c.Rotate(ctx, item); return err }},
		{"audit", func(c *share.Client, item string) error { _, _, err := c.Audit(ctx, item, nil); return err }},
	}
	allowed := map[string]map[string]bool{
		"owner":    {"read": true, "item record": true, "share": true, "revoke": true, "delete": true, "link": true, "list keys": true, "rotate": true, "audit": true},
		"shared":   {"read": true, "item record": true},
		"stranger": {},
	}
	for role, ok := range allowed {
		for _, o := range ops {
			t.Run(role+"/"+o.name, func(t *testing.T) {
				it, err := owner.Upload(ctx, strings.NewReader("matrix"), nil, "shared")
				if err != nil {
					t.Fatal(err)
				}
				err = o.do(w.clients[role], it.ID)
				switch {
				case ok[o.name] && err != nil:
					t.Fatalf("allowed, got %v", err)
				case !ok[o.name] && !errors.Is(err, share.ErrPermission):
					t.Fatalf("forbidden, got %v, want ErrPermission", err)
				}
			})
		}
	}
	// Upload: anyone uploads their own items, nobody someone else's.
	t.Run("upload as another owner", func(t *testing.T) {
		up := &share.Upload{Item: &share.Item{ID: "X1", Owner: "owner", Version: 1, Header: []byte{1}},
			Keys: []*share.WrappedKey{{Item: "X1", Recipient: "owner", Version: 1, Record: []byte{1}}}}
		if _, err := w.clients["stranger"].Transport.Upload(ctx, up, strings.NewReader("")); !errors.Is(err, share.ErrPermission) {
			t.Fatalf("got %v, want ErrPermission", err)
		}
	})
}
