// Package storageauthtest is the conformance suite for storageauth.Store
// implementations: every backend, ours and third parties', runs the same
// checks with Run.
package storageauthtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/storageauth"
)

// Run checks the Store contract against stores made by newStore, which is
// called once per subtest and must return an empty store:
//   - Get of an empty slot returns ErrNotFound;
//   - CompareAndSwap stores only when prev matches the stored version (0 for
//     none) and the new version is above prev, else ErrConflict and no
//     change;
//   - records are copied in and out;
//   - of concurrent writes with the same prev, exactly one wins;
//   - a cancelled context is refused.
//
// The store never checks signatures (the Server does), so the records here
// carry well-formed but unsigned bytes.
func Run(t *testing.T, newStore func(t *testing.T) storageauth.Store) {
	t.Helper()
	ctx := context.Background()

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(ctx, slot(0))
		if !errors.Is(err, storageauth.ErrNotFound) {
			t.Fatalf("Get of an empty slot: %v, want ErrNotFound", err)
		}
	})

	t.Run("CreateThenUpdate", func(t *testing.T) {
		s := newStore(t)
		mustCAS(t, s, rec(0, 1, "a"), 0)
		mustGet(t, s, rec(0, 1, "a"))
		mustCAS(t, s, rec(0, 5, "b"), 1)
		mustGet(t, s, rec(0, 5, "b"))
	})

	t.Run("SlotsAreSeparate", func(t *testing.T) {
		s := newStore(t)
		mustCAS(t, s, rec(0, 1, "a"), 0)
		mustCAS(t, s, rec(1, 7, "b"), 0)
		mustGet(t, s, rec(0, 1, "a"))
		mustGet(t, s, rec(1, 7, "b"))
	})

	t.Run("Conflicts", func(t *testing.T) {
		cases := []struct {
			name    string
			version uint64
			prev    uint64
		}{
			{"create-over-existing", 3, 0},
			{"stale-prev", 3, 1},
			{"future-prev", 9, 5},
			{"same-version", 2, 2},
			{"lower-version", 1, 2},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := newStore(t)
				mustCAS(t, s, rec(0, 2, "orig"), 0)
				err := s.CompareAndSwap(ctx, rec(0, c.version, "new"), c.prev)
				if !errors.Is(err, storageauth.ErrConflict) {
					t.Fatalf("CompareAndSwap(version %d, prev %d): %v, want ErrConflict", c.version, c.prev, err)
				}
				mustGet(t, s, rec(0, 2, "orig"))
			})
		}
	})

	t.Run("CreateMustBeAboveZero", func(t *testing.T) {
		s := newStore(t)
		r := rec(0, 1, "x")
		r.Version = 0
		if err := s.CompareAndSwap(ctx, r, 0); !errors.Is(err, storageauth.ErrConflict) {
			t.Fatalf("version 0 over prev 0: %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, slot(0)); !errors.Is(err, storageauth.ErrNotFound) {
			t.Fatalf("slot changed by a refused write: %v", err)
		}
	})

	t.Run("CopiesInAndOut", func(t *testing.T) {
		s := newStore(t)
		r := rec(0, 1, "abc")
		mustCAS(t, s, r, 0)
		r.Ciphertext[0] ^= 1
		r.Signature[0] ^= 1
		got := mustGet(t, s, rec(0, 1, "abc"))
		got.Ciphertext[0] ^= 1
		got.Signature[0] ^= 1
		mustGet(t, s, rec(0, 1, "abc"))
	})

	t.Run("ConcurrentSameVersion", func(t *testing.T) {
		const writers = 8
		for round := range 20 {
			s := newStore(t)
			mustCAS(t, s, rec(0, 1, "base"), 0)
			var wg sync.WaitGroup
			errs := make([]error, writers)
			start := make(chan struct{})
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = s.CompareAndSwap(ctx, rec(0, 2, fmt.Sprint("writer", i)), 1)
				}()
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil:
					if winner >= 0 {
						t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
					}
					winner = i
				case !errors.Is(err, storageauth.ErrConflict):
					t.Fatalf("round %d: writer %d: %v, want nil or ErrConflict", round, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no writer won", round)
			}
			mustGet(t, s, rec(0, 2, fmt.Sprint("writer", winner)))
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		s := newStore(t)
		mustCAS(t, s, rec(0, 1, "a"), 0)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.CompareAndSwap(cctx, rec(0, 2, "b"), 1); err == nil {
			t.Fatal("CompareAndSwap with a cancelled context succeeded")
		}
		if _, err := s.Get(cctx, slot(0)); err == nil {
			t.Fatal("Get with a cancelled context succeeded")
		}
		mustGet(t, s, rec(0, 1, "a"))
	})
}

// slot returns a well-formed Ed25519 slot ID; the key is not a real one.
func slot(i byte) string {
	pub := bytes.Repeat([]byte{i + 1}, 32)
	id, err := storageauth.ParseID("ed25519:" + base64.RawURLEncoding.EncodeToString(pub))
	if err != nil {
		panic(err)
	}
	return id.String()
}

func rec(i byte, version uint64, content string) *storageauth.Record {
	ct := append(bytes.Repeat([]byte{0xc7}, 28), content...)
	sig := bytes.Repeat([]byte{byte(version)}, storageauth.SignatureSize)
	return &storageauth.Record{ID: slot(i), Version: version, Ciphertext: ct, Signature: sig}
}

func mustCAS(t *testing.T, s storageauth.Store, r *storageauth.Record, prev uint64) {
	t.Helper()
	if err := s.CompareAndSwap(context.Background(), r.Clone(), prev); err != nil {
		t.Fatalf("CompareAndSwap(version %d, prev %d): %v", r.Version, prev, err)
	}
}

func mustGet(t *testing.T, s storageauth.Store, want *storageauth.Record) *storageauth.Record {
	t.Helper()
	got, err := s.Get(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID != want.ID || got.Version != want.Version ||
		!bytes.Equal(got.Ciphertext, want.Ciphertext) || !bytes.Equal(got.Signature, want.Signature) {
		t.Fatalf("Get returned version %d (%d-byte ciphertext), want version %d (%d bytes) with the same bytes",
			got.Version, len(got.Ciphertext), want.Version, len(want.Ciphertext))
	}
	return got
}
