package server

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// A reservation whose upload was cut off by a crash (nothing settled it)
// counts against the quota and the item count while its upload could
// still be running, and is settled by the next upload after that: here
// released, since its item was never stored.
func TestStaleReservationSettled(t *testing.T) {
	ctx := context.Background()
	stores, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer stores.Close()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := New(Config{Stores: stores, Pepper: make([]byte, 32), MaxItems: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ghost := fileEntry{Version: 1, Charged: 1000, Pending: true, Reserved: now}
	if err := s.putEntry(ctx, "alice", "GHOST", ghost); err != nil {
		t.Fatal(err)
	}
	up := &share.Upload{Item: &share.Item{ID: "NEW", Owner: "alice", Version: 1}}
	if err := s.reserve(ctx, "alice", up, 100); !errors.Is(err, errItemLimit) {
		t.Fatalf("while the cut upload could still run: %v, want errItemLimit", err)
	}
	now = now.Add(s.longestUpload() + time.Second)
	if err := s.reserve(ctx, "alice", up, 100); err != nil {
		t.Fatalf("after: %v", err)
	}
	idx, err := s.index(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := idx["GHOST"]; ok || len(idx) != 1 || !idx["NEW"].Pending || idx["NEW"].Charged != 100 {
		t.Fatalf("index after settling the stale reservation: %+v", idx)
	}
}
