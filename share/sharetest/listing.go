package sharetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// RunOwnedItems checks ItemStore.OwnedItems: each order with ties broken by
// ID, every page size, cursors that resume exactly after their item (also
// one whose item was deleted meanwhile), deleted and other owners' items
// absent, a new version listed by its new size, and ErrInvalid for a bad
// limit, sort or cursor.
func RunOwnedItems(t *testing.T, newStore func(t *testing.T) share.ItemStore) {
	s := newStore(t)
	var live []*share.Item
	mk := func(id, owner string, size int64, created time.Time) *share.Item {
		it := &share.Item{ID: id, Owner: owner, Version: 1, Header: []byte("h"), SHA256: sha(1), Size: size, BlobRef: "B" + id, Created: created}
		noErr(t, "create "+id, s.CreateItem(ctx, it))
		return it
	}
	// Sizes and times with ties, the zero time and times before 1970 and
	// after 2106, IDs whose byte order differs from a collation's.
	times := []time.Time{t0, t0, time.Time{}, time.Unix(-5, 7).UTC(), t0.Add(time.Nanosecond), time.Unix(1<<33, 0).UTC()}
	for i, id := range []string{"b", "a", "Z", "_x", "a0", "@m", "c", "A-1", "a.b", "a-b"} {
		it := mk(id, "alice", int64(i%3)*1000, times[i%len(times)])
		live = append(live, it)
	}
	mk("zz", "bob", 1, t0)
	mk("alice2", "alice2", 1, t0) // an owner whose ID begins with another's
	for _, id := range []string{"c", "a0"} {
		noErr(t, "delete "+id, s.DeleteItem(ctx, id))
		live = slices.DeleteFunc(live, func(it *share.Item) bool { return it.ID == id })
	}
	// A new version moves in the size order.
	v2 := *live[0]
	v2.Version, v2.Size = 2, 5000
	noErr(t, "update", s.UpdateItem(ctx, &v2, 1))
	live[0] = &v2

	orders := map[share.ItemSort]func(a, b *share.Item) int{
		share.SortByCreated: func(a, b *share.Item) int {
			if c := a.Created.Compare(b.Created); c != 0 {
				return c
			}
			return compareStrings(a.ID, b.ID)
		},
		share.SortBySize: func(a, b *share.Item) int {
			if a.Size != b.Size {
				return compareInts(a.Size, b.Size)
			}
			return compareStrings(a.ID, b.ID)
		},
		share.SortByID: func(a, b *share.Item) int { return compareStrings(a.ID, b.ID) },
	}
	for order, cmp := range orders {
		want := slices.Clone(live)
		slices.SortFunc(want, cmp)
		wantIDs := ids(want)
		for _, limit := range []int{1, 2, 3, len(live), share.MaxPageSize} {
			var got []string
			after := ""
			for page := 0; ; page++ {
				if page > len(live) {
					t.Fatalf("%v limit %d: the listing does not end", order, limit)
				}
				items, err := s.OwnedItems(ctx, "alice", order, after, limit)
				noErr(t, fmt.Sprintf("%v limit %d", order, limit), err)
				if len(items) > limit {
					t.Fatalf("%v limit %d: a page of %d", order, limit, len(items))
				}
				for _, it := range items {
					if it.Owner != "alice" {
						t.Fatalf("%v: listed %s of %s", order, it.ID, it.Owner)
					}
				}
				got = append(got, ids(items)...)
				if len(items) < limit {
					break
				}
				after = order.Cursor(items[len(items)-1])
			}
			if !slices.Equal(got, wantIDs) {
				t.Fatalf("%v limit %d: listed %q, want %q", order, limit, got, wantIDs)
			}
		}
		// A cursor resumes after its item even once that item is gone.
		cur := order.Cursor(want[1])
		rest, err := s.OwnedItems(ctx, "alice", order, cur, share.MaxPageSize)
		noErr(t, "resume", err)
		if !slices.Equal(ids(rest), wantIDs[2:]) {
			t.Fatalf("%v after %q: %q, want %q", order, cur, ids(rest), wantIDs[2:])
		}
	}
	gone := live[1]
	noErr(t, "delete", s.DeleteItem(ctx, gone.ID))
	for order, cmp := range orders {
		want := slices.DeleteFunc(slices.Clone(live), func(it *share.Item) bool { return it.ID == gone.ID })
		slices.SortFunc(want, cmp)
		i, _ := slices.BinarySearchFunc(want, gone, cmp)
		rest, err := s.OwnedItems(ctx, "alice", order, order.Cursor(gone), share.MaxPageSize)
		noErr(t, "resume after a deleted item", err)
		if !slices.Equal(ids(rest), ids(want[i:])) {
			t.Fatalf("%v after deleted %s: %q, want %q", order, gone.ID, ids(rest), ids(want[i:]))
		}
	}
	if got, err := s.OwnedItems(ctx, "nobody", share.SortByID, "", 10); err != nil || len(got) != 0 {
		t.Fatalf("listing of an owner without items: %v, %v", got, err)
	}
	for _, c := range []struct {
		sort  share.ItemSort
		after string
		limit int
	}{
		{share.SortByID, "", 0}, {share.SortByID, "", -1}, {share.SortByID, "", share.MaxPageSize + 1},
		{share.ItemSort(-1), "", 1}, {share.ItemSort(3), "", 1},
		{share.SortByCreated, "a", 1}, {share.SortBySize, "000000000000000000000000", 1},
		{share.SortBySize, "00000000000000000000000G" + "a", 1}, {share.SortByID, "a/b", 1},
	} {
		_, err := s.OwnedItems(ctx, "alice", c.sort, c.after, c.limit)
		wantErr(t, fmt.Sprintf("OwnedItems(%v, %q, %d)", c.sort, c.after, c.limit), err, share.ErrInvalid)
	}
}

func ids(items []*share.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareInts(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RunUsage checks a UsageStore: totals per owner, starting at zero,
// saturating at 0 and at the int64 range, and no update lost to
// concurrent adds.
func RunUsage(t *testing.T, newStore func(t *testing.T) share.UsageStore) {
	s := newStore(t)
	u, err := s.Usage(ctx, "alice")
	noErr(t, "usage of an unknown owner", err)
	if u != (share.Usage{}) {
		t.Fatalf("usage of an unknown owner: %+v", u)
	}
	steps := []struct{ d, want share.Usage }{
		{share.Usage{Bytes: 100, Items: 1}, share.Usage{Bytes: 100, Items: 1}},
		{share.Usage{Bytes: 50, Items: 2}, share.Usage{Bytes: 150, Items: 3}},
		{share.Usage{Bytes: -30, Items: -1}, share.Usage{Bytes: 120, Items: 2}},
		{share.Usage{Bytes: -500, Items: -9}, share.Usage{}},
		{share.Usage{Bytes: math.MaxInt64, Items: 1}, share.Usage{Bytes: math.MaxInt64, Items: 1}},
		{share.Usage{Bytes: 1}, share.Usage{Bytes: math.MaxInt64, Items: 1}},
	}
	for i, st := range steps {
		got, err := s.AddUsage(ctx, "alice", st.d)
		noErr(t, fmt.Sprintf("add %d", i), err)
		if got != st.want {
			t.Fatalf("add %+v: total %+v, want %+v", st.d, got, st.want)
		}
		if u, _ := s.Usage(ctx, "alice"); u != st.want {
			t.Fatalf("after add %+v: usage %+v, want %+v", st.d, u, st.want)
		}
	}
	if u, _ := s.Usage(ctx, "bob"); u != (share.Usage{}) {
		t.Fatalf("another owner's usage: %+v", u)
	}
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddUsage(ctx, "carol", share.Usage{Bytes: 10, Items: 1}); err != nil {
				t.Errorf("concurrent add: %v", err)
			}
		}()
	}
	wg.Wait()
	if u, _ := s.Usage(ctx, "carol"); u != (share.Usage{Bytes: 10 * n, Items: n}) {
		t.Fatalf("%d concurrent adds of 10 bytes: %+v", n, u)
	}
}

var errAbort = errors.New("sharetest: transaction aborted by its function")

// RunTx checks Stores.Tx: a transaction sees its own writes, commits them
// all, or on its function's error (returned as it is) or a context done
// before the commit keeps none, across every registry; a nested Atomic on
// the transaction's stores runs in the same transaction.
func RunTx(t *testing.T, newStores func(t *testing.T) share.Stores) {
	item := func(id string) *share.Item {
		return &share.Item{ID: id, Owner: "alice", Version: 1, Header: []byte("h"), SHA256: sha(1), Size: 3, BlobRef: "B" + id, Created: t0}
	}
	// write stores one record in each registry for item id.
	write := func(tx share.Stores, id string) error {
		steps := []func() error{
			func() error { return tx.Items.CreateItem(ctx, item(id)) },
			func() error {
				return tx.Keys.PutKey(ctx, &share.WrappedKey{Item: id, Recipient: "bob", Version: 1, Record: []byte("k"), Created: t0})
			},
			func() error {
				return tx.Shares.CreateShare(ctx, &share.Share{ID: "S" + id, Item: id, Owner: "alice", Recipient: "bob", Mode: share.ModeDirect, Created: t0})
			},
			func() error {
				return tx.Links.CreateLink(ctx, &share.Link{ID: "L" + id, Item: id, Owner: "alice", Version: 1, Salt: make([]byte, 16),
					Iterations: 600000, WrappedKey: []byte("w"), VerifierHash: sha(1), Expires: t0.Add(time.Hour), MaxDownloads: 1, Remaining: 1})
			},
			func() error {
				return tx.Audit.AppendAudit(ctx, &share.AuditEntry{Seq: 1, Prev: share.GenesisHash(id), Hash: sha(2),
					Event: share.Event{Action: share.ActionShare, Actor: "alice", Item: id, Subject: "bob", Time: t0, Nonce: make([]byte, share.NonceSize)}})
			},
			func() error { _, err := tx.Usage.AddUsage(ctx, "alice", share.Usage{Bytes: 7, Items: 1}); return err },
		}
		for _, f := range steps {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	}
	// stored reports which of item id's records are stored.
	stored := func(st share.Stores, id string) []string {
		var out []string
		if _, err := st.Items.Item(ctx, id); err == nil {
			out = append(out, "item")
		}
		if _, err := st.Keys.Key(ctx, id, "bob"); err == nil {
			out = append(out, "key")
		}
		if _, err := st.Shares.Share(ctx, "S"+id); err == nil {
			out = append(out, "share")
		}
		if _, err := st.Links.Link(ctx, "L"+id); err == nil {
			out = append(out, "link")
		}
		if _, err := st.Audit.AuditHead(ctx, id); err == nil {
			out = append(out, "audit")
		}
		return out
	}
	all := []string{"item", "key", "share", "link", "audit"}
	usage := func(st share.Stores) share.Usage {
		u, err := st.Usage.Usage(ctx, "alice")
		noErr(t, "usage", err)
		return u
	}

	t.Run("Commit", func(t *testing.T) {
		st := newStores(t)
		err := st.Tx.Atomic(ctx, func(tx share.Stores) error {
			if err := write(tx, "I1"); err != nil {
				return err
			}
			if got := stored(tx, "I1"); !slices.Equal(got, all) {
				t.Errorf("the transaction sees %v of its writes, want %v", got, all)
			}
			return nil
		})
		noErr(t, "atomic", err)
		if got := stored(st, "I1"); !slices.Equal(got, all) || usage(st) != (share.Usage{Bytes: 7, Items: 1}) {
			t.Fatalf("after the commit: %v and usage %+v", got, usage(st))
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		st := newStores(t)
		noErr(t, "create", st.Items.CreateItem(ctx, item("KEEP")))
		err := st.Tx.Atomic(ctx, func(tx share.Stores) error {
			if err := write(tx, "I1"); err != nil {
				return err
			}
			if err := tx.Items.DeleteItem(ctx, "KEEP"); err != nil {
				return err
			}
			return errAbort
		})
		if err != errAbort {
			t.Fatalf("Atomic returned %v, want its function's error as it is", err)
		}
		if got := stored(st, "I1"); len(got) != 0 || usage(st) != (share.Usage{}) {
			t.Fatalf("a failed transaction left %v and usage %+v", got, usage(st))
		}
		if _, err := st.Items.Item(ctx, "KEEP"); err != nil {
			t.Fatalf("a failed transaction's delete is kept: %v", err)
		}
		// The ID is free again: the rolled-back create left no tombstone.
		noErr(t, "create after the rollback", st.Items.CreateItem(ctx, item("I1")))
	})
	t.Run("RefusedWriteThenRollback", func(t *testing.T) {
		st := newStores(t)
		noErr(t, "create", st.Items.CreateItem(ctx, item("TAKEN")))
		err := st.Tx.Atomic(ctx, func(tx share.Stores) error {
			if err := write(tx, "I1"); err != nil {
				return err
			}
			return tx.Items.CreateItem(ctx, item("TAKEN"))
		})
		wantErr(t, "a transaction whose create is refused", err, share.ErrExists)
		if got := stored(st, "I1"); len(got) != 0 {
			t.Fatalf("a failed transaction left %v", got)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		st := newStores(t)
		cctx, cancel := context.WithCancel(ctx)
		err := st.Tx.Atomic(cctx, func(tx share.Stores) error {
			if err := write(tx, "I1"); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if err == nil {
			t.Fatal("a transaction whose context ended before the commit succeeded")
		}
		if got := stored(st, "I1"); len(got) != 0 {
			t.Fatalf("a cancelled transaction left %v", got)
		}
	})
	t.Run("Nested", func(t *testing.T) {
		st := newStores(t)
		err := st.Tx.Atomic(ctx, func(tx share.Stores) error {
			if err := tx.Tx.Atomic(ctx, func(inner share.Stores) error { return write(inner, "I1") }); err != nil {
				return err
			}
			if got := stored(tx, "I1"); !slices.Equal(got, all) {
				t.Errorf("the outer transaction sees %v of the nested one's writes", got)
			}
			return errAbort
		})
		if err != errAbort {
			t.Fatalf("Atomic returned %v, want errAbort", err)
		}
		if got := stored(st, "I1"); len(got) != 0 || usage(st) != (share.Usage{}) {
			t.Fatalf("a nested transaction's writes outlived the outer one's rollback: %v, usage %+v", got, usage(st))
		}
		err = st.Tx.Atomic(ctx, func(tx share.Stores) error {
			return tx.Tx.Atomic(ctx, func(inner share.Stores) error {
				if err := write(inner, "I2"); err != nil {
					return err
				}
				return errAbort
			})
		})
		if err != errAbort {
			t.Fatalf("a nested function's error: Atomic returned %v", err)
		}
		if got := stored(st, "I2"); len(got) != 0 {
			t.Fatalf("a failed nested transaction left %v", got)
		}
		noErr(t, "nested commit", st.Tx.Atomic(ctx, func(tx share.Stores) error {
			return tx.Tx.Atomic(ctx, func(inner share.Stores) error { return write(inner, "I3") })
		}))
		if got := stored(st, "I3"); !slices.Equal(got, all) {
			t.Fatalf("after a nested commit: %v", got)
		}
	})
}
