package share_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// The tests below put a lying server (sharetest.Hostile) between a client
// and an honest Service. Each lie is one the server can tell (SPEC.md §11);
// each must be refused with the error the spec names, and nothing may be
// wrapped to a key the server chose.

// lie puts a Hostile in front of c's transport.
func lie(c *share.Client) *sharetest.Hostile {
	h := &sharetest.Hostile{Transport: c.Transport}
	c.Transport = h
	return h
}

// sentKeys records every wrapped key c's requests carry to the server.
type sentKeys struct {
	mu   sync.Mutex
	keys []*share.WrappedKey
}

func recordKeys(h *sharetest.Hostile) *sentKeys {
	s := &sentKeys{}
	h.Request = func(op string, args ...any) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(args) == 0 {
			return nil
		}
		switch r := args[0].(type) {
		case *share.Upload:
			s.keys = append(s.keys, r.Keys...)
		case *share.ShareRequest:
			s.keys = append(s.keys, r.Key)
		case *share.SpaceShareRequest:
			s.keys = append(s.keys, r.Key)
		}
		return nil
	}
	return s
}

// openableBy reports whether any recorded key record opens with ids: the
// server, holding ids, would have the DEK.
func (s *sentKeys) openableBy(ids []envelope.Identity) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if len(k.Record) == 0 {
			continue
		}
		if dek, err := envelope.UnwrapKey(k.Record, ids...); err == nil {
			dek.Destroy()
			return true
		}
	}
	return false
}

func (s *sentKeys) to(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.keys {
		if k.Recipient == user {
			n++
		}
	}
	return n
}

// forgedUser is a directory record for id with keys and a bundle signed by
// an identity key the server made.
func forgedUser(t *testing.T, id string, keys []share.PublicKey) *share.User {
	t.Helper()
	ik, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return signedUser(t, ik, id, 1, nil, keys)
}

// signedUser is a directory record for id with keys, signed by ik at
// version v (previous: the bundle before it, nil for version 1).
func signedUser(t *testing.T, ik *identity.PrivateKey, id string, v uint64, previous *identity.KeyBundle, keys []share.PublicKey) *share.User {
	t.Helper()
	b := identity.KeyBundle{UserID: id, Version: v}
	if previous != nil {
		b.Previous = previous.Hash()
	}
	for _, k := range keys {
		b.Keys = append(b.Keys, identity.PublishedKey{Type: k.Kind, Purpose: share.PurposeShare, Data: k.Bytes})
	}
	kb, err := identity.SignBundle(ik, b)
	if err != nil {
		t.Fatal(err)
	}
	return &share.User{ID: id, Keys: keys, SigningKey: ik.Public().Bytes(), Bundle: kb.Bytes()}
}

// identityKey is c's identity key, as identity wants it.
func identityKey(t *testing.T, c *share.Client) *identity.PrivateKey {
	t.Helper()
	k, err := identity.NewEd25519PrivateKey(c.SigningKey.Seed())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func userRecord(t *testing.T, w *world, id string) *share.User {
	t.Helper()
	u, err := w.svc.User(ctx, id, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Attack 1: the owner looks bob up and the server answers with its own
// encryption key. In bob's record beside bob's bundle, the keys no longer
// match the bundle (ErrBadBundle); in a record re-signed by a key the
// server made, the identity key is not the one pinned (ErrKeyChanged).
// Either way nothing is wrapped to the server's key.
func TestHostileKeySubstitution(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	w.addUser(t, "bob", "hybrid", 0)
	mallory := w.addUser(t, "mallory", "hybrid", 0) // an account the server controls
	h := lie(alice)
	sent := recordKeys(h)
	malloryKeys := userRecord(t, w, "mallory").Keys

	t.Run("keys beside bob's bundle", func(t *testing.T) {
		h.Response = func(op string, res any) (any, error) {
			if u, ok := res.(*share.User); ok && u.ID == "bob" {
				u.Keys = malloryKeys
			}
			return res, nil
		}
		it := upload(t, alice)
		_, err := alice.Share(ctx, it.ID, "bob")
		if !errors.Is(err, share.ErrBadBundle) {
			t.Fatalf("share to a record whose keys are not its bundle's: %v, want ErrBadBundle", err)
		}
		if sent.openableBy(mallory.Identities) {
			t.Fatal("the DEK was wrapped to the server's key")
		}
	})

	t.Run("bundle re-signed after bob was pinned", func(t *testing.T) {
		h.Response = nil
		first := upload(t, alice)
		if _, err := alice.Share(ctx, first.ID, "bob"); err != nil { // pins bob
			t.Fatal(err)
		}
		forged := forgedUser(t, "bob", malloryKeys)
		h.Response = func(op string, res any) (any, error) {
			if u, ok := res.(*share.User); ok && u.ID == "bob" {
				return forged, nil
			}
			return res, nil
		}
		it := upload(t, alice)
		_, err := alice.Share(ctx, it.ID, "bob")
		if !errors.Is(err, share.ErrKeyChanged) {
			t.Fatalf("share after the server re-signed bob's bundle: %v, want ErrKeyChanged", err)
		}
		if sent.openableBy(mallory.Identities) {
			t.Fatal("the DEK was wrapped to the server's key")
		}
		if sent.to("bob") != 1 {
			t.Fatalf("%d keys sent to bob, want the first share's only", sent.to("bob"))
		}
	})
}

// A key change bob signs with his pinned identity key is followed without
// asking; one he does not sign waits for AcceptKeyChange; a bundle older
// than the pinned one (a replay) is ErrRollback.
func TestHostileBundleChangeAndReplay(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	h := lie(alice)
	v1 := userRecord(t, w, "bob")
	b1, err := identity.ParseBundle(v1.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	it := upload(t, alice)
	if _, err := alice.Share(ctx, it.ID, "bob"); err != nil { // pins bob at v1
		t.Fatal(err)
	}
	serve := func(u *share.User) {
		h.Response = func(op string, res any) (any, error) {
			if v, ok := res.(*share.User); ok && v.ID == "bob" {
				return u, nil
			}
			return res, nil
		}
	}

	// Bob moves to a new identity key and signs the change with the old.
	newKey, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b := identity.KeyBundle{UserID: "bob", Version: 2, Previous: b1.Hash(), Keys: b1.Keys}
	b2, err := identity.SignKeyChange(identityKey(t, bob), newKey, b)
	if err != nil {
		t.Fatal(err)
	}
	v2 := &share.User{ID: "bob", Keys: v1.Keys, SigningKey: newKey.Public().Bytes(), Bundle: b2.Bytes()}
	serve(v2)
	if _, err := alice.SafetyNumber(ctx, "bob"); err != nil {
		t.Fatalf("a key change signed by the pinned key: %v", err)
	}

	// The server replays version 1, then makes up a version 3 of its own.
	serve(v1)
	if _, err := alice.SafetyNumber(ctx, "bob"); !errors.Is(err, share.ErrRollback) {
		t.Fatalf("bundle version 1 after 2: %v, want ErrRollback", err)
	}
	serve(forgedUser(t, "bob", v1.Keys))
	if _, err := alice.SafetyNumber(ctx, "bob"); !errors.Is(err, share.ErrRollback) {
		t.Fatalf("a forged version 1 after 2: %v, want ErrRollback", err)
	}
	ik, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	v3 := signedUser(t, ik, "bob", 3, b2, v1.Keys)
	serve(v3)
	if _, err := alice.SafetyNumber(ctx, "bob"); !errors.Is(err, share.ErrKeyChanged) {
		t.Fatalf("an unsigned key change: %v, want ErrKeyChanged", err)
	}
	// The person compares safety numbers, then accepts.
	if err := alice.AcceptKeyChange(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SafetyNumber(ctx, "bob"); err != nil {
		t.Fatalf("after AcceptKeyChange: %v", err)
	}
}

// On first contact there is nothing pinned: a forged bundle is accepted
// (trust on first use), and only the safety number shows it.
func TestHostileFirstContactShowsInSafetyNumber(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	honest, err := bob.SafetyNumber(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := alice.SafetyNumber(ctx, "bob"); err != nil || got != honest {
		t.Fatalf("honest safety numbers differ: %q, %q, %v", got, honest, err)
	}
	carol := w.addUser(t, "carol", "hybrid", 0)
	forged := forgedUser(t, "bob", userRecord(t, w, "bob").Keys)
	lie(carol).Response = func(op string, res any) (any, error) {
		if u, ok := res.(*share.User); ok && u.ID == "bob" {
			return forged, nil
		}
		return res, nil
	}
	mine, err := carol.SafetyNumber(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := bob.SafetyNumber(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if mine == theirs {
		t.Fatal("a forged bundle gave the same safety number")
	}
}

// Attack 2: the server lists an account it controls among the item's key
// holders. The rotation after a revoke wraps to the owner's own manifest's
// recipients only: the injected one is ignored, silently.
func TestHostileRecipientInjection(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	w.addUser(t, "carol", "hybrid", 0)
	mallory := w.addUser(t, "mallory", "hybrid", 0)
	h := lie(alice)
	it := upload(t, alice)
	for _, r := range []string{"bob", "carol"} {
		if _, err := alice.Share(ctx, it.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	sent := recordKeys(h)
	h.Response = func(op string, res any) (any, error) {
		if ks, ok := res.([]*share.WrappedKey); ok && op == "ItemKeys" {
			return append(ks, &share.WrappedKey{Item: it.ID, Recipient: "mallory", Version: ks[0].Version, Record: ks[0].Record}), nil
		}
		return res, nil
	}
	if err := alice.Revoke(ctx, it.ID, "bob", true); err != nil {
		t.Fatal(err)
	}
	if n := sent.to("mallory"); n != 0 || sent.openableBy(mallory.Identities) {
		t.Fatalf("the rotation wrapped the new DEK to the injected recipient (%d keys)", n)
	}
	if sent.to("carol") != 1 || sent.to("bob") != 0 {
		t.Fatalf("rotation keys: carol %d, bob %d; want 1, 0", sent.to("carol"), sent.to("bob"))
	}
	if _, err := bob.ReadAll(ctx, it.ID); err == nil {
		t.Fatal("the revoked recipient still reads the item")
	}
	if got, err := w.clients["carol"].ReadAll(ctx, it.ID); err != nil || string(got) != "payload" {
		t.Fatalf("the remaining recipient: %q, %v", got, err)
	}
}

// Attack 3: the server makes up an item whose owner field names alice, with
// a DEK it chose wrapped to bob, and a share record for it. Bob's client
// refuses to show it as alice's: its manifest is not signed by alice's
// pinned key, or it has none.
func TestHostileForgedItem(t *testing.T) {
	w := newWorld(t, "local")
	w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)

	// The server's own copy of the world, with an "alice" it controls.
	fake := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	if err := fake.PublishUser(ctx, "bob", userRecord(t, w, "bob")); err != nil {
		t.Fatal(err)
	}
	fakeAlice := newClient(t, share.Local{Service: fake, Actor: "alice"}, "alice")
	forged, err := fakeAlice.Upload(ctx, strings.NewReader("pay the bearer"), nil, "bob")
	if err != nil {
		t.Fatal(err)
	}
	fakeBob := share.Local{Service: fake, Actor: "bob"}
	fakeShares, err := fakeBob.Received(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		strip bool
	}{{"manifest by another key", false}, {"no manifest", true}} {
		t.Run(tc.name, func(t *testing.T) {
			honest := bob.Transport
			t.Cleanup(func() { bob.Transport = honest })
			h := lie(bob)
			h.Transport = redirect{honest, fakeBob, forged.ID}
			h.Response = func(op string, res any) (any, error) {
				switch op {
				case "Received":
					return append(res.([]*share.Share), fakeShares...), nil
				case "Item":
					if it := res.(*share.Item); tc.strip && it.ID == forged.ID {
						it.Manifest = nil
					}
				}
				return res, nil
			}
			if rec, err := bob.Received(ctx); err != nil || len(rec) != 1 || rec[0].Owner != "alice" {
				t.Fatalf("bob's received shares: %v, %v", rec, err)
			}
			got, err := bob.ReadAll(ctx, forged.ID)
			if err == nil {
				t.Fatalf("bob read a forged item as alice's: %q", got)
			}
			if !errors.Is(err, share.ErrBadManifest) {
				t.Fatalf("forged item: %v, want ErrBadManifest", err)
			}
		})
	}
}

// redirect answers the calls about one item from another Service: the
// server's made-up records.
type redirect struct {
	share.Transport
	fake share.Transport
	item string
}

func (r redirect) Item(c context.Context, id string) (*share.Item, error) {
	if id == r.item {
		return r.fake.Item(c, id)
	}
	return r.Transport.Item(c, id)
}

func (r redirect) MyKey(c context.Context, id string) (*share.WrappedKey, error) {
	if id == r.item {
		return r.fake.MyKey(c, id)
	}
	return r.Transport.MyKey(c, id)
}

func (r redirect) Download(c context.Context, id string, ev *share.Event) (io.ReadCloser, error) {
	if id == r.item {
		return r.fake.Download(c, id, ev)
	}
	return r.Transport.Download(c, id, ev)
}

// newClient is a registered client of t's Service for name.
func newClient(t *testing.T, tr share.Transport, name string) *share.Client {
	t.Helper()
	id, err := envelope.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	kek, err := envelope.NewKEK(name+"-kek", randomKey())
	if err != nil {
		t.Fatal(err)
	}
	_, sk, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &share.Client{User: name, Transport: tr, Identities: []envelope.Identity{id}, KEK: kek, SigningKey: sk,
		ConnectionKeys: &share.MemoryConnectionKeys{}}
	if err := c.Register(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// The server serves an item with another item's manifest, or with its own
// manifest changed: ErrBadManifest.
func TestHostileReplacedManifest(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	a, err := alice.Upload(ctx, strings.NewReader("a"), nil, "bob")
	if err != nil {
		t.Fatal(err)
	}
	b, err := alice.Upload(ctx, strings.NewReader("b"), nil, "bob")
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.svc.Item(ctx, "alice", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := lie(bob)
	for name, rewrite := range map[string]func(m []byte) []byte{
		"another item's": func([]byte) []byte { return other.Manifest },
		"a flipped byte": func(m []byte) []byte { m = bytes.Clone(m); m[len(m)/2] ^= 1; return m },
		"truncated":      func(m []byte) []byte { return m[:len(m)-1] },
	} {
		t.Run(name, func(t *testing.T) {
			h.Response = func(op string, res any) (any, error) {
				if it, ok := res.(*share.Item); ok && it.ID == a.ID {
					it.Manifest = rewrite(it.Manifest)
				}
				return res, nil
			}
			if _, err := bob.ReadAll(ctx, a.ID); !errors.Is(err, share.ErrBadManifest) {
				t.Fatalf("item with %s manifest: %v, want ErrBadManifest", name, err)
			}
		})
	}
	h.Response = nil
	if got, err := bob.ReadAll(ctx, a.ID); err != nil || string(got) != "a" {
		t.Fatalf("the honest item after the lies: %q, %v", got, err)
	}
}

// The server rolls an item back to a version bob already saw replaced:
// the old record, key and payload, all consistent. Bob's client remembers
// the newest version it saw: ErrRollback.
func TestHostileItemRollback(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	it, err := alice.Upload(ctx, strings.NewReader("version 1"), nil, "bob")
	if err != nil {
		t.Fatal(err)
	}
	h := lie(bob)
	var mu sync.Mutex
	old := map[string]any{}
	h.Response = func(op string, res any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		if op == "Download.payload" {
			b, err := io.ReadAll(res.(io.ReadCloser))
			if err != nil {
				return nil, err
			}
			res.(io.ReadCloser).Close()
			old[op] = b
			return io.NopCloser(bytes.NewReader(b)), nil
		}
		old[op] = res
		return res, nil
	}
	if _, err := bob.ReadAll(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	h.Response = nil
	if _, err := alice.Rotate(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := bob.ReadAll(ctx, it.ID); err != nil || string(got) != "version 1" {
		t.Fatalf("version 2: %q, %v", got, err)
	}
	h.Response = func(op string, res any) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		switch op {
		case "Item", "MyKey":
			return old[op], nil
		case "Download.payload":
			res.(io.ReadCloser).Close()
			return io.NopCloser(bytes.NewReader(old[op].([]byte))), nil
		}
		return res, nil
	}
	if _, err := bob.ReadAll(ctx, it.ID); !errors.Is(err, share.ErrRollback) {
		t.Fatalf("version 1 after 2: %v, want ErrRollback", err)
	}
}
