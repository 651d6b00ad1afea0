package identity_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/sealkit/sealkit/identity"
)

// Alice publishes her keys in a bundle signed by her identity key; Bob's
// client verifies it before wrapping anything to her share key, and keeps
// a pin for next time.
func ExampleSignBundle() {
	alice, _ := identity.GenerateKey()
	shareKey := bytes.Repeat([]byte{0x42}, 32) // her X25519 public key, say
	v1, err := identity.SignBundle(alice, identity.KeyBundle{
		UserID:  "alice",
		Version: 1,
		Keys:    []identity.PublishedKey{{Type: "x25519", Purpose: "share", Data: shareKey}},
	})
	if err != nil {
		panic(err)
	}
	served := v1.Bytes() // what the directory stores and serves

	// Bob's client, first contact: it knows only whose bundle it asked for.
	b, err := identity.ParseBundle(served)
	if err != nil {
		panic(err)
	}
	if err := identity.VerifyBundle(b, identity.BundlePin{UserID: "alice"}); err != nil {
		panic(err)
	}
	pin := b.Pin() // stored; the next bundle must chain to this one
	fmt.Println(b.UserID, b.Version, b.Keys[0].Type, pin.Version)
	// Output: alice 1 x25519 1
}

// Alice moves to a new identity key (a lost device, a passkey): the old key
// signs the change, so clients that pinned it follow without asking. A
// bundle under a new key without that signature is ErrIdentityChanged.
func ExampleSignKeyChange() {
	oldKey, _ := identity.GenerateKey()
	newKey, _ := identity.GenerateECDSAP256Key()
	v1, _ := identity.SignBundle(oldKey, identity.KeyBundle{UserID: "alice", Version: 1})
	pin := v1.Pin()

	next := identity.KeyBundle{UserID: "alice", Version: 2, Previous: v1.Hash()}
	v2, _ := identity.SignKeyChange(oldKey, newKey, next)
	fmt.Println("cross-signed:", identity.VerifyBundle(v2, pin))

	forged, _ := identity.SignBundle(newKey, next)
	err := identity.VerifyBundle(forged, pin)
	fmt.Println("not cross-signed:", errors.Is(err, identity.ErrIdentityChanged))
	// Output:
	// cross-signed: <nil>
	// not cross-signed: true
}

// A directory that serves an older bundle, or another bundle under the
// same version, is caught by the pin.
func ExampleVerifyBundle() {
	key, _ := identity.GenerateKey()
	t0 := time.Unix(1_767_225_600, 0)
	v1, _ := identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 1, Created: t0})
	v2, _ := identity.SignBundle(key, identity.KeyBundle{UserID: "alice", Version: 2, Created: t0, Previous: v1.Hash()})
	pin := v2.Pin()
	fmt.Println(identity.VerifyBundle(v2, pin))
	fmt.Println(errors.Is(identity.VerifyBundle(v1, pin), identity.ErrBundleRollback))
	// Output:
	// <nil>
	// true
}

// Alice and Bob read their safety numbers to each other; both see the
// same 60 digits.
func ExampleSafetyNumber() {
	aliceKey, _ := identity.NewEd25519PrivateKey(bytes.Repeat([]byte{1}, 32))
	bobKey, _ := identity.NewEd25519PrivateKey(bytes.Repeat([]byte{2}, 32))
	alice := identity.UserKey{UserID: "alice", Key: aliceKey.Public()}
	bob := identity.UserKey{UserID: "bob", Key: bobKey.Public()}
	onAlicesPhone, _ := identity.SafetyNumber(alice, bob)
	onBobsPhone, _ := identity.SafetyNumber(bob, alice)
	fmt.Println(onAlicesPhone)
	fmt.Println(identity.SafetyNumberEqual(onAlicesPhone, onBobsPhone))
	// Output:
	// 16502 81330 07366 48258 58329 53545 44702 86136 76262 72523 22221 18952
	// true
}
