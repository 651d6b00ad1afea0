package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/sealkit/sealkit/storageauth"
)

// targetStorePut is the performance target: at most 1.3× a bare verification.
const targetStorePut = 0.77

// storeContext is the domain-separation context of a store message
// (storageauth/SPEC.md).
const storeContext = "sealkit/storageauth/v1/store"

func buildStorageAuth(Config) ([]Pending, error) {
	var out []Pending
	for _, s := range []storageauth.Scheme{storageauth.Ed25519, storageauth.ECDSAP256} {
		name := "store-put/" + s.String()
		out = append(out, lazy(name, func() (*Comparison, error) { return makeStorePut(name, s) }))
	}
	return out, nil
}

// storeMessage is the signed store message of SPEC.md: context || 0x00 ||
// uint16be(len(id)) || id || uint64be(version) || SHA-256(ciphertext).
func storeMessage(id string, version uint64, ct []byte) []byte {
	b := append([]byte(storeContext), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, version)
	h := sha256.Sum256(ct)
	return append(b, h[:]...)
}

// bareVerify returns the bare verification of a store signature for the
// scheme, the public key parsed beforehand.
func bareVerify(id storageauth.ID) (func(msg, sig []byte) bool, error) {
	pub := id.PublicKey()
	switch id.Scheme() {
	case storageauth.Ed25519:
		return func(msg, sig []byte) bool { return ed25519.Verify(pub, msg, sig) }, nil
	case storageauth.ECDSAP256:
		pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
		if err != nil {
			return nil, err
		}
		return func(msg, sig []byte) bool {
			h := sha256.Sum256(msg)
			return ecdsa.Verify(pk, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}, nil
	}
	return nil, fmt.Errorf("no bare verifier for %v", id.Scheme())
}

// makeStorePut compares Server.Put on the memory store (parse the slot ID,
// verify the signature, check the version, store) of a record holding a
// 1 KiB keyring with a bare verification of the same signature. Each Put
// stores the next version, sealed before the round.
func makeStorePut(name string, scheme storageauth.Scheme) (*Comparison, error) {
	ikm, err := storageauth.IKMFromSeed(randomBytes(storageauth.SeedSize))
	if err != nil {
		return nil, err
	}
	keys, err := storageauth.Derive(scheme, ikm, []byte("sealkit bench"))
	if err != nil {
		return nil, err
	}
	verify, err := bareVerify(keys.ID())
	if err != nil {
		return nil, err
	}
	keyring := randomBytes(1 << 10)
	srv := storageauth.NewServer(storageauth.NewMemoryStore())
	ctx := context.Background()
	version := uint64(0)
	last, err := keys.Seal(keyring, 1)
	if err != nil {
		return nil, err
	}
	msg := storeMessage(last.ID, last.Version, last.Ciphertext)
	if !verify(msg, last.Signature) {
		return nil, errors.New("store message does not match storageauth/SPEC.md")
	}
	return &Comparison{
		Name:  name,
		Title: fmt.Sprintf("storage-authorisation verify-and-store, memory store, %v", scheme),
		Ours: consumed("sealkit storageauth.Server.Put", func() (*storageauth.Record, error) {
			version++
			return keys.Seal(keyring, version)
		}, func(r *storageauth.Record) error { return srv.Put(ctx, r) }),
		Rivals: []Rival{{Contender: Contender{Name: "bare signature verification", Op: func() error {
			if !verify(msg, last.Signature) {
				return errors.New("bare verification failed")
			}
			return nil
		}}, Ratio: name + "/vs-bare-verify", Target: targetStorePut, Bare: true}},
	}, nil
}
