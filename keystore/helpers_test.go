package keystore_test

import (
	"crypto/fips140"
	"encoding/hex"
	"testing"

	"github.com/sealkit/sealkit/keystore"
)

// Fast policies for tests: InsecureAllowWeak is the documented test knob.
func weakArgon2id() *keystore.Policy {
	return &keystore.Policy{
		Params:            keystore.KDFParams{KDF: keystore.Argon2id, Time: 1, MemoryKiB: 64, Threads: 1},
		InsecureAllowWeak: true,
	}
}

func weakPBKDF2() *keystore.Policy {
	return &keystore.Policy{
		Params:            keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000},
		InsecureAllowWeak: true,
	}
}

func policies() map[string]*keystore.Policy {
	return map[string]*keystore.Policy{"argon2id": weakArgon2id(), "pbkdf2": weakPBKDF2()}
}

// fipsKinds reports whether a kind can be generated under fips140=only.
func kindWorks(k keystore.Kind) bool {
	return !fips140.Enforced() || k != keystore.X25519
}

func skipInFIPS(t testing.TB, why string) {
	t.Helper()
	if fips140.Enforced() {
		t.Skip(why + ": not available under GODEBUG=fips140=only")
	}
}

func mustAccount(t testing.TB, p *keystore.Policy) (*keystore.Account, *keystore.Session, *keystore.RecoveryKey) {
	t.Helper()
	a, s, rk, err := keystore.NewAccount("alice@example.com", "correct horse battery staple", p)
	if err != nil {
		t.Fatal(err)
	}
	return a, s, rk
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
