package keystore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/keystore"
)

func TestKeystoreFlow(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	s, rk, err := ks.Register(ctx, "alice", "pass one")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Register(ctx, "alice", "again"); !errors.Is(err, keystore.ErrExists) {
		t.Fatalf("second Register: %v, want ErrExists", err)
	}
	if _, err := ks.Unlock(ctx, "nobody", "x"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Unlock unknown owner: %v", err)
	}
	v1, err := ks.CreateKey(ctx, s, "inbox", keystore.MLKEM768X25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.CreateKey(ctx, s, "inbox", keystore.MLKEM768X25519); !errors.Is(err, keystore.ErrExists) {
		t.Fatalf("CreateKey twice: %v", err)
	}
	old, _ := envelope.ParseHybridRecipient(v1.Public())
	sealedOld, _ := envelope.Seal([]byte("to v1"), nil, nil, old)
	for range 10 { // past 9, so string order of IDs differs from version order
		if _, err := ks.Rotate(ctx, s, "inbox"); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := ks.Versions(ctx, "alice", "inbox")
	if err != nil || len(vs) != 11 || vs[10] != 11 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}
	cur, err := ks.Key(ctx, "alice", "inbox", 0)
	if err != nil || cur.Version() != 11 || cur.Kind() != keystore.MLKEM768X25519 {
		t.Fatalf("current = %v, %v", cur, err)
	}
	dek, err := ks.CreateDEK(ctx, s, "files")
	if err != nil {
		t.Fatal(err)
	}
	sealedDEK, _ := envelope.Seal([]byte("by dek"), nil, &envelope.SealOptions{Key: dek})

	// Change passphrase, unlock with the new one: old versions still open.
	if err := ks.ChangePassphrase(ctx, s, "pass two"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock(ctx, "alice", "pass one"); err != keystore.ErrUnlock {
		t.Fatalf("old passphrase: %v", err)
	}
	s2, err := ks.Unlock(ctx, "alice", "pass two")
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.LoadKeys(ctx, s2); err != nil {
		t.Fatal(err)
	}
	if pt, err := envelope.Open(sealedOld, nil, nil, s2); err != nil || string(pt) != "to v1" {
		t.Fatalf("envelope to version 1 after rotation: %v", err)
	}
	d2, err := ks.OpenDEK(ctx, s2, "files", 0)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := envelope.Open(sealedDEK, nil, &envelope.OpenOptions{Key: d2}); err != nil || string(pt) != "by dek" {
		t.Fatalf("DEK after passphrase change: %v", err)
	}
	// Recover with the recovery key, setting a third passphrase.
	s3, err := ks.Recover(ctx, "alice", rk, "pass three")
	if err != nil {
		t.Fatal(err)
	}
	if len(s3.AuthKey()) != 32 {
		t.Fatal("recovered session has no new auth key")
	}
	if _, err := ks.OpenKey(ctx, s3, "inbox", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock(ctx, "alice", "pass three"); err != nil {
		t.Fatal(err)
	}
}

// TestKeystoreRehash: Unlock stores an upgraded record when policy moved on.
func TestKeystoreRehash(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemoryStore()
	if _, _, err := keystore.New(store, weakArgon2id()).Register(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	stronger := weakArgon2id()
	stronger.Params.MemoryKiB = 128
	ks := keystore.New(store, stronger)
	if _, err := ks.Unlock(ctx, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	a, ver, err := ks.Account(ctx, "alice")
	if err != nil || ver != 2 || a.Params() != stronger.Params {
		t.Fatalf("after Unlock: version %d params %v, %v", ver, a.Params(), err)
	}
	s, err := ks.Unlock(ctx, "alice", "pw")
	if err != nil || s.NeedsRehash() {
		t.Fatalf("second unlock: %v", err)
	}
	if _, ver, _ = ks.Account(ctx, "alice"); ver != 2 {
		t.Fatal("rehashed again")
	}
}

func TestKeystoreConcurrentRotate(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	s, _, err := ks.Register(ctx, "alice", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.CreateKey(ctx, s, "sig", keystore.Ed25519); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = ks.Rotate(ctx, s, "sig") }()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if !errors.Is(err, keystore.ErrConflict) {
			t.Fatal(err)
		}
	}
	vs, _ := ks.Versions(ctx, "alice", "sig")
	if won < 1 || len(vs) != 1+won {
		t.Fatalf("%d rotations won, versions %v", won, vs)
	}
}

func TestKeystoreMovedRecord(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemoryStore()
	ks := keystore.New(store, weakPBKDF2())
	s, _, _ := ks.Register(ctx, "alice", "pw")
	r, _ := ks.CreateKey(ctx, s, "a", keystore.Ed25519)
	// A server copies record "a" v1 to the slot of "b" v1.
	if _, err := store.Put(ctx, "alice", "key/b/1", r.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Key(ctx, "alice", "b", 1); !errors.Is(err, keystore.ErrCorrupt) {
		t.Fatalf("moved record: %v, want ErrCorrupt", err)
	}
	rs, err := ks.Keys(ctx, "alice")
	if !errors.Is(err, keystore.ErrCorrupt) || len(rs) != 1 {
		t.Fatalf("Keys: %d records, %v", len(rs), err)
	}
}

// TestSessionKEK checks that the envelope KEK survives a passphrase change
// (DEKs wrapped under it stay readable), differs between accounts, and is
// refused after Close.
func TestSessionKEK(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	s, _, err := ks.Register(ctx, "alice", "pass one")
	if err != nil {
		t.Fatal(err)
	}
	kek, err := s.KEK()
	if err != nil {
		t.Fatal(err)
	}
	dek := envelope.NewKey()
	wrapped, err := envelope.WrapKey(dek, kek)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.ChangePassphrase(ctx, s, "pass two"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := s.KEK(); !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("KEK after Close: %v, want ErrClosed", err)
	}
	s2, err := ks.Unlock(ctx, "alice", "pass two")
	if err != nil {
		t.Fatal(err)
	}
	kek2, _ := s2.KEK()
	if _, err := envelope.UnwrapKey(wrapped, kek2); err != nil {
		t.Errorf("a DEK wrapped before the passphrase change: %v", err)
	}
	other, _, _ := ks.Register(ctx, "bob", "pass")
	bobKEK, _ := other.KEK()
	if _, err := envelope.UnwrapKey(wrapped, bobKEK); err == nil {
		t.Error("another account's KEK unwrapped alice's DEK")
	}
}
