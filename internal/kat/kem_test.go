package kat_test

import (
	"bytes"
	"crypto/hpke"
	"crypto/mlkem"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// TestMLKEM768: Wycheproof ML-KEM-768 (FIPS 203) through crypto/mlkem: key
// pair from the 64-byte seed, the encapsulation key, and decapsulation.
func TestMLKEM768(t *testing.T) {
	const file = "wycheproof/mlkem_768_test.json"
	type group struct {
		Tests []struct {
			wcase
			Seed, Ek, C, K string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			dk, err := mlkem.NewDecapsulationKey768(testvec.Hex(t, tc.Seed))
			var k []byte
			if err == nil {
				k, err = dk.Decapsulate(testvec.Hex(t, tc.C))
			}
			switch tc.Result {
			case "valid":
				if err != nil {
					t.Errorf("tc %d: %v", tc.TcID, err)
				} else if !bytes.Equal(dk.EncapsulationKey().Bytes(), testvec.Hex(t, tc.Ek)) || !bytes.Equal(k, testvec.Hex(t, tc.K)) {
					t.Errorf("tc %d: wrong key or shared secret", tc.TcID)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d: invalid case accepted", tc.TcID)
				}
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}

// hpkeVector is an entry of the RFC 9180 test-vector format.
type hpkeVector struct {
	Mode        int    `json:"mode"`
	KEM         uint16 `json:"kem_id"`
	KDF         uint16 `json:"kdf_id"`
	AEAD        uint16 `json:"aead_id"`
	Info        string `json:"info"`
	IkmR        string `json:"ikmR"`
	PkRm        string `json:"pkRm"`
	Enc         string `json:"enc"`
	Encryptions []struct {
		Aad, Ct, Pt string
	} `json:"encryptions"`
	Exports []struct {
		Context string `json:"exporter_context"`
		L       int    `json:"L"`
		Value   string `json:"exported_value"`
	} `json:"exports"`
}

// runHPKE checks one entry through crypto/hpke as a recipient: the key pair
// derived from ikmR, every encryption opened in sequence, every export. It
// returns a reason if Go cannot run this suite, or "" if it ran.
func runHPKE(t *testing.T, v hpkeVector) string {
	if v.Mode != 0 {
		return "PSK and auth modes: Go's crypto/hpke has base mode only"
	}
	kem, err := hpke.NewKEM(v.KEM)
	if err != nil {
		return fmt.Sprintf("KEM %#04x not in crypto/hpke", v.KEM)
	}
	kdf, err := hpke.NewKDF(v.KDF)
	if err != nil {
		return fmt.Sprintf("KDF %#04x not in crypto/hpke", v.KDF)
	}
	aead, err := hpke.NewAEAD(v.AEAD)
	if err != nil {
		return fmt.Sprintf("AEAD %#04x not in crypto/hpke", v.AEAD)
	}
	priv, err := kem.DeriveKeyPair(testvec.Hex(t, v.IkmR))
	if err != nil {
		if fipsRefused(err) {
			return "refused under fips140=only: " + err.Error()
		}
		t.Fatalf("suite %#04x/%d/%d: DeriveKeyPair: %v", v.KEM, v.KDF, v.AEAD, err)
	}
	if !bytes.Equal(priv.PublicKey().Bytes(), testvec.Hex(t, v.PkRm)) {
		t.Fatalf("suite %#04x/%d/%d: derived public key differs", v.KEM, v.KDF, v.AEAD)
	}
	r, err := hpke.NewRecipient(testvec.Hex(t, v.Enc), priv, kdf, aead, testvec.Hex(t, v.Info))
	if fipsRefused(err) {
		return "refused under fips140=only: " + err.Error()
	}
	if err != nil {
		t.Fatalf("suite %#04x/%d/%d: NewRecipient: %v", v.KEM, v.KDF, v.AEAD, err)
	}
	for i, e := range v.Encryptions {
		pt, err := r.Open(testvec.Hex(t, e.Aad), testvec.Hex(t, e.Ct))
		if err != nil || !bytes.Equal(pt, testvec.Hex(t, e.Pt)) {
			t.Fatalf("suite %#04x/%d/%d: encryption %d: %v", v.KEM, v.KDF, v.AEAD, i, err)
		}
	}
	for i, x := range v.Exports {
		got, err := r.Export(string(testvec.Hex(t, x.Context)), x.L)
		if err != nil || !bytes.Equal(got, testvec.Hex(t, x.Value)) {
			t.Fatalf("suite %#04x/%d/%d: export %d: %v", v.KEM, v.KDF, v.AEAD, i, err)
		}
	}
	return ""
}

func testHPKEFile(t *testing.T, file string, mustRun map[uint16]bool) {
	var vs []hpkeVector
	if err := json.Unmarshal(testvec.Read(t, file), &vs); err != nil {
		t.Fatal(err)
	}
	var c tally
	ranKEM := map[uint16]bool{}
	for _, v := range vs {
		if why := runHPKE(t, v); why != "" {
			c.skip(why)
			continue
		}
		ranKEM[v.KEM] = true
		c.ran++
	}
	c.check(t, file, len(vs))
	for kem := range mustRun {
		if !ranKEM[kem] {
			t.Errorf("no vector ran for KEM %#04x", kem)
		}
	}
}

// TestHPKERFC9180: the official RFC 9180 vectors for DHKEM(X25519) with
// HKDF-SHA256 and AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305.
func TestHPKERFC9180(t *testing.T) {
	skipInFIPS(t, "X25519 is refused")
	testHPKEFile(t, "hpke/rfc9180_base_psk_x25519_sha256.json", map[uint16]bool{0x0020: true})
}

// TestHPKEPQ: draft-ietf-hpke-pq vectors, including MLKEM768-X25519 (0x647a),
// the KEM of sealkit's post-quantum recipient.
func TestHPKEPQ(t *testing.T) {
	must := map[uint16]bool{0x0041: true}
	if !fipsEnforced() {
		must[0x647a] = true
	}
	testHPKEFile(t, "hpke/hpke_pq_mlkem_test_vectors.json", must)
}
