package backend_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/keystore"
)

// counterBackends opens empty Stores on every backend: the example memory
// driver, SQLite in memory and in a file, and PostgreSQL (skipped without
// its DSN).
var counterBackends = map[string]func(t *testing.T) *backend.Stores{
	"memory": func(t *testing.T) *backend.Stores { return backend.New(newMemDriver()) },
	"sqlite-memory": func(t *testing.T) *backend.Stores {
		return openSQLite(t).Stores()
	},
	"sqlite-file": func(t *testing.T) *backend.Stores {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "counter.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Stores()
	},
	"postgres": func(t *testing.T) *backend.Stores {
		db, err := postgres.Open(ctx, postgresSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Stores()
	},
}

// A counter counts to its maximum and refuses beyond it, inside
// transactions and outside; a refused or rolled-back increment counts
// nothing.
func TestCounter(t *testing.T) {
	for name, open := range counterBackends {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			const c = "test/count"
			if n, err := s.Count(ctx, c); err != nil || n != 0 {
				t.Fatalf("new counter = %d, %v; want 0", n, err)
			}
			if err := s.Increment(ctx, c, 3); err != nil {
				t.Fatal(err)
			}
			inTx := func(fail error) error {
				return s.Atomic(ctx, func(tx *backend.Stores) error {
					if err := tx.Increment(ctx, c, 3); err != nil {
						return err
					}
					return fail
				})
			}
			if err := inTx(nil); err != nil {
				t.Fatal(err)
			}
			rollback := errors.New("later write failed")
			if err := inTx(rollback); err != rollback {
				t.Fatalf("rolled-back increment: %v", err)
			}
			if n, err := s.Count(ctx, c); err != nil || n != 2 {
				t.Fatalf("after two increments and a rollback: %d, %v; want 2", n, err)
			}
			if err := inTx(nil); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := inTx(nil); !errors.Is(err, backend.ErrCounterFull) {
					t.Fatalf("increment at the maximum: %v, want ErrCounterFull", err)
				}
				if err := s.Increment(ctx, c, 3); !errors.Is(err, backend.ErrCounterFull) {
					t.Fatalf("increment at the maximum: %v, want ErrCounterFull", err)
				}
			}
			// Counters are independent, and a raised maximum admits more.
			if err := s.Increment(ctx, "test/other", 1); err != nil {
				t.Fatal(err)
			}
			if err := s.Increment(ctx, c, 4); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.Count(ctx, c); n != 4 {
				t.Fatalf("count %d, want 4", n)
			}
		})
	}
}

// The counter's record is the one the reference server wrote before the
// type existed: a keystore entry of owner "" holding the decimal count, so
// an existing database goes on counting from where it was.
func TestCounterLayout(t *testing.T) {
	s := backend.New(newMemDriver())
	if _, err := s.Keystore.Put(ctx, "", "vault/users", []byte("41")); err != nil {
		t.Fatal(err)
	}
	if err := s.Increment(ctx, "vault/users", 42); err != nil {
		t.Fatal(err)
	}
	e, err := s.Keystore.Get(ctx, backend.CounterOwner, "vault/users")
	if err != nil || string(e.Data) != "42" {
		t.Fatalf("record after the increment: %q, %v; want 42", e.Data, err)
	}
	if err := s.Increment(ctx, "vault/users", 42); !errors.Is(err, backend.ErrCounterFull) {
		t.Fatalf("at 42 of 42: %v, want ErrCounterFull", err)
	}
	// A damaged record is an error, never a count.
	for _, bad := range []string{"", "-1", "x", "99999999999999999999"} {
		if _, err := s.Keystore.Put(ctx, "", "bad"+bad, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		if err := s.Increment(ctx, "bad"+bad, 100); err == nil || errors.Is(err, backend.ErrCounterFull) {
			t.Fatalf("damaged record %q: %v, want an error", bad, err)
		}
	}
}

// racingKeystore lets another writer increment the counter between an
// Increment's read and its write.
type racingKeystore struct {
	keystore.Store
	race func()
}

func (r racingKeystore) Get(ctx context.Context, owner, id string) (keystore.Entry, error) {
	e, err := r.Store.Get(ctx, owner, id)
	r.race()
	return e, err
}

// An increment that loses the race to another writer is ErrCounterBusy and
// counts nothing; the winner's count stands.
func TestCounterBusy(t *testing.T) {
	for _, start := range []int{0, 1} { // the racing write creates the record, or updates it
		s := backend.New(newMemDriver())
		for range start {
			if err := s.Increment(ctx, "c", 10); err != nil {
				t.Fatal(err)
			}
		}
		other := *s
		racing := *s
		racing.Keystore = racingKeystore{s.Keystore, func() {
			if err := other.Increment(ctx, "c", 10); err != nil {
				t.Fatal(err)
			}
		}}
		if err := racing.Increment(ctx, "c", 10); !errors.Is(err, backend.ErrCounterBusy) {
			t.Fatalf("from %d: lost race: %v, want ErrCounterBusy", start, err)
		}
		if n, _ := s.Count(ctx, "c"); n != int64(start)+1 {
			t.Fatalf("from %d: count %d after the race, want %d", start, n, start+1)
		}
	}
}

// Concurrent increments never count past the maximum: each ends counted,
// full, or busy (and is retried), and exactly max are counted.
func TestCounterConcurrent(t *testing.T) {
	const workers, max = 8, 5
	for name, open := range counterBackends {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			var wg sync.WaitGroup
			counted := make(chan struct{}, workers)
			for range workers {
				wg.Go(func() {
					for {
						err := s.Atomic(ctx, func(tx *backend.Stores) error { return tx.Increment(ctx, "c", max) })
						switch {
						case err == nil:
							counted <- struct{}{}
							return
						case errors.Is(err, backend.ErrCounterFull):
							return
						case !errors.Is(err, backend.ErrCounterBusy):
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if n, err := s.Count(ctx, "c"); len(counted) != max || n != max || err != nil {
				t.Fatalf("%d increments counted, count %d (%v); want %d", len(counted), n, err, max)
			}
		})
	}
}
