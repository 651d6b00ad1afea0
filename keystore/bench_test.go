package keystore_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/benchutil"
	"github.com/sealkit/sealkit/keystore"
)

// BenchmarkUnlock compares Account.Unlock with the bare KDF at the same
// parameters: cost-ratio − 1 is the overhead of parsing, HKDF, AES-KW and
// setting up the session (target < 1%).
func BenchmarkUnlock(b *testing.B) {
	salt := make([]byte, 32)
	for _, c := range []struct {
		name string
		p    *keystore.Policy
		raw  func()
	}{
		// One iteration: what is left is the overhead itself, in ns, to set
		// against the full KDF's time above without the noise of a ratio
		// near 1.
		{"pbkdf2-1-overhead", &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1}, InsecureAllowWeak: true},
			func() { _, _ = pbkdf2.Key(sha256.New, "pw", salt, 1, 32) }},
		{"pbkdf2-600k", keystore.BrowserPolicy(), func() { _, _ = pbkdf2.Key(sha256.New, "pw", salt, 600_000, 32) }},
		{"argon2id-t2-m19MiB-p1", &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.Argon2id, Time: 2, MemoryKiB: 19 << 10, Threads: 1}},
			func() { argon2.IDKey([]byte("pw"), salt, 2, 19<<10, 1, 32) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.p.Params.KDF == keystore.Argon2id {
				skipInFIPS(b, "Argon2id is not FIPS-approved")
			}
			a, _, _, err := keystore.NewAccount("alice", "pw", c.p)
			if err != nil {
				b.Fatal(err)
			}
			rec := a.Bytes()
			benchutil.Compare(b, 0, func() {
				a, err := keystore.ParseAccount(rec)
				if err != nil {
					b.Fatal(err)
				}
				s, err := a.Unlock("pw", c.p)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}, c.raw)
		})
	}
}

// BenchmarkOpenKey compares parsing and opening a sealed private key (the
// golden vectors' records) with a raw AES-256-GCM open of the same sealed
// bytes and associated data plus parsing the key (target ≤ 1.2×).
func BenchmarkOpenKey(b *testing.B) {
	vf := loadVectors(b)
	a, err := keystore.ParseAccount(unhex(b, vf.Accounts[0].Record))
	if err != nil {
		b.Fatal(err)
	}
	s, err := a.Unlock(vf.Accounts[0].Passphrase, keystore.BrowserPolicy())
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range vf.KeyRecords {
		if v.Expect != "ok" || v.Account != vf.Accounts[0].Name {
			continue
		}
		kind := keystore.Kind(v.Kind)
		b.Run(v.Name, func(b *testing.B) {
			if !kindWorks(kind) {
				skipInFIPS(b, v.Kind)
			}
			rec := unhex(b, v.Record)
			sealed, ad := decodeRaw(b, rec).sealed, unhex(b, v.AD)
			blk, _ := aes.NewCipher(unhex(b, v.SealingKey))
			gcm, _ := cipher.NewGCMWithRandomNonce(blk)
			benchutil.Compare(b, int64(len(sealed)), func() {
				r, err := keystore.ParseKeyRecord(rec)
				if err != nil {
					b.Fatal(err)
				}
				if kind == keystore.DEK {
					_, err = s.OpenDEK(r)
				} else {
					_, err = s.OpenKey(r)
				}
				if err != nil {
					b.Fatal(err)
				}
			}, func() {
				p, err := gcm.Open(nil, nil, sealed, ad)
				if err != nil {
					b.Fatal(err)
				}
				switch kind {
				case keystore.MLKEM768X25519:
					_, err = envelope.ParseHybridIdentity(p)
				case keystore.DEK:
					_, err = envelope.NewKeyFromBytes(p)
				default:
					_, err = x509.ParsePKCS8PrivateKey(p)
				}
				if err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
