package identity_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/fips140"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/internal/testvec"
)

type convertVectors struct {
	RawValid []map[string]string `json:"valid"`
	Invalid  []struct {
		PK     string `json:"ed25519_pk"`
		Reason string `json:"reason"`
	} `json:"invalid_public_keys"`
}

// TestEd25519ToX25519 checks both conversions against libsodium's outputs
// and rejections.
func TestEd25519ToX25519(t *testing.T) {
	var v convertVectors
	testvec.JSON(t, "rfc/ed25519_to_curve25519.json", &v)
	ran := 0
	for _, c := range v.RawValid {
		seed := testvec.Hex(t, c["ed25519_seed"])
		priv := ed25519.NewKeyFromSeed(seed)
		if !bytes.Equal(priv, testvec.Hex(t, c["ed25519_sk"])) {
			t.Fatal("vector sk is not seed||pk")
		}
		xpub, err := identity.Ed25519PublicKeyToX25519(testvec.Hex(t, c["ed25519_pk"]))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(xpub, testvec.Hex(t, c["curve25519_pk"])) {
			t.Errorf("pk: got %x, want %s", xpub, c["curve25519_pk"])
		}
		if xs := identity.Ed25519PrivateKeyToX25519(priv); !bytes.Equal(xs, testvec.Hex(t, c["curve25519_sk"])) {
			t.Errorf("sk: got %x, want %s", xs, c["curve25519_sk"])
		}
		ran++
	}
	for _, c := range v.Invalid {
		if _, err := identity.Ed25519PublicKeyToX25519(testvec.Hex(t, c.PK)); !errors.Is(err, identity.ErrInvalidPoint) {
			t.Errorf("%s (%s): err = %v, want ErrInvalidPoint", c.PK, c.Reason, err)
		}
		ran++
	}
	testvec.Count(t, "ed25519_to_curve25519", ran, 9)
	if _, err := identity.Ed25519PublicKeyToX25519(make([]byte, 31)); !errors.Is(err, identity.ErrInvalidPoint) {
		t.Errorf("short key: %v", err)
	}
}

// TestX25519ConversionAgrees: X25519(converted sk, base) = converted pk.
func TestX25519ConversionAgrees(t *testing.T) {
	if fips140.Enforced() {
		t.Skip("X25519 is not allowed in FIPS 140-only mode")
	}
	for range 8 {
		k := mustKey(t, identity.Ed25519)
		xs, err := ecdh.X25519().NewPrivateKey(identity.Ed25519PrivateKeyToX25519(ed25519.NewKeyFromSeed(k.Seed())))
		if err != nil {
			t.Fatal(err)
		}
		xp, err := identity.Ed25519PublicKeyToX25519(k.Public().Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(xs.PublicKey().Bytes(), xp) {
			t.Fatal("converted keys do not pair")
		}
	}
}
