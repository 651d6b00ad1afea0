// Package identitytest holds conformance suites for identity.KeyRegistry
// and identity.ReplayStore implementations. Backends (ours and third
// parties') run them from their own tests:
//
//	func TestRegistry(t *testing.T) {
//		identitytest.RunKeyRegistry(t, func(t *testing.T) identity.KeyRegistry { return newMyRegistry(t) })
//	}
package identitytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
)

// RunKeyRegistry checks a KeyRegistry: register, lookup, duplicates,
// unknown IDs, permissions, revocation and concurrent registration.
// newRegistry must return an empty registry each time.
func RunKeyRegistry(t *testing.T, newRegistry func(t *testing.T) identity.KeyRegistry) {
	ctx := context.Background()
	newKey := func(t *testing.T) *identity.PublicKey {
		k, err := identity.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return k.Public()
	}
	t.Run("RegisterLookup", func(t *testing.T) {
		r := newRegistry(t)
		pub := newKey(t)
		perms := []string{"read", "write"}
		if err := r.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: "alice", Permissions: perms}); err != nil {
			t.Fatal(err)
		}
		perms[0] = "changed" // the registry must have kept its own copy
		e, err := r.Lookup(ctx, pub.KeyID())
		if err != nil {
			t.Fatal(err)
		}
		if !e.PublicKey.Equal(pub) || e.Owner != "alice" || e.Revoked || !slices.Equal(e.Permissions, []string{"read", "write"}) {
			t.Fatalf("Lookup = %+v", e)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		r := newRegistry(t)
		pub := newKey(t)
		if err := r.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: "a"}); err != nil {
			t.Fatal(err)
		}
		if err := r.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: "b"}); !errors.Is(err, identity.ErrExists) {
			t.Fatalf("second Register = %v, want ErrExists", err)
		}
		if e, _ := r.Lookup(ctx, pub.KeyID()); e.Owner != "a" {
			t.Fatalf("owner changed to %q", e.Owner)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		r := newRegistry(t)
		id := newKey(t).KeyID()
		if _, err := r.Lookup(ctx, id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("Lookup = %v, want ErrNotFound", err)
		}
		if err := r.Revoke(ctx, id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("Revoke = %v, want ErrNotFound", err)
		}
		if err := r.SetPermissions(ctx, id, []string{"x"}); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("SetPermissions = %v, want ErrNotFound", err)
		}
	})
	t.Run("PermissionsAndRevoke", func(t *testing.T) {
		r := newRegistry(t)
		pub := newKey(t)
		if err := r.Register(ctx, identity.KeyEntry{PublicKey: pub, Permissions: []string{"read"}}); err != nil {
			t.Fatal(err)
		}
		if err := r.SetPermissions(ctx, pub.KeyID(), []string{"admin"}); err != nil {
			t.Fatal(err)
		}
		if e, _ := r.Lookup(ctx, pub.KeyID()); !slices.Equal(e.Permissions, []string{"admin"}) {
			t.Fatalf("permissions %v", e.Permissions)
		}
		if err := r.Revoke(ctx, pub.KeyID()); err != nil {
			t.Fatal(err)
		}
		e, err := r.Lookup(ctx, pub.KeyID())
		if err != nil || !e.Revoked {
			t.Fatalf("after Revoke: %+v, %v", e, err)
		}
		if err := r.Register(ctx, identity.KeyEntry{PublicKey: pub}); !errors.Is(err, identity.ErrExists) {
			t.Fatalf("re-registering a revoked key = %v, want ErrExists", err)
		}
	})
	t.Run("ConcurrentRegister", func(t *testing.T) {
		r := newRegistry(t)
		pub := newKey(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.Register(ctx, identity.KeyEntry{PublicKey: pub, Owner: fmt.Sprint(i)})
				if err == nil {
					wins.Add(1)
				} else if !errors.Is(err, identity.ErrExists) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent Registers won, want 1", wins.Load())
		}
	})
}

// RunReplayStore checks a ReplayStore: a pair is accepted once, the same
// nonce under another key (or another nonce) is accepted, and of N
// goroutines inserting one pair exactly one wins (run it under -race).
// newStore must return an empty store each time.
func RunReplayStore(t *testing.T, newStore func(t *testing.T) identity.ReplayStore) {
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	t.Run("Once", func(t *testing.T) {
		s := newStore(t)
		if err := s.Remember(ctx, "k1", "nonce-0123456789ab", exp); err != nil {
			t.Fatal(err)
		}
		if err := s.Remember(ctx, "k1", "nonce-0123456789ab", exp); !errors.Is(err, identity.ErrExists) {
			t.Fatalf("duplicate = %v, want ErrExists", err)
		}
		if err := s.Remember(ctx, "k1", "nonce-0123456789ab", exp.Add(time.Hour)); !errors.Is(err, identity.ErrExists) {
			t.Fatalf("duplicate with later expiry = %v, want ErrExists", err)
		}
	})
	t.Run("Distinct", func(t *testing.T) {
		s := newStore(t)
		for _, p := range [][2]string{{"k1", "n-aaaaaaaaaaaaaaaa"}, {"k2", "n-aaaaaaaaaaaaaaaa"}, {"k1", "n-bbbbbbbbbbbbbbbb"}} {
			if err := s.Remember(ctx, p[0], p[1], exp); err != nil {
				t.Fatalf("%v: %v", p, err)
			}
		}
	})
	t.Run("NoConfusion", func(t *testing.T) {
		// A store that concatenates key ID and nonce must not treat
		// ("ab","c") and ("a","bc") as one pair.
		s := newStore(t)
		if err := s.Remember(ctx, "ab", "c", exp); err != nil {
			t.Fatal(err)
		}
		if err := s.Remember(ctx, "a", "bc", exp); err != nil {
			t.Fatalf("distinct pair refused: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		const n = 16
		for round := range 20 {
			var wins atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			nonce := fmt.Sprintf("nonce-%016d", round)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := s.Remember(ctx, "key", nonce, exp)
					if err == nil {
						wins.Add(1)
					} else if !errors.Is(err, identity.ErrExists) {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("round %d: %d of %d goroutines won, want exactly 1", round, wins.Load(), n)
			}
		}
	})
}
