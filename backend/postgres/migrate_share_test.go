package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/share"
)

// A database written before items left tombstones and audit chains kept a
// head record: the migration gives every chain its head, and every item
// whose chain outlived its record a tombstone naming the actor of its first
// delete event (not a later re-user's), skipping entries that are not JSON,
// so the deleted ID cannot be created again.
func TestMigrationShareHeadsAndTombstones(t *testing.T) {
	ctx := context.Background()
	dsn := os.Getenv(postgres.DSNEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests need %s", postgres.DSNEnv)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "sealkit_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal("unparsable DSN")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	// The old layout: entries only, and no record for the deleted items.
	// Each action is "action" (by alice), "action:actor", or "!" for an
	// entry that is not JSON.
	chain := func(item string, actions ...string) {
		prev := share.GenesisHash(item)
		for i, a := range actions {
			a, actor, ok := strings.Cut(a, ":")
			if !ok {
				actor = "alice"
			}
			e := &share.AuditEntry{Seq: uint64(i + 1), Prev: prev, Event: share.Event{Action: a, Actor: actor,
				Item: item, Time: time.Unix(1, 0).UTC(), Nonce: make([]byte, share.NonceSize)}}
			e.Hash = e.ComputeHash()
			data, _ := json.Marshal(e)
			if a == "!" {
				data = []byte("\xff{\"event\":{\"action\":\"delete\",\"actor\":\"mallory\"") // neither UTF-8 nor JSON
			}
			id := fmt.Sprintf("%d:%s/%020d", len(item), item, e.Seq)
			if _, err := db.Create(ctx, driver.Record{Kind: "share.audit", ID: id, Ref: item, Data: data}); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
	}
	chain("GONE", share.ActionShare, share.ActionDownload, share.ActionDelete)
	chain("LOST", share.ActionShare)
	chain("LIVE", share.ActionShare, share.ActionDownload)
	// Deleted by alice, then (before tombstones) created again by mallory
	// and deleted: the trail stays alice's.
	chain("REUSED", share.ActionDownload, share.ActionDelete, share.ActionShare+":mallory", share.ActionDelete+":mallory")
	chain("BAD", "!", share.ActionDelete)
	live := &share.Item{ID: "LIVE", Owner: "alice", Version: 1, Header: []byte("h"), BlobRef: "LIVE.1"}
	if err := db.Share().Items.CreateItem(ctx, live); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := admin.Exec(ctx, "DELETE FROM "+schema+".schema_migrations WHERE name = '0002_share_audit_heads_tombstones.sql'"); err != nil {
		t.Fatal(err)
	}

	db, err = postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := db.Share()
	for item, want := range map[string]uint64{"GONE": 3, "LOST": 1, "LIVE": 2, "REUSED": 4, "BAD": 2} {
		r, err := db.Get(ctx, "share.audit.head", item)
		if err != nil {
			t.Fatalf("%s: head record: %v", item, err)
		}
		var head share.AuditEntry
		if err := json.Unmarshal(r.Data, &head); err != nil || head.Seq != want {
			t.Fatalf("%s: head record at %d, want %d (%v)", item, head.Seq, want, err)
		}
	}
	for item, owner := range map[string]string{"GONE": "alice", "LOST": "", "REUSED": "alice", "BAD": "alice"} {
		got, err := st.Items.DeletedItem(ctx, item)
		if err != nil || got != owner {
			t.Fatalf("%s: tombstone names %q (%v), want %q", item, got, err, owner)
		}
		again := &share.Item{ID: item, Owner: "mallory", Version: 1, Header: []byte("h"), BlobRef: item + ".1"}
		if err := st.Items.CreateItem(ctx, again); !errors.Is(err, share.ErrExists) {
			t.Fatalf("%s: re-created after migration: %v", item, err)
		}
	}
	if it, err := st.Items.Item(ctx, "LIVE"); err != nil || it.Owner != "alice" {
		t.Fatalf("live item after migration: %+v, %v", it, err)
	}
}
