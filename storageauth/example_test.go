package storageauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sealkit/sealkit/storageauth"
)

// Derive a slot from a passkey's PRF output, store and retrieve a keyring,
// and see a rollback refused twice: by the server (a replayed old request)
// and by the client (a server restored from an old backup).
func Example() {
	ctx := context.Background()

	// In a browser, the PRF output comes from navigator.credentials.get with
	// the prf extension; here it is a fixed 32 bytes.
	prfOutput := bytes.Repeat([]byte{0x5a}, 32)
	ikm, err := storageauth.IKMFromPRF(prfOutput)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := storageauth.Derive(storageauth.Ed25519, ikm, []byte("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("slot scheme:", keys.ID().Scheme())

	// The server side: a handler over a store, mounted at /slots.
	store := storageauth.NewMemoryStore()
	server := storageauth.NewServer(store)
	server.RequireRetrieveProof = true
	ts := httptest.NewServer(http.StripPrefix("/slots", server))
	defer ts.Close()

	client := storageauth.NewClient(ts.URL+"/slots", keys, ts.Client())
	for _, kr := range []string{"keyring v1", "keyring v2"} {
		v, err := client.Store(ctx, []byte(kr))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("stored version", v)
	}
	keyring, v, err := client.Retrieve(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("retrieved %q at version %d\n", keyring, v)

	// Someone replays the signed version-1 request: refused.
	old, err := keys.Seal([]byte("keyring v1"), 1)
	if err != nil {
		log.Fatal(err)
	}
	err = server.Put(ctx, old)
	fmt.Println("replay refused:", errors.Is(err, storageauth.ErrConflict))

	// A server restored from a backup taken at version 1: the client, which
	// has seen version 2, refuses the older keyring.
	backup := storageauth.NewServer(storageauth.NewMemoryStore())
	if err := backup.Put(ctx, old); err != nil {
		log.Fatal(err)
	}
	ts2 := httptest.NewServer(http.StripPrefix("/slots", backup))
	defer ts2.Close()
	stale := storageauth.NewClient(ts2.URL+"/slots", keys, ts2.Client())
	stale.SetLastVersion(client.LastVersion())
	_, _, err = stale.Retrieve(ctx)
	fmt.Println("rollback refused:", errors.Is(err, storageauth.ErrRollback))
	// Output:
	// slot scheme: ed25519
	// stored version 1
	// stored version 2
	// retrieved "keyring v2" at version 2
	// replay refused: true
	// rollback refused: true
}

// Anyone can compute a slot ID from a public key, but only the key's holder
// can fill the slot.
func ExampleServer_Put() {
	ctx := context.Background()
	victimIKM, _ := storageauth.IKMFromSeed(bytes.Repeat([]byte{1}, 32))
	attackerIKM, _ := storageauth.IKMFromSeed(bytes.Repeat([]byte{2}, 32))
	victim, _ := storageauth.Derive(storageauth.ECDSAP256, victimIKM, nil)
	attacker, _ := storageauth.Derive(storageauth.ECDSAP256, attackerIKM, nil)

	server := storageauth.NewServer(storageauth.NewMemoryStore())
	garbage, _ := attacker.Seal([]byte("garbage"), 1)
	garbage.ID = victim.ID().String() // aim at the victim's slot
	err := server.Put(ctx, garbage)
	fmt.Println(errors.Is(err, storageauth.ErrInvalidSignature))
	// Output: true
}

// A wallet signs WalletMessage once (personal_sign); its signature is the IKM.
func ExampleIKMFromWalletSignature() {
	sig := make([]byte, 65) // from the wallet: r || s || v
	copy(sig, bytes.Repeat([]byte{0x11}, 64))
	sig[64] = 27
	ikm, err := storageauth.IKMFromWalletSignature(sig)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := storageauth.Derive(storageauth.Secp256k1, ikm, []byte("example.com"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(keys.ID().Scheme())
	// Output: secp256k1
}
