package share_test

import (
	"crypto/rand"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sealkit/sealkit/keylog"
	"github.com/sealkit/sealkit/share"
)

// With a key transparency log, the Service logs every bundle it stores and
// a Client with a KeyLog accepts a bundle only as the logged entry its
// record names: a bundle the server made up for a first contact, which TOFU
// alone would pin, is ErrNotLogged whether the record names another entry
// or none.
func TestKeyLogCatchesUnloggedBundle(t *testing.T) {
	const origin = "log.example/keys"
	skey, vkey, err := note.GenerateKey(rand.Reader, "log.example")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	log, err := keylog.New(&keylog.MemStore{}, origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keylog.NewVerifier(origin, vkey)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, "local")
	w.svc.KeyLog = log
	alice := w.addUser(t, "alice", "hybrid", 0)
	if alice.KeyLog, err = keylog.NewClient(v, log, nil); err != nil {
		t.Fatal(err)
	}
	w.addUser(t, "bob", "hybrid", 0)
	w.addUser(t, "carol", "hybrid", 0)

	it := upload(t, alice)
	if _, err := alice.Share(ctx, it.ID, "bob"); err != nil {
		t.Fatalf("share to a logged bundle: %v", err)
	}
	real := userRecord(t, w, "carol")
	if real.LogIndex == nil {
		t.Fatal("the Service stored carol's record without its log index")
	}
	for name, index := range map[string]*uint64{"another entry": real.LogIndex, "no entry": nil} {
		forged := forgedUser(t, "carol", real.Keys)
		forged.LogIndex = index
		h := lie(alice)
		h.Response = func(op string, res any) (any, error) {
			if u, ok := res.(*share.User); ok && u.ID == "carol" {
				return forged, nil
			}
			return res, nil
		}
		_, err := alice.Share(ctx, it.ID, "carol")
		alice.Transport = h.Transport
		if !errors.Is(err, share.ErrNotLogged) {
			t.Fatalf("%s: %v, want ErrNotLogged", name, err)
		}
	}
	if _, err := alice.Share(ctx, it.ID, "carol"); err != nil {
		t.Fatalf("carol's logged bundle after the lies: %v", err)
	}
}
