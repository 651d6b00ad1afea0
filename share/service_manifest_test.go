package share_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/share"
)

// The Service stores a key bundle only if it is the publisher's,
// self-signed, and signs exactly the record's keys; and a manifest only
// from the owner, about the stored record, and newer than the stored one.
func TestServiceChecksBundleAndManifestShape(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	w.addUser(t, "bob", "hybrid", 0)
	keys := userRecord(t, w, "alice").Keys

	_, sk, _ := ed25519.GenerateKey(nil)
	carolsBundle, err := share.NewUser("carol", keys, sk)
	if err != nil {
		t.Fatal(err)
	}
	dave := *carolsBundle
	dave.ID = "dave"
	other, err := share.NewUser("erin", userRecord(t, w, "bob").Keys, sk)
	if err != nil {
		t.Fatal(err)
	}
	other.Keys = keys // the record's keys are not the bundle's
	_, sk2, _ := ed25519.GenerateKey(nil)
	wrongSigner := *carolsBundle
	wrongSigner.ID, wrongSigner.SigningKey = "carol", sk2.Public().(ed25519.PublicKey)
	for name, u := range map[string]*share.User{"another user's bundle": &dave, "other keys": other, "another signing key": &wrongSigner} {
		if err := w.svc.PublishUser(ctx, u.ID, u); !errors.Is(err, share.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := w.svc.PublishUser(ctx, "carol", carolsBundle); err != nil {
		t.Fatalf("a good bundle: %v", err)
	}

	it := upload(t, alice)
	stored, err := w.svc.Item(ctx, "alice", it.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := share.ParseManifest(stored.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(stored.Header)
	sign := func(m share.Manifest) []byte {
		sm, err := share.SignManifest(alice.SigningKey, m)
		if err != nil {
			t.Fatal(err)
		}
		return sm.Bytes()
	}
	next := share.Manifest{Item: it.ID, Owner: "alice", Version: 1, Seq: cur.Seq + 1, Previous: cur.Hash(),
		HeaderHash: h[:], PayloadHash: stored.SHA256, Size: stored.Size}
	wrongHeader := next
	wrongHeader.HeaderHash = make([]byte, 32)
	for name, c := range map[string]struct {
		actor    string
		manifest []byte
		want     error
	}{
		"not the owner":  {"bob", sign(next), share.ErrPermission},
		"another header": {"alice", sign(wrongHeader), share.ErrInvalid},
		"not a manifest": {"alice", []byte("manifest"), share.ErrInvalid},
		"the stored seq": {"alice", stored.Manifest, share.ErrConflict},
	} {
		if err := w.svc.PutManifest(ctx, c.actor, it.ID, c.manifest); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if err := w.svc.PutManifest(ctx, "alice", it.ID, sign(next)); err != nil {
		t.Fatalf("the next manifest: %v", err)
	}
}
