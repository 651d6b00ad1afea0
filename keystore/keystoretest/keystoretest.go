// Package keystoretest is the conformance suite for keystore.Store
// implementations, in the spirit of testing/fstest: every backend, ours and
// third parties', runs the same checks.
//
//	func TestStore(t *testing.T) {
//		keystoretest.Run(t, func(t *testing.T) keystore.Store { return newMyStore(t) })
//	}
package keystoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

// Writers and Increments size the concurrent compare-and-swap check: Writers
// goroutines each add Increments to one counter; no update may be lost.
const (
	Writers    = 16
	Increments = 25
)

// Run checks a Store against the contract documented on keystore.Store.
// newStore must return an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) keystore.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		fn   func(t *testing.T, s keystore.Store)
	}{
		{"PutGet", func(t *testing.T, s keystore.Store) {
			v, err := s.Put(ctx, "alice", "a", []byte("one"))
			if err != nil || v != 1 {
				t.Fatalf("Put = %d, %v; want 1, nil", v, err)
			}
			e, err := s.Get(ctx, "alice", "a")
			if err != nil {
				t.Fatal(err)
			}
			if e.Owner != "alice" || e.ID != "a" || e.Version != 1 || string(e.Data) != "one" {
				t.Fatalf("Get = %+v", e)
			}
		}},
		{"PutExists", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "a", "one")
			if _, err := s.Put(ctx, "alice", "a", []byte("two")); !errors.Is(err, keystore.ErrExists) {
				t.Fatalf("second Put: %v, want ErrExists", err)
			}
			expect(t, s, "alice", "a", 1, "one")
		}},
		{"GetNotFound", func(t *testing.T, s keystore.Store) {
			if _, err := s.Get(ctx, "alice", "missing"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("Get: %v, want ErrNotFound", err)
			}
		}},
		{"OwnersAreSeparate", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "a", "alice's")
			mustPut(t, s, "bob", "a", "bob's")
			expect(t, s, "alice", "a", 1, "alice's")
			expect(t, s, "bob", "a", 1, "bob's")
			if _, err := s.Get(ctx, "carol", "a"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("Get other owner: %v, want ErrNotFound", err)
			}
		}},
		{"UpdateCAS", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "a", "v1")
			v, err := s.Update(ctx, "alice", "a", 1, []byte("v2"))
			if err != nil || v != 2 {
				t.Fatalf("Update = %d, %v; want 2, nil", v, err)
			}
			expect(t, s, "alice", "a", 2, "v2")
			if _, err := s.Update(ctx, "alice", "a", 1, []byte("stale")); !errors.Is(err, keystore.ErrConflict) {
				t.Fatalf("stale Update: %v, want ErrConflict", err)
			}
			if _, err := s.Update(ctx, "alice", "a", 3, []byte("future")); !errors.Is(err, keystore.ErrConflict) {
				t.Fatalf("future Update: %v, want ErrConflict", err)
			}
			expect(t, s, "alice", "a", 2, "v2")
		}},
		{"UpdateNotFound", func(t *testing.T, s keystore.Store) {
			if _, err := s.Update(ctx, "alice", "missing", 1, []byte("x")); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("Update: %v, want ErrNotFound", err)
			}
			if _, err := s.Get(ctx, "alice", "missing"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("Update created the entry: %v", err)
			}
		}},
		{"ListSortedByID", func(t *testing.T, s keystore.Store) {
			if l, err := s.List(ctx, "alice"); err != nil || len(l) != 0 {
				t.Fatalf("List empty = %v, %v", l, err)
			}
			for _, id := range []string{"key/b/10", "account", "key/b/9", "key/a/1"} {
				mustPut(t, s, "alice", id, id)
			}
			mustPut(t, s, "bob", "zzz", "bob")
			l, err := s.List(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"account", "key/a/1", "key/b/10", "key/b/9"}
			if len(l) != len(want) {
				t.Fatalf("List has %d entries, want %d", len(l), len(want))
			}
			for i, e := range l {
				if e.ID != want[i] || string(e.Data) != want[i] || e.Owner != "alice" || e.Version != 1 {
					t.Fatalf("List[%d] = %+v, want ID %q", i, e, want[i])
				}
			}
		}},
		{"Delete", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "a", "one")
			if err := s.Delete(ctx, "alice", "a"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "alice", "a"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, "alice", "a"); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("second Delete: %v, want ErrNotFound", err)
			}
			if v, err := s.Put(ctx, "alice", "a", []byte("again")); err != nil || v != 1 {
				t.Fatalf("Put after Delete = %d, %v; want 1, nil", v, err)
			}
		}},
		{"Copies", func(t *testing.T, s keystore.Store) {
			in := []byte("original")
			mustPutBytes(t, s, "alice", "a", in)
			in[0] = 'X'
			e, err := s.Get(ctx, "alice", "a")
			if err != nil {
				t.Fatal(err)
			}
			if string(e.Data) != "original" {
				t.Fatal("store kept the caller's slice passed to Put")
			}
			e.Data[0] = 'Y'
			l, _ := s.List(ctx, "alice")
			if len(l) != 1 {
				t.Fatalf("List has %d entries", len(l))
			}
			l[0].Data[1] = 'Z'
			expect(t, s, "alice", "a", 1, "original")
		}},
		{"CanceledContext", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "a", "one")
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			checks := map[string]error{}
			_, checks["Put"] = s.Put(cctx, "alice", "b", nil)
			_, checks["Update"] = s.Update(cctx, "alice", "a", 1, nil)
			_, checks["Get"] = s.Get(cctx, "alice", "a")
			_, checks["List"] = s.List(cctx, "alice")
			checks["Delete"] = s.Delete(cctx, "alice", "a")
			for op, err := range checks {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("%s with a canceled context: %v, want context.Canceled", op, err)
				}
			}
			expect(t, s, "alice", "a", 1, "one")
		}},
		{"ConcurrentPutOneWins", func(t *testing.T, s keystore.Store) {
			var wg sync.WaitGroup
			results := make([]error, Writers)
			for i := range Writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, results[i] = s.Put(ctx, "alice", "race", []byte(strconv.Itoa(i)))
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range results {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, keystore.ErrExists):
					t.Fatalf("concurrent Put: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d concurrent Puts succeeded, want exactly 1", won)
			}
		}},
		{"ConcurrentCASNoLostUpdate", func(t *testing.T, s keystore.Store) {
			mustPut(t, s, "alice", "counter", "0")
			var wg sync.WaitGroup
			errs := make(chan error, Writers)
			for range Writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range Increments {
						if err := increment(ctx, s); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			expect(t, s, "alice", "counter", 1+Writers*Increments, strconv.Itoa(Writers*Increments))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// increment adds one to the counter with a read-modify-CAS loop.
func increment(ctx context.Context, s keystore.Store) error {
	for {
		e, err := s.Get(ctx, "alice", "counter")
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(e.Data))
		if err != nil {
			return fmt.Errorf("counter %q: %v", e.Data, err)
		}
		_, err = s.Update(ctx, "alice", "counter", e.Version, []byte(strconv.Itoa(n+1)))
		if err == nil {
			return nil
		}
		if !errors.Is(err, keystore.ErrConflict) {
			return err
		}
	}
}

func mustPut(t *testing.T, s keystore.Store, owner, id, data string) {
	t.Helper()
	mustPutBytes(t, s, owner, id, []byte(data))
}

func mustPutBytes(t *testing.T, s keystore.Store, owner, id string, data []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), owner, id, data); err != nil {
		t.Fatalf("Put(%s, %s): %v", owner, id, err)
	}
}

func expect(t *testing.T, s keystore.Store, owner, id string, version uint64, data string) {
	t.Helper()
	e, err := s.Get(context.Background(), owner, id)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", owner, id, err)
	}
	if e.Version != version || !bytes.Equal(e.Data, []byte(data)) {
		t.Fatalf("Get(%s, %s) = version %d %q, want version %d %q", owner, id, e.Version, e.Data, version, data)
	}
}
