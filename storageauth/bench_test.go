package storageauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/sealkit/sealkit/internal/benchutil"
	"github.com/sealkit/sealkit/storageauth"
)

// rawVerifier is the bare signature verification of a store message for a
// scheme, with the public key already parsed: the floor Server.Put is
// measured against.
func rawVerifier(b *testing.B, id storageauth.ID) func(msg, sig []byte) bool {
	pub := id.PublicKey()
	switch id.Scheme() {
	case storageauth.Ed25519:
		return func(msg, sig []byte) bool { return ed25519.Verify(pub, msg, sig) }
	case storageauth.ECDSAP256:
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
		if err != nil {
			b.Fatal(err)
		}
		return func(msg, sig []byte) bool {
			h := sha256.Sum256(msg)
			return ecdsa.Verify(pk, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}
	case storageauth.Secp256k1:
		pk, err := secp256k1.ParsePubKey(pub)
		if err != nil {
			b.Fatal(err)
		}
		return func(msg, sig []byte) bool {
			var rb, sb [32]byte
			copy(rb[:], sig[:32])
			copy(sb[:], sig[32:])
			var r, s secp256k1.ModNScalar
			r.SetBytes(&rb)
			s.SetBytes(&sb)
			h := sha256.Sum256(msg)
			return secpecdsa.NewSignature(&r, &s).Verify(h[:], pk)
		}
	}
	b.Fatal("unknown scheme")
	return nil
}

// BenchmarkServerPut: verify-and-store on the memory store against a bare
// verification of the same signature over the same message (target: a
// cost-ratio of at most 1.3). The keyring is 1 KiB.
func BenchmarkServerPut(b *testing.B) {
	for _, scheme := range schemes {
		b.Run(scheme.String(), func(b *testing.B) {
			keys := testKeys(b, scheme, 1)
			keyring := make([]byte, 1024)
			// One record per iteration, each a version above the last,
			// signed before the clock starts.
			recs := make([]*storageauth.Record, b.N+1)
			for i := range recs {
				recs[i] = mustSeal(b, keys, string(keyring), uint64(i+1))
			}
			srv := storageauth.NewServer(storageauth.NewMemoryStore())
			verify := rawVerifier(b, keys.ID())
			last := recs[len(recs)-1]
			msg := specStoreMessage(last.ID, last.Version, last.Ciphertext)
			ctx := context.Background()
			i := 0
			benchutil.Compare(b, int64(len(keyring)), func() {
				if err := srv.Put(ctx, recs[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}, func() {
				if !verify(msg, last.Signature) {
					b.Fatal("raw verification failed")
				}
			})
		})
	}
}

// BenchmarkDerive: one derivation per login.
func BenchmarkDerive(b *testing.B) {
	ikm := make([]byte, 32)
	for _, scheme := range schemes {
		b.Run(scheme.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := storageauth.Derive(scheme, ikm, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealOpen: a client's seal-and-sign and verify-and-open of a 1 KiB
// keyring.
func BenchmarkSealOpen(b *testing.B) {
	keyring := make([]byte, 1024)
	for _, scheme := range schemes {
		b.Run(scheme.String(), func(b *testing.B) {
			keys := testKeys(b, scheme, 1)
			b.ReportAllocs()
			b.SetBytes(int64(len(keyring)))
			for b.Loop() {
				r, err := keys.Seal(keyring, 1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := keys.Open(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
