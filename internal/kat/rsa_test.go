package kat_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// TestRSAOAEP: Wycheproof RSA-OAEP decryption with SHA-256 / MGF1-SHA-256,
// the parameters of sealkit's rsa-oaep-256 recipient, at each key size.
func TestRSAOAEP(t *testing.T) {
	for _, bits := range []string{"2048", "3072", "4096"} {
		file := "wycheproof/rsa_oaep_" + bits + "_sha256_mgf1sha256_test.json"
		t.Run(bits, func(t *testing.T) {
			type group struct {
				PrivateKeyPkcs8 string
				Sha, MgfSha     string
				Tests           []struct {
					wcase
					Msg, Ct, Label string
				}
			}
			gs, total := groups[group](t, file)
			var c tally
			for _, g := range gs {
				if g.Sha != "SHA-256" || g.MgfSha != "SHA-256" {
					t.Fatalf("unexpected hashes %s/%s", g.Sha, g.MgfSha)
				}
				k, err := x509.ParsePKCS8PrivateKey(testvec.Hex(t, g.PrivateKeyPkcs8))
				if err != nil {
					t.Fatal(err)
				}
				priv := k.(*rsa.PrivateKey)
				for _, tc := range g.Tests {
					pt, err := rsa.DecryptOAEP(sha256.New(), nil, priv, testvec.Hex(t, tc.Ct), testvec.Hex(t, tc.Label))
					switch tc.Result {
					case "valid":
						if err != nil || !bytes.Equal(pt, testvec.Hex(t, tc.Msg)) {
							t.Errorf("tc %d: %v", tc.TcID, err)
						}
					case "invalid":
						if err == nil {
							t.Errorf("tc %d (%v): invalid ciphertext decrypted", tc.TcID, tc.Flags)
						}
					default:
						t.Fatalf("tc %d: unexpected result %q", tc.TcID, tc.Result)
					}
					c.ran++
				}
			}
			c.check(t, file, total)
		})
	}
}
