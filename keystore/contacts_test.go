package keystore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/sealkit/sealkit/keystore"
)

func newIdentityKey(t *testing.T) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestContactsPinOnFirstUse(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemoryStore()
	ks := keystore.New(store, weakPBKDF2())
	s, _, err := ks.Register(ctx, "alice", "pass one")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	bob, server := newIdentityKey(t), newIdentityKey(t)

	book, err := ks.Contacts(ctx, s)
	if err != nil || len(book.List()) != 0 || book.Seq() != 0 {
		t.Fatalf("new book: %v %v", book.List(), err)
	}
	if changed, err := book.Observe("bob", bob, 2, now); err != nil || !changed {
		t.Fatalf("first Observe: %v %v", changed, err)
	}
	if err := ks.SaveContacts(ctx, s, book); err != nil {
		t.Fatal(err)
	}

	// A later session reads the pin back from the Store.
	book, err = ks.Contacts(ctx, s)
	if err != nil || book.Seq() != 1 {
		t.Fatalf("reread: seq %d, %v", book.Seq(), err)
	}
	if _, err := book.Observe("bob", server, 3, now); !errors.Is(err, keystore.ErrKeyChanged) {
		t.Fatalf("substituted key: %v, want ErrKeyChanged", err)
	}
	if _, err := book.Observe("bob", bob, 1, now); !errors.Is(err, keystore.ErrRollback) {
		t.Fatalf("older bundle: %v, want ErrRollback", err)
	}
	if changed, err := book.Observe("bob", bob, 2, now); err != nil || changed {
		t.Fatalf("same bundle: %v %v", changed, err)
	}
	if err := book.MarkVerified("bob"); err != nil {
		t.Fatal(err)
	}
	if err := book.MarkVerified("carol"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("MarkVerified unknown: %v", err)
	}
	// The person accepts a changed key: the pin moves and Verified clears.
	if err := book.Accept("bob", server, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, ok := book.Contact("bob")
	if !ok || !c.IdentityKey.Equal(server) || c.Verified || c.BundleVersion != 0 {
		t.Fatalf("after Accept: %+v", c)
	}
	if err := ks.SaveContacts(ctx, s, book); err != nil {
		t.Fatal(err)
	}
	if book.Seq() != 2 {
		t.Fatalf("seq %d after second save", book.Seq())
	}
}

func TestContactsConflict(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	s, _, err := ks.Register(ctx, "alice", "pass one")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ks.Contacts(ctx, s)
	b, _ := ks.Contacts(ctx, s)
	a.Observe("bob", newIdentityKey(t), 1, time.Now())
	b.Observe("carol", newIdentityKey(t), 1, time.Now())
	if err := ks.SaveContacts(ctx, s, a); err != nil {
		t.Fatal(err)
	}
	if err := ks.SaveContacts(ctx, s, b); !errors.Is(err, keystore.ErrConflict) {
		t.Fatalf("second writer: %v, want ErrConflict", err)
	}
}

// TestContactsServerTampering: the server holds the sealed book; it cannot
// change a pin, move another owner's book in, or have garbage parsed.
func TestContactsServerTampering(t *testing.T) {
	ctx := context.Background()
	store := keystore.NewMemoryStore()
	ks := keystore.New(store, weakPBKDF2())
	alice, _, err := ks.Register(ctx, "alice", "pass one")
	if err != nil {
		t.Fatal(err)
	}
	mallory, _, err := ks.Register(ctx, "mallory", "pass two")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*keystore.Session{alice, mallory} {
		book, _ := ks.Contacts(ctx, s)
		book.Observe("bob", newIdentityKey(t), 1, time.Now())
		if err := ks.SaveContacts(ctx, s, book); err != nil {
			t.Fatal(err)
		}
	}
	orig, _ := store.Get(ctx, "alice", "contacts")
	theirs, _ := store.Get(ctx, "mallory", "contacts")
	for name, data := range map[string][]byte{
		"flipped":   flip(orig.Data, len(orig.Data)/2),
		"truncated": orig.Data[:len(orig.Data)-1],
		"another":   theirs.Data,
		"empty":     {},
	} {
		cur, _ := store.Get(ctx, "alice", "contacts")
		if _, err := store.Update(ctx, "alice", "contacts", cur.Version, data); err != nil {
			t.Fatal(err)
		}
		if _, err := ks.Contacts(ctx, alice); !errors.Is(err, keystore.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	// An older copy opens (it is alice's own), and its lower Seq is what
	// gives it away to a client that remembers the last one.
	cur, _ := store.Get(ctx, "alice", "contacts")
	store.Update(ctx, "alice", "contacts", cur.Version, orig.Data)
	book, err := ks.Contacts(ctx, alice)
	if err != nil || book.Seq() != 1 {
		t.Fatalf("restored copy: seq %d, %v", book.Seq(), err)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func TestContactsRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), weakPBKDF2())
	s, _, _ := ks.Register(ctx, "alice", "pass one")
	book, _ := ks.Contacts(ctx, s)
	if _, err := book.Observe("", newIdentityKey(t), 1, time.Now()); err == nil {
		t.Error("empty user accepted")
	}
	if _, err := book.Observe("bob", make([]byte, 31), 1, time.Now()); err == nil {
		t.Error("short key accepted")
	}
	s.Close()
	book.Observe("bob", newIdentityKey(t), 1, time.Now())
	if err := ks.SaveContacts(ctx, s, book); !errors.Is(err, keystore.ErrClosed) {
		t.Fatalf("save after Close: %v", err)
	}
}
