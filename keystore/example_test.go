package keystore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/keystore"
)

// The zero-knowledge model: the client registers, unlocks, opens a key,
// changes the passphrase, unlocks with the new one, and recovers with the
// recovery key. The server only stores records and verifies the auth key.
func Example() {
	ctx := context.Background()
	// Production code uses DefaultPolicy (Argon2id) or BrowserPolicy; this
	// example runs at PBKDF2's floor so it also runs in FIPS mode.
	ks := keystore.New(keystore.NewMemoryStore(), keystore.BrowserPolicy())
	pepper := make([]byte, 32) // a server secret kept outside the database
	verifier, _ := keystore.NewVerifier(pepper, nil)

	// Register: the recovery key is shown once, the auth key enrolled.
	s, recovery, err := ks.Register(ctx, "alice", "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	stored, _ := verifier.Enroll("alice", s.AuthKey())
	rec, _ := ks.CreateKey(ctx, s, "inbox", keystore.MLKEM768X25519)
	s.Close()

	// Someone seals a message to alice's public key.
	to, _ := envelope.ParseHybridRecipient(rec.Public())
	msg, _ := envelope.Seal([]byte("hello alice"), nil, nil, to)

	// Unlock, log in, open the key.
	s, err = ks.Unlock(ctx, "alice", "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println("login:", verifier.Verify(ctx, "alice", stored, s.AuthKey()) == nil)
	key, _ := ks.OpenKey(ctx, s, "inbox", 0)
	id, _ := key.Identity()
	pt, _ := envelope.Open(msg, nil, nil, id)
	fmt.Println(string(pt))

	// Change the passphrase: only the master KEK is rewrapped.
	if err := ks.ChangePassphrase(ctx, s, "new passphrase"); err != nil {
		panic(err)
	}
	s.Close()
	_, err = ks.Unlock(ctx, "alice", "correct horse battery staple")
	fmt.Println("old passphrase:", err)
	s, _ = ks.Unlock(ctx, "alice", "new passphrase")
	_ = ks.LoadKeys(ctx, s) // the session is an envelope identity for its keys
	pt, _ = envelope.Open(msg, nil, nil, s)
	fmt.Println("new passphrase:", string(pt))
	s.Close()

	// Forgot it: the printed recovery key sets a new passphrase.
	typed, _ := keystore.ParseRecoveryKey(recovery.Phrase())
	s, err = ks.Recover(ctx, "alice", typed, "third passphrase")
	if err != nil {
		panic(err)
	}
	pt, _ = envelope.Open(msg, nil, nil, mustIdentity(ks.OpenKey(ctx, s, "inbox", 0)))
	fmt.Println("recovered:", string(pt))
	s.Close()
	// Output:
	// login: true
	// hello alice
	// old passphrase: keystore: wrong passphrase or recovery key
	// new passphrase: hello alice
	// recovered: hello alice
}

func mustIdentity(k *keystore.PrivateKey, err error) envelope.Identity {
	if err != nil {
		panic(err)
	}
	id, err := k.Identity()
	if err != nil {
		panic(err)
	}
	return id
}

// The server-custody model: the server makes the keypair and a
// one-time passphrase, returns the passphrase once, and unlocks per request.
func Example_serverCustody() {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), keystore.BrowserPolicy())

	// Registration, server-side.
	oneTime := keystore.GeneratePassphrase() // shown to the user once, never stored
	s, _, err := ks.Register(ctx, "bob", oneTime)
	if err != nil {
		panic(err)
	}
	rec, _ := ks.CreateKey(ctx, s, "documents", keystore.RSA2048)
	s.Close()
	fmt.Println("one-time passphrase groups:", len(oneTime)/5+1)

	// A document's DEK is wrapped to bob's public key.
	pub, _ := envelope.ParseRSARecipient(rec.Public())
	doc, _ := envelope.Seal([]byte("contract"), nil, nil, pub)

	// Each request: unlock with the passphrase the user presents, use the
	// private key, close the session.
	s, err = ks.Unlock(ctx, "bob", oneTime)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	pt, _ := envelope.Open(doc, nil, nil, mustIdentity(ks.OpenKey(ctx, s, "documents", 0)))
	fmt.Println(string(pt))
	// Output:
	// one-time passphrase groups: 8
	// contract
}

// Split the recovery key among five trustees, any three of whom recover it.
func ExampleSplitRecoveryKey() {
	rk := keystore.GenerateRecoveryKey()
	shares, _ := keystore.SplitRecoveryKey(rk, 3, 5)
	got, _ := keystore.CombineRecoveryShares([]string{shares[4], shares[0], shares[2]})
	fmt.Println(got.Phrase() == rk.Phrase())
	_, err := keystore.CombineRecoveryShares(shares[:2])
	fmt.Println(err)
	// Output:
	// true
	// keystore: invalid recovery key or share: 2 shares, 3 needed
}

// A client pins the identity key it first sees for a contact; a server that
// later answers with another key is caught.
func ExampleKeystore_Contacts() {
	ctx := context.Background()
	ks := keystore.New(keystore.NewMemoryStore(), keystore.BrowserPolicy())
	s, _, err := ks.Register(ctx, "alice", "correct horse battery staple")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	bob, _, _ := ed25519.GenerateKey(rand.Reader)
	substitute, _, _ := ed25519.GenerateKey(rand.Reader)

	book, _ := ks.Contacts(ctx, s)
	book.Observe("bob", bob, 1, time.Now())
	if err := ks.SaveContacts(ctx, s, book); err != nil {
		panic(err)
	}
	_, err = book.Observe("bob", substitute, 2, time.Now())
	fmt.Println(errors.Is(err, keystore.ErrKeyChanged))
	// Output: true
}
