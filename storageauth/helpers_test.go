package storageauth_test

import (
	"fmt"

	"bytes"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"
	"testing"

	"github.com/sealkit/sealkit/storageauth"
)

var schemes = []storageauth.Scheme{storageauth.Ed25519, storageauth.ECDSAP256, storageauth.Secp256k1}

// testKeys derives keys for scheme from a fixed seed numbered n.
func testKeys(t testing.TB, s storageauth.Scheme, n byte) *storageauth.Keys {
	t.Helper()
	ikm, err := storageauth.IKMFromSeed(bytes.Repeat([]byte{n}, storageauth.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	k, err := storageauth.Derive(s, ikm, []byte("test app"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// walletKey is a fixed secp256k1 wallet key for tests and vectors.
func walletKey() *secp256k1.PrivateKey {
	return secp256k1.PrivKeyFromBytes(bytes.Repeat([]byte{0x42}, 32))
}

// eip191Hash is Keccak-256("\x19Ethereum Signed Message:\n" || len || msg),
// what personal_sign signs.
func eip191Hash(msg string) []byte {
	h := sha3.NewLegacyKeccak256()
	fmt.Fprintf(h, "\x19Ethereum Signed Message:\n%d%s", len(msg), msg)
	return h.Sum(nil)
}

// walletSignature is walletKey's deterministic (RFC 6979) personal_sign
// signature over WalletMessage, as r || s || v with v in {27, 28}.
func walletSignature(t testing.TB) []byte {
	t.Helper()
	compact := secpecdsa.SignCompact(walletKey(), eip191Hash(storageauth.WalletMessage), false)
	// compact is (27 + recovery id) || r || s.
	return append(bytes.Clone(compact[1:]), compact[0])
}

// negateModN returns n - s for a 32-byte scalar s.
func negateModN(s []byte) []byte {
	var b [32]byte
	copy(b[:], s)
	var k secp256k1.ModNScalar
	k.SetBytes(&b)
	k.Negate()
	out := k.Bytes()
	return out[:]
}
