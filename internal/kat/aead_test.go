package kat_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// TestAESGCM: Wycheproof AES-GCM through crypto/cipher, for the parameters
// sealkit uses (256-bit keys, 96-bit nonces, 128-bit tags).
func TestAESGCM(t *testing.T) {
	skipInFIPS(t, "crypto/cipher.NewGCM refuses caller nonces")
	const file = "wycheproof/aes_gcm_test.json"
	type group struct {
		KeySize, IvSize, TagSize int
		Tests                    []struct {
			wcase
			Key, Iv, Aad, Msg, Ct, Tag string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			if g.KeySize != 256 || g.IvSize != 96 || g.TagSize != 128 {
				c.skip("parameters sealkit does not use (key, nonce or tag size)")
				continue
			}
			block, err := aes.NewCipher(testvec.Hex(t, tc.Key))
			if err != nil {
				t.Fatal(err)
			}
			gcm, err := cipher.NewGCM(block)
			if err != nil {
				t.Fatal(err)
			}
			iv, aad, msg := testvec.Hex(t, tc.Iv), testvec.Hex(t, tc.Aad), testvec.Hex(t, tc.Msg)
			sealed := append(testvec.Hex(t, tc.Ct), testvec.Hex(t, tc.Tag)...)
			pt, err := gcm.Open(nil, iv, sealed, aad)
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(pt, msg) {
					t.Errorf("tc %d: open: %v", tc.TcID, err)
				}
				if got := gcm.Seal(nil, iv, msg, aad); !bytes.Equal(got, sealed) {
					t.Errorf("tc %d: seal differs", tc.TcID)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d (%v): invalid ciphertext opened", tc.TcID, tc.Flags)
				}
			default:
				t.Fatalf("tc %d: unexpected result %q", tc.TcID, tc.Result)
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}
