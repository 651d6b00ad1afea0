package share_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
)

// Pins outlive the Client that made them: a new Client of the same user
// with the same PinStore and KEK still refuses bob's substituted key, and
// still knows the newest version of an item it read. A pin record the
// store changed, or moved to another name, does not open (ErrCorrupt).
func TestPinsDurable(t *testing.T) {
	for name, newPins := range map[string]func() share.PinStore{
		"memory":   func() share.PinStore { return &share.MemoryPins{} },
		"keystore": func() share.PinStore { return share.StorePins{Store: keystore.NewMemoryStore(), Owner: "carol"} },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, "local")
			alice := w.addUser(t, "alice", "hybrid", 0)
			w.addUser(t, "bob", "hybrid", 0)
			carol := w.addUser(t, "carol", "hybrid", 0)
			pins := newPins()
			carol.Pins = pins
			it, err := alice.Upload(ctx, strings.NewReader("v1"), nil, "carol")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := carol.SafetyNumber(ctx, "bob"); err != nil { // pins bob
				t.Fatal(err)
			}
			if _, err := carol.ReadAll(ctx, it.ID); err != nil {
				t.Fatal(err)
			}

			// The same user, later: a new Client on the same pins.
			again := &share.Client{User: "carol", Transport: carol.Transport, Identities: carol.Identities,
				KEK: carol.KEK, SigningKey: carol.SigningKey, Pins: pins}
			forged := forgedUser(t, "bob", userRecord(t, w, "bob").Keys)
			lie(again).Response = func(op string, res any) (any, error) {
				if u, ok := res.(*share.User); ok && u.ID == "bob" {
					return forged, nil
				}
				return res, nil
			}
			if _, err := again.SafetyNumber(ctx, "bob"); !errors.Is(err, share.ErrKeyChanged) {
				t.Fatalf("a new Client on the same pins: %v, want ErrKeyChanged", err)
			}

			// The store answers with another pin's record, then with
			// changed bytes.
			item, err := pins.Pin(ctx, "item/"+it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := pins.PutPin(ctx, "user/alice", item); err != nil {
				t.Fatal(err)
			}
			if _, err := again.SafetyNumber(ctx, "alice"); !errors.Is(err, share.ErrCorrupt) {
				t.Fatalf("a pin moved to another name: %v, want ErrCorrupt", err)
			}
			item[len(item)-1] ^= 1
			if err := pins.PutPin(ctx, "item/"+it.ID, item); err != nil {
				t.Fatal(err)
			}
			if _, err := again.ReadAll(ctx, it.ID); !errors.Is(err, share.ErrCorrupt) {
				t.Fatalf("a changed pin: %v, want ErrCorrupt", err)
			}
		})
	}
}

// StorePins puts, replaces and reads back; a missing pin is ErrNotFound.
func TestStorePins(t *testing.T) {
	p := share.StorePins{Store: keystore.NewMemoryStore(), Owner: "carol"}
	ctx := context.Background()
	if _, err := p.Pin(ctx, "user/bob"); !errors.Is(err, share.ErrNotFound) {
		t.Fatalf("missing pin: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := p.PutPin(ctx, "user/bob", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := p.Pin(ctx, "user/bob")
		if err != nil || string(got) != v {
			t.Fatalf("pin %q, %v; want %q", got, err, v)
		}
	}
}
