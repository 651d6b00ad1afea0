package kat_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"os"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// TestX25519: Wycheproof X25519 through crypto/ecdh. Go refuses the
// low-order public keys whose shared secret is all zeros (RFC 7748 §6.1's
// optional check) and computes every other "acceptable" case.
func TestX25519(t *testing.T) {
	skipInFIPS(t, "X25519 is refused")
	const file = "wycheproof/x25519_test.json"
	type group struct {
		Tests []struct {
			wcase
			Public, Private, Shared string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			priv, err := ecdh.X25519().NewPrivateKey(testvec.Hex(t, tc.Private))
			if err != nil {
				t.Fatalf("tc %d: %v", tc.TcID, err)
			}
			pub, err := ecdh.X25519().NewPublicKey(testvec.Hex(t, tc.Public))
			if err != nil {
				t.Fatalf("tc %d: %v", tc.TcID, err)
			}
			shared, err := priv.ECDH(pub)
			if tc.has("ZeroSharedSecret") {
				if err == nil {
					t.Errorf("tc %d: all-zero shared secret accepted", tc.TcID)
				}
			} else if err != nil || !bytes.Equal(shared, testvec.Hex(t, tc.Shared)) {
				t.Errorf("tc %d (%s %v): %v", tc.TcID, tc.Result, tc.Flags, err)
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}

// TestRFC7748: the scalar-multiplication and iterated vectors of RFC 7748
// §5.2 and the Diffie-Hellman example of §6.1.
func TestRFC7748(t *testing.T) {
	skipInFIPS(t, "X25519 is refused")
	var f struct {
		Mult []struct{ Scalar, U, Output string } `json:"section_5_2_scalar_mult"`
		Iter struct {
			InitialK string `json:"initial_k"`
			Results  []struct {
				Iterations int
				K          string
			}
		} `json:"section_5_2_iterated"`
	}
	testvec.JSON(t, "rfc/rfc7748_x25519.json", &f)
	x := func(k, u []byte) []byte {
		priv, err := ecdh.X25519().NewPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ecdh.X25519().NewPublicKey(u)
		if err != nil {
			t.Fatal(err)
		}
		out, err := priv.ECDH(pub)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i, tc := range f.Mult {
		if got := x(testvec.Hex(t, tc.Scalar), testvec.Hex(t, tc.U)); !bytes.Equal(got, testvec.Hex(t, tc.Output)) {
			t.Errorf("§5.2 vector %d differs", i+1)
		}
	}
	ran := 0
	k := testvec.Hex(t, f.Iter.InitialK)
	u := bytes.Clone(k)
	done := 0
	for _, r := range f.Iter.Results {
		if r.Iterations > 1000 && os.Getenv("SEALKIT_SLOW_KAT") == "" {
			t.Logf("skipping the %d-iteration vector (about a minute); set SEALKIT_SLOW_KAT=1 to run it", r.Iterations)
			continue
		}
		for ; done < r.Iterations; done++ {
			k, u = x(k, u), k
		}
		if !bytes.Equal(k, testvec.Hex(t, r.K)) {
			t.Errorf("after %d iterations: differs", r.Iterations)
		}
		ran++
	}
	if ran < 2 {
		t.Fatalf("ran %d iterated vectors", ran)
	}
}

// TestEd25519: Wycheproof Ed25519 verification through crypto/ed25519.
func TestEd25519(t *testing.T) {
	const file = "wycheproof/ed25519_test.json"
	type group struct {
		PublicKey struct{ Pk string }
		Tests     []struct {
			wcase
			Msg, Sig string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		pk := testvec.Hex(t, g.PublicKey.Pk)
		for _, tc := range g.Tests {
			sig := testvec.Hex(t, tc.Sig)
			ok := len(pk) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
				ed25519.Verify(pk, testvec.Hex(t, tc.Msg), sig)
			if ok != (tc.Result == "valid") {
				t.Errorf("tc %d (%v): verify %v, want %s", tc.TcID, tc.Flags, ok, tc.Result)
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}

// TestECDSAP256P1363: Wycheproof ECDSA P-256/SHA-256 with r||s signatures,
// the form WebCrypto produces.
func TestECDSAP256P1363(t *testing.T) {
	const file = "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"
	type group struct {
		PublicKeyDer string
		Tests        []struct {
			wcase
			Msg, Sig string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		k, err := x509.ParsePKIXPublicKey(testvec.Hex(t, g.PublicKeyDer))
		if err != nil {
			t.Fatal(err)
		}
		pub := k.(*ecdsa.PublicKey)
		for _, tc := range g.Tests {
			sig := testvec.Hex(t, tc.Sig)
			digest := sha256.Sum256(testvec.Hex(t, tc.Msg))
			ok := len(sig) == 64 && ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
			if ok != (tc.Result == "valid") {
				t.Errorf("tc %d (%v): verify %v, want %s", tc.TcID, tc.Flags, ok, tc.Result)
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}
