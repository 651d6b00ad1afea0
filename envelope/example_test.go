package envelope_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/sealkit/sealkit/envelope"
)

// Seal a document for an X25519 key and open it again.
func Example() {
	alice, err := envelope.GenerateX25519Identity()
	if err != nil {
		log.Fatal(err)
	}
	// Bind the ciphertext to its record so a server cannot swap it for another.
	ad := []byte("doc:42")
	env, err := envelope.Seal([]byte("quarterly report"), ad, nil, alice.Recipient())
	if err != nil {
		log.Fatal(err)
	}
	pt, err := envelope.Open(env, ad, nil, alice)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pt))
	// Output: quarterly report
}

// RSA-OAEP recipients interoperate with WebCrypto's "RSA-OAEP" (SHA-256)
// keys exported as SPKI and PKCS#8.
func ExampleRSARecipient() {
	bob, err := envelope.GenerateRSAIdentity(2048)
	if err != nil {
		log.Fatal(err)
	}
	// Bob publishes his SPKI; Alice parses it.
	r, err := envelope.ParseRSARecipient(bob.Recipient().PEM())
	if err != nil {
		log.Fatal(err)
	}
	env, _ := envelope.Seal([]byte("for bob"), nil, nil, r)
	pt, err := envelope.Open(env, nil, nil, bob)
	fmt.Println(string(pt), err)
	// Output: for bob <nil>
}

// A post-quantum hybrid (ML-KEM-768 + X25519) recipient.
func ExampleHybridRecipient() {
	carol, err := envelope.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}
	env, _ := envelope.Seal([]byte("for the long term"), nil, nil, carol.Recipient())
	pt, err := envelope.Open(env, nil, nil, carol)
	fmt.Println(string(pt), err)
	// Output: for the long term <nil>
}

// A passphrase recipient must be the only one.
func ExampleNewPBKDF2Recipient() {
	r, _ := envelope.NewPBKDF2Recipient("correct horse battery staple")
	env, err := envelope.Seal([]byte("under a passphrase"), nil, nil, r)
	if err != nil {
		log.Fatal(err)
	}
	id, _ := envelope.NewPassphraseIdentity("correct horse battery staple")
	pt, err := envelope.Open(env, nil, nil, id)
	fmt.Println(string(pt), err)
	// Output: under a passphrase <nil>
}

// Argon2id is the memory-hard alternative where browsers are not involved.
func ExampleNewArgon2idRecipient() {
	r, _ := envelope.NewArgon2idRecipient("correct horse battery staple")
	env, _ := envelope.Seal([]byte("memory-hard"), nil, nil, r)
	id, _ := envelope.NewPassphraseIdentity("correct horse battery staple")
	pt, err := envelope.Open(env, nil, nil, id)
	fmt.Println(string(pt), err)
	// Output: memory-hard <nil>
}

// A symmetric KEK, such as a user's master key from the keystore.
func ExampleNewKEK() {
	kekBytes := bytes.Repeat([]byte{7}, 32) // in real use: random, from a keystore
	kek, _ := envelope.NewKEK("master-v1", kekBytes)
	env, _ := envelope.Seal([]byte("wrapped under a KEK"), nil, nil, kek)
	pt, err := envelope.Open(env, nil, nil, kek)
	fmt.Println(string(pt), err)
	// Output: wrapped under a KEK <nil>
}

// Any AEAD with Tink's method set (a KMS client, for instance) can wrap keys.
func ExampleNewAEADKey() {
	kms := newGCMAEAD(bytes.Repeat([]byte{9}, 32)) // stands in for a KMS client
	k, _ := envelope.NewAEADKey("projects/p/locations/l/keyRings/r/cryptoKeys/k", kms)
	env, _ := envelope.Seal([]byte("wrapped by a KMS"), nil, nil, k)
	pt, err := envelope.Open(env, nil, nil, k)
	fmt.Println(string(pt), err)
	// Output: wrapped by a KMS <nil>
}

// Stream a large object in constant memory, with metadata.
func ExampleNewWriter() {
	id, _ := envelope.GenerateX25519Identity()
	var stored bytes.Buffer
	w, err := envelope.NewWriter(&stored, nil, &envelope.SealOptions{
		Metadata: &envelope.Metadata{Name: "big.log", ContentType: "text/plain"},
	}, id.Recipient())
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(w, strings.NewReader(strings.Repeat("log line\n", 100000)))
	if err := w.Close(); err != nil { // Close seals the final segment
		log.Fatal(err)
	}
	r, err := envelope.NewReader(&stored, nil, nil, id)
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	fmt.Println(r.Metadata().Name, n, err)
	// Output: big.log 900000 <nil>
}

// Keep the header in a record and the payload in a blob store: the header
// is known before the payload is streamed.
func ExampleNewPayloadWriter() {
	kek, _ := envelope.NewKEK("owner-kek", make([]byte, 32))
	ad := []byte("item:42|owner:alice")
	var blob bytes.Buffer
	w, err := envelope.NewPayloadWriter(&blob, ad, nil, kek)
	if err != nil {
		log.Fatal(err)
	}
	record := w.Header().Bytes() // stored with the item's record
	io.Copy(w, strings.NewReader("payload streamed to the blob store"))
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	r, err := envelope.NewReader(io.MultiReader(bytes.NewReader(record), &blob), ad, nil, kek)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := io.ReadAll(r)
	fmt.Println(string(pt), err)
	// Output: payload streamed to the blob store <nil>
}

// Seal into a buffer the caller reuses, as with cipher.AEAD.
func ExampleSealAppend() {
	kek, _ := envelope.NewKEK("k", make([]byte, 32))
	ad := []byte("row:9")
	buf := make([]byte, 0, 4096)
	env, err := envelope.SealAppend(buf[:0], []byte("hello"), ad, nil, kek)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := envelope.OpenAppend(nil, env, ad, nil, kek)
	fmt.Println(string(pt), err)
	// Output: hello <nil>
}

// Serve a byte range of a large envelope, decrypting only what it touches.
func ExampleNewReaderAt() {
	id, _ := envelope.GenerateX25519Identity()
	data := bytes.Repeat([]byte("0123456789"), 100000)
	env, _ := envelope.Seal(data, nil, nil, id.Recipient())
	ra, err := envelope.NewReaderAt(bytes.NewReader(env), int64(len(env)), nil, nil, id)
	if err != nil {
		log.Fatal(err)
	}
	part := make([]byte, 10)
	ra.ReadAt(part, 500_003)
	fmt.Println(ra.Size(), string(part))
	// Output: 1000000 3456789012
}

// Share an existing envelope with one more person, and drop another, by
// rewriting only its header.
func ExampleRewrap() {
	owner, _ := envelope.GenerateX25519Identity()
	friend, _ := envelope.GenerateX25519Identity()
	env, _ := envelope.Seal([]byte("shared later"), nil, nil, owner.Recipient())

	h, _ := envelope.ParseHeader(env)
	key, err := h.Unwrap(nil, owner)
	if err != nil {
		log.Fatal(err)
	}
	nh, _ := envelope.Rewrap(h, key, nil, nil, friend.Recipient())
	shared := append(nh.Bytes(), env[h.Len():]...) // the payload bytes are unchanged

	pt, err := envelope.Open(shared, nil, nil, friend)
	fmt.Println(string(pt), err, len(nh.Stanzas()))
	// Output: shared later <nil> 2
}

// Keep the key detached: one wrapped-key record per recipient, stored apart
// from the envelope (for example a server-side registry).
func ExampleWrapKey() {
	bob, _ := envelope.GenerateX25519Identity()
	key := envelope.NewKey()
	env, _ := envelope.Seal([]byte("registry style"), nil, &envelope.SealOptions{Key: key})
	record, _ := envelope.WrapKey(key, bob.Recipient())

	k, err := envelope.UnwrapKey(record, bob)
	if err != nil {
		log.Fatal(err)
	}
	pt, err := envelope.Open(env, nil, &envelope.OpenOptions{Key: k})
	fmt.Println(string(pt), err)
	// Output: registry style <nil>
}
