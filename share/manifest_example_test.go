package share_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/share"
)

// An owner signs what an item version is and who holds its DEK; a
// recipient checks the signature under the owner's pinned key and that the
// manifest is about the record the server served.
func ExampleSignManifest() {
	owner := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	payload := sha256.Sum256([]byte("payload ciphertext"))
	it := &share.Item{ID: "ITEM1", Owner: "alice", Version: 1, Header: []byte("header"), SHA256: payload[:], Size: 18}
	header := sha256.Sum256(it.Header)
	m, err := share.SignManifest(owner, share.Manifest{
		Item: it.ID, Owner: it.Owner, Version: it.Version, Seq: 1,
		HeaderHash: header[:], PayloadHash: it.SHA256, Size: it.Size,
		Recipients: []share.ManifestRecipient{{User: "bob", BundleVersion: 1}},
	})
	if err != nil {
		panic(err)
	}
	it.Manifest = m.Bytes() // what PutManifest stores with the item

	got, err := share.ParseManifest(it.Manifest)
	if err != nil {
		panic(err)
	}
	fmt.Println("verifies:", got.Verify(owner.Public().(ed25519.PublicKey)) == nil)
	fmt.Println("describes the item:", got.Describes(it) == nil)
	_, listed := got.Recipient("bob")
	fmt.Println("bob listed:", listed)

	it.Header = []byte("another header") // the server swaps it
	fmt.Println("after a swap:", errors.Is(got.Describes(it), share.ErrBadManifest))
	// Output:
	// verifies: true
	// describes the item: true
	// bob listed: true
	// after a swap: true
}
