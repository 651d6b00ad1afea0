package identity_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/identity/identitytest"
)

func TestMemoryKeyRegistry(t *testing.T) {
	identitytest.RunKeyRegistry(t, func(*testing.T) identity.KeyRegistry { return identity.NewMemoryKeyRegistry() })
}

func TestMemoryReplayStore(t *testing.T) {
	identitytest.RunReplayStore(t, func(*testing.T) identity.ReplayStore { return &identity.MemoryReplayStore{} })
}

// TestMemoryReplayStoreBounded: expired entries make room; a store full of
// unexpired ones refuses (fail closed) rather than forget one.
func TestMemoryReplayStoreBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	s := &identity.MemoryReplayStore{Max: 4, Now: func() time.Time { return now }}
	for i := range 4 {
		if err := s.Remember(ctx, "k", fmt.Sprint("n", i), now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remember(ctx, "k", "n4", now.Add(time.Minute)); !errors.Is(err, identity.ErrReplayStoreFull) {
		t.Fatalf("full store: %v, want ErrReplayStoreFull", err)
	}
	if err := s.Remember(ctx, "k", "n0", now.Add(time.Minute)); !errors.Is(err, identity.ErrExists) {
		t.Fatalf("duplicate in a full store: %v, want ErrExists", err)
	}
	now = now.Add(2 * time.Minute)
	if err := s.Remember(ctx, "k", "n4", now.Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1 (expired entries dropped)", s.Len())
	}
	// Once expired, a pair may be used again (the verifier refuses it as stale anyway).
	if err := s.Remember(ctx, "k", "n0", now.Add(time.Minute)); err != nil {
		t.Fatalf("expired pair: %v", err)
	}
}
