package storageauth_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/storageauth"
)

func TestDeriveDeterministicAndSeparated(t *testing.T) {
	ikm := bytes.Repeat([]byte{7}, 32)
	seen := map[string]string{}
	for _, s := range schemes {
		for _, info := range []string{"", "app-a", "app-b"} {
			name := s.String() + "/" + info
			k1, err := storageauth.Derive(s, ikm, []byte(info))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			k2, err := storageauth.Derive(s, ikm, []byte(info))
			if err != nil {
				t.Fatal(err)
			}
			if k1.ID() != k2.ID() {
				t.Fatalf("%s: two derivations differ", name)
			}
			if k1.ID().Scheme() != s || !strings.HasPrefix(k1.ID().String(), s.String()+":") {
				t.Fatalf("%s: ID %s has the wrong scheme", name, k1.ID())
			}
			if prev, dup := seen[k1.ID().String()]; dup {
				t.Fatalf("%s and %s derive the same ID", name, prev)
			}
			seen[k1.ID().String()] = name
			// The KEK of k1 opens what k2 sealed: same KEK.
			rec, err := k2.Seal([]byte("kr"), 1)
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := k1.Open(rec); err != nil || string(pt) != "kr" {
				t.Fatalf("%s: reopen: %q %v", name, pt, err)
			}
		}
	}
}

// The KEK does not depend on the scheme, the slot does; and a KEK from
// another info or IKM cannot open the record even if the signature is
// stripped and redone.
func TestKEKSeparation(t *testing.T) {
	a := testKeys(t, storageauth.Ed25519, 1)
	b := testKeys(t, storageauth.Ed25519, 2)
	rec, err := a.Seal([]byte("secret"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(rec); !errors.Is(err, storageauth.ErrCorrupt) {
		t.Fatalf("other keys opened the record: %v", err)
	}
}

func TestDeriveLimits(t *testing.T) {
	cases := []struct {
		name   string
		scheme storageauth.Scheme
		ikm    int
		info   int
		ok     bool
	}{
		{"ikm-31", storageauth.Ed25519, 31, 0, false},
		{"ikm-32", storageauth.Ed25519, 32, 0, true},
		{"ikm-1024", storageauth.Ed25519, 1024, 0, true},
		{"ikm-1025", storageauth.Ed25519, 1025, 0, false},
		{"info-1024", storageauth.Ed25519, 32, 1024, true},
		{"info-1025", storageauth.Ed25519, 32, 1025, false},
		{"scheme-0", 0, 32, 0, false},
		{"scheme-99", 99, 32, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := storageauth.Derive(c.scheme, make([]byte, c.ikm), make([]byte, c.info))
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && !errors.Is(err, storageauth.ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestIKMHelpers(t *testing.T) {
	in := bytes.Repeat([]byte{9}, 32)
	prf, err := storageauth.IKMFromPRF(in)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := storageauth.IKMFromSeed(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(prf, seed) || bytes.Equal(prf, in) || len(prf) != 32 {
		t.Fatal("PRF and seed sources are not separated")
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := storageauth.IKMFromPRF(make([]byte, n)); !errors.Is(err, storageauth.ErrMalformed) {
			t.Errorf("PRF of %d bytes: %v", n, err)
		}
		if _, err := storageauth.IKMFromSeed(make([]byte, n)); !errors.Is(err, storageauth.ErrMalformed) {
			t.Errorf("seed of %d bytes: %v", n, err)
		}
	}
}

func TestIKMFromWalletSignature(t *testing.T) {
	sig := walletSignature(t)
	base, err := storageauth.IKMFromWalletSignature(sig)
	if err != nil {
		t.Fatal(err)
	}
	// The same (r, s) with another recovery byte convention, or with s
	// replaced by n - s, gives the same IKM.
	for _, v := range []byte{0, 1, 27, 28} {
		alt := bytes.Clone(sig)
		alt[64] = v
		if got, err := storageauth.IKMFromWalletSignature(alt); err != nil || !bytes.Equal(got, base) {
			t.Fatalf("v=%d: %x %v", v, got, err)
		}
	}
	high := bytes.Clone(sig)
	copy(high[32:64], negateModN(sig[32:64]))
	if got, err := storageauth.IKMFromWalletSignature(high); err != nil || !bytes.Equal(got, base) {
		t.Fatalf("high-S form: %x %v", got, err)
	}
	other := bytes.Clone(sig)
	other[10] ^= 1
	if got, _ := storageauth.IKMFromWalletSignature(other); bytes.Equal(got, base) {
		t.Fatal("a different r gave the same IKM")
	}
	bad := []struct {
		name string
		sig  []byte
	}{
		{"short", sig[:64]},
		{"long", append(bytes.Clone(sig), 0)},
		{"v=2", append(bytes.Clone(sig[:64]), 2)},
		{"r=0", append(append(make([]byte, 32), sig[32:64]...), 27)},
		{"s=0", append(append(bytes.Clone(sig[:32]), make([]byte, 32)...), 27)},
		{"r>=n", append(append(bytes.Repeat([]byte{0xff}, 32), sig[32:64]...), 27)},
	}
	for _, c := range bad {
		if _, err := storageauth.IKMFromWalletSignature(c.sig); !errors.Is(err, storageauth.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", c.name, err)
		}
	}
}

func TestKeysDoNotPrintSecrets(t *testing.T) {
	k := testKeys(t, storageauth.Ed25519, 1)
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, k)
		if out != "storageauth.Keys{"+k.ID().String()+"}" {
			t.Errorf("%s prints %q", f, out)
		}
	}
}

func TestParseID(t *testing.T) {
	for _, s := range schemes {
		k := testKeys(t, s, 3)
		id, err := storageauth.ParseID(k.ID().String())
		if err != nil || id != k.ID() {
			t.Fatalf("%s: round trip: %v", s, err)
		}
		if !bytes.Equal(id.PublicKey(), k.ID().PublicKey()) {
			t.Fatalf("%s: public key differs", s)
		}
	}
	ed := testKeys(t, storageauth.Ed25519, 3).ID()
	p := testKeys(t, storageauth.ECDSAP256, 3).ID()
	edEnc := strings.TrimPrefix(ed.String(), "ed25519:")
	pEnc := strings.TrimPrefix(p.String(), "p256:")
	offCurve := []byte(pEnc)
	offCurve[len(offCurve)-2] ^= 1
	bad := map[string]string{
		"empty":              "",
		"no-prefix":          edEnc,
		"unknown-scheme":     "rsa:" + edEnc,
		"upper-scheme":       "ED25519:" + edEnc,
		"ed25519-as-p256":    "p256:" + edEnc,
		"p256-as-ed25519":    "ed25519:" + pEnc,
		"p256-as-secp256k1":  "secp256k1:" + pEnc,
		"padded":             ed.String() + "=",
		"std-alphabet":       "ed25519:" + strings.NewReplacer("-", "+", "_", "/").Replace(edEnc) + "+/",
		"non-canonical-bits": "ed25519:" + edEnc[:len(edEnc)-1] + nextB64(edEnc[len(edEnc)-1]),
		"off-curve":          "p256:" + string(offCurve),
		"too-long":           "ed25519:" + strings.Repeat("A", 200),
	}
	for name, s := range bad {
		if _, err := storageauth.ParseID(s); !errors.Is(err, storageauth.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// nextB64 returns the base64url character after c, changing only the low
// bits that a canonical encoding of 32 bytes leaves zero.
func nextB64(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return string(alphabet[(strings.IndexByte(alphabet, c)+1)%64])
}
