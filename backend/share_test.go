package backend_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

var ctx = context.Background()

func openSQLite(tb testing.TB) *sqlite.DB {
	db, err := sqlite.OpenMemory(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// countingStore counts the records a driver.Store hands back.
type countingStore struct {
	driver.Store
	read int
}

func (c *countingStore) Get(ctx context.Context, kind, id string) (driver.Record, error) {
	r, err := c.Store.Get(ctx, kind, id)
	if err == nil {
		c.read++
	}
	return r, err
}

func (c *countingStore) List(ctx context.Context, kind string, field driver.Field, value string) ([]driver.Record, error) {
	rs, err := c.Store.List(ctx, kind, field, value)
	c.read += len(rs)
	return rs, err
}

// appendNext chains one entry after the current head, as the Service does.
func appendNext(t testing.TB, log share.AuditLog, item string) {
	t.Helper()
	e := &share.AuditEntry{Seq: 1, Prev: share.GenesisHash(item), Event: share.Event{Action: share.ActionDownload,
		Actor: "bob", Item: item, Time: time.Unix(1, 0).UTC(), Nonce: make([]byte, share.NonceSize)}}
	head, err := log.AuditHead(ctx, item)
	switch {
	case err == nil:
		e.Seq, e.Prev = head.Seq+1, head.Hash
	case !errors.Is(err, share.ErrNotFound):
		t.Fatal(err)
	}
	e.Hash = e.ComputeHash()
	if err := log.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
}

// An audited operation reads the same few records however long the chain
// is: the head comes from its own record, not from the chain.
func TestAuditAppendReadsDoNotGrow(t *testing.T) {
	cs := &countingStore{Store: openSQLite(t)}
	log := backend.Share(cs).Audit
	readsAt := map[int]int{}
	for n := 1; n <= 150; n++ {
		cs.read = 0
		appendNext(t, log, "A")
		readsAt[n] = cs.read
	}
	if readsAt[50] != readsAt[150] || readsAt[150] > 4 {
		t.Fatalf("records read per append: %d at 50 entries, %d at 150", readsAt[50], readsAt[150])
	}
}

// Entries an interrupted append left the head record behind are found:
// AuditHead steps forward from the head record, and the next append puts
// it right.
func TestAuditHeadCatchesUp(t *testing.T) {
	db := openSQLite(t)
	log := backend.Share(db).Audit
	for range 3 {
		appendNext(t, log, "A")
	}
	head, err := log.AuditHead(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	// Entries 4 and 5 chained, the head record never advanced: what a
	// crash between an append's two writes leaves.
	for seq := uint64(4); seq <= 5; seq++ {
		e := &share.AuditEntry{Seq: seq, Prev: head.Hash, Event: head.Event}
		e.Event.Nonce = []byte(fmt.Sprintf("nonce-%010d", seq))
		e.Hash = e.ComputeHash()
		if err := log.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		head = e
	}
	third, err := log.AuditEntries(ctx, "A", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := json.Marshal(third[0])
	if _, err := db.Modify(ctx, "share.audit.head", "A", func(r *driver.Record) error {
		r.Data = stale
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := log.AuditHead(ctx, "A")
	if err != nil || got.Seq != 5 {
		t.Fatalf("head behind by two: got %+v, %v", got, err)
	}
	appendNext(t, log, "A")
	if got, err := log.AuditHead(ctx, "A"); err != nil || got.Seq != 6 {
		t.Fatalf("head after the next append: %+v, %v", got, err)
	}
	all, err := log.AuditEntries(ctx, "A", 0, 100)
	if err != nil || len(all) != 6 {
		t.Fatalf("%d entries, %v", len(all), err)
	}
}

func BenchmarkAuditAppendSQLite(b *testing.B) {
	sharetest.BenchmarkAuditAppend(b, func(b *testing.B) share.AuditLog { return backend.Share(openSQLite(b)).Audit })
}
