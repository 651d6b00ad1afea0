package drivertest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/backend/driver"
)

// testRange checks Range's bounds, limit and byte order (not a collation's:
// "Z" < "_" < "a" < "é").
func testRange(t *testing.T, s driver.Store) {
	ids := []string{"a", "a/1", "a/2", "a0", "b", "Z", "_", "é"}
	for _, id := range ids {
		if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	s.Create(ctx, driver.Record{Kind: "other", ID: "a/3"})
	for _, c := range []struct {
		after, before string
		limit         int
		want          []string
	}{
		{"", "", 100, []string{"Z", "_", "a", "a/1", "a/2", "a0", "b", "é"}},
		{"", "", 2, []string{"Z", "_"}},
		{"a/", "a0", 100, []string{"a/1", "a/2"}},
		{"a/1", "a0", 100, []string{"a/2"}},
		{"a/2", "a0", 100, nil},
		{"a", "", 3, []string{"a/1", "a/2", "a0"}},
		{"b", "", 100, []string{"é"}},
		{"é", "", 100, nil},
		{"", "", 0, nil},
		{"", "", -1, nil},
	} {
		got, err := s.Range(ctx, "k", c.after, c.before, c.limit)
		if err != nil {
			t.Fatalf("Range(%q, %q, %d): %v", c.after, c.before, c.limit, err)
		}
		var gotIDs []string
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		if !equal(gotIDs, c.want) {
			t.Errorf("Range(%q, %q, %d) = %q, want %q", c.after, c.before, c.limit, gotIDs, c.want)
		}
	}
	list, err := s.List(ctx, "k", driver.ByOwner, "")
	if err != nil || len(list) != len(ids) || list[0].ID != "Z" || list[1].ID != "_" || list[len(list)-1].ID != "é" {
		t.Errorf("List is not in byte order: %v, %v", list, err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var errAbort = errors.New("drivertest: transaction aborted by its function")

func testAtomic(t *testing.T, open func(t *testing.T) driver.Driver) {
	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		s.Create(ctx, driver.Record{Kind: "k", ID: "old", Data: []byte("v1")})
		err := s.Atomic(ctx, func(tx driver.Store) error {
			if _, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "a", Owner: "o", Data: []byte("a")}); err != nil {
				return err
			}
			if r, err := tx.Get(ctx, "k", "a"); err != nil || string(r.Data) != "a" {
				t.Errorf("a transaction does not see its own write: %+v, %v", r, err)
			}
			if _, err := tx.Update(ctx, driver.Record{Kind: "k", ID: "old", Data: []byte("v2")}, 1); err != nil {
				return err
			}
			if list, err := tx.List(ctx, "k", driver.ByOwner, "o"); err != nil || len(list) != 1 {
				t.Errorf("List in a transaction: %v, %v", list, err)
			}
			_, err := tx.Modify(ctx, "k", "a", func(r *driver.Record) error { r.Data = []byte("a2"); return nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.Get(ctx, "k", "a"); err != nil || string(r.Data) != "a2" || r.Version != 2 {
			t.Errorf("after commit: %+v, %v", r, err)
		}
		if r, err := s.Get(ctx, "k", "old"); err != nil || string(r.Data) != "v2" {
			t.Errorf("after commit: %+v, %v", r, err)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		s := open(t)
		s.Create(ctx, driver.Record{Kind: "k", ID: "keep", Data: []byte("v1")})
		s.Create(ctx, driver.Record{Kind: "k", ID: "gone"})
		read := make(chan error, 1)
		err := s.Atomic(ctx, func(tx driver.Store) error {
			if _, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "new"}); err != nil {
				return err
			}
			if _, err := tx.Update(ctx, driver.Record{Kind: "k", ID: "keep", Data: []byte("v2")}, 1); err != nil {
				return err
			}
			if _, err := tx.Modify(ctx, "k", "keep", func(r *driver.Record) error { r.Owner = "x"; return nil }); err != nil {
				return err
			}
			if err := tx.Delete(ctx, "k", "gone"); err != nil {
				return err
			}
			// Outside the transaction its write is never seen: now (the
			// read waits, or finds nothing) nor after the rollback.
			go func() { _, err := s.Get(ctx, "k", "new"); read <- err }()
			return errAbort
		})
		if err != errAbort {
			t.Fatalf("Atomic returned %v, want its function's error as it is", err)
		}
		if err := <-read; !errors.Is(err, driver.ErrNotFound) {
			t.Errorf("a read outside the transaction saw its write: %v", err)
		}
		if _, err := s.Get(ctx, "k", "new"); !errors.Is(err, driver.ErrNotFound) {
			t.Errorf("a rolled-back Create is stored: %v", err)
		}
		if r, err := s.Get(ctx, "k", "keep"); err != nil || string(r.Data) != "v1" || r.Owner != "" || r.Version != 1 {
			t.Errorf("a rolled-back Update or Modify is stored: %+v, %v", r, err)
		}
		if _, err := s.Get(ctx, "k", "gone"); err != nil {
			t.Errorf("a rolled-back Delete is stored: %v", err)
		}
	})
	t.Run("RefusedWriteKeepsTransaction", func(t *testing.T) {
		s := open(t)
		s.Create(ctx, driver.Record{Kind: "k", ID: "taken"})
		err := s.Atomic(ctx, func(tx driver.Store) error {
			if _, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "taken"}); !errors.Is(err, driver.ErrExists) {
				t.Errorf("Create of a taken ID in a transaction: %v", err)
			}
			if _, err := tx.Update(ctx, driver.Record{Kind: "k", ID: "taken"}, 7); !errors.Is(err, driver.ErrConflict) {
				t.Errorf("stale Update in a transaction: %v", err)
			}
			if err := tx.Delete(ctx, "k", "missing"); !errors.Is(err, driver.ErrNotFound) {
				t.Errorf("Delete of a missing record in a transaction: %v", err)
			}
			if _, err := tx.Modify(ctx, "k", "taken", func(*driver.Record) error { return errAbort }); err != errAbort {
				t.Errorf("Modify whose function fails: %v", err)
			}
			_, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "after"})
			return err
		})
		if err != nil {
			t.Fatalf("a transaction after refused writes: %v", err)
		}
		if _, err := s.Get(ctx, "k", "after"); err != nil {
			t.Errorf("the write after refused ones was not committed: %v", err)
		}
		if r, _ := s.Get(ctx, "k", "taken"); r.Version != 1 {
			t.Errorf("a refused write changed the record: %+v", r)
		}
	})
	t.Run("Nested", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(ctx, func(tx driver.Store) error {
			if err := tx.Atomic(ctx, func(inner driver.Store) error {
				_, err := inner.Create(ctx, driver.Record{Kind: "k", ID: "inner"})
				return err
			}); err != nil {
				return err
			}
			_, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "outer"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"inner", "outer"} {
			if _, err := s.Get(ctx, "k", id); err != nil {
				t.Errorf("nested commit: %s: %v", id, err)
			}
		}
		err = s.Atomic(ctx, func(tx driver.Store) error {
			tx.Create(ctx, driver.Record{Kind: "k", ID: "before"})
			return tx.Atomic(ctx, func(inner driver.Store) error {
				inner.Create(ctx, driver.Record{Kind: "k", ID: "nested"})
				return errAbort
			})
		})
		if err != errAbort {
			t.Fatalf("nested Atomic returned %v", err)
		}
		for _, id := range []string{"before", "nested"} {
			if _, err := s.Get(ctx, "k", id); !errors.Is(err, driver.ErrNotFound) {
				t.Errorf("a nested transaction's failure left %s: %v", id, err)
			}
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		s := open(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Atomic(c, func(tx driver.Store) error {
			_, err := tx.Create(c, driver.Record{Kind: "k", ID: "a"})
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Atomic with a cancelled context: %v", err)
		}
		c, cancel = context.WithCancel(ctx)
		err = s.Atomic(c, func(tx driver.Store) error {
			if _, err := tx.Create(c, driver.Record{Kind: "k", ID: "b"}); err != nil {
				return err
			}
			cancel() // done before the commit
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Atomic whose context is done before the commit: %v", err)
		}
		for _, id := range []string{"a", "b"} {
			if _, err := s.Get(ctx, "k", id); !errors.Is(err, driver.ErrNotFound) {
				t.Errorf("a cancelled transaction stored %s: %v", id, err)
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		s.Create(ctx, driver.Record{Kind: "k", ID: "n", Data: []byte("0")})
		const n = 8
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				err := s.Atomic(ctx, func(tx driver.Store) error {
					if _, err := tx.Modify(ctx, "k", "n", increment); err != nil {
						return err
					}
					_, err := tx.Create(ctx, driver.Record{Kind: "k", ID: "w" + strconv.Itoa(i)})
					return err
				})
				if err != nil {
					t.Errorf("transaction %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if r, _ := s.Get(ctx, "k", "n"); string(r.Data) != strconv.Itoa(n) {
			t.Errorf("counter = %s after %d transactions", r.Data, n)
		}
		if list, _ := s.List(ctx, "k", driver.ByOwner, ""); len(list) != n+1 {
			t.Errorf("%d records after %d transactions", len(list), n)
		}
	})
}

func increment(r *driver.Record) error {
	n, err := strconv.Atoi(string(r.Data))
	r.Data = []byte(strconv.Itoa(n + 1))
	return err
}
