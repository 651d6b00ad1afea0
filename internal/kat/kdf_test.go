package kat_test

import (
	"bytes"
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"testing"

	"github.com/sealkit/sealkit/internal/testvec"
)

// TestHKDF: Wycheproof HKDF-SHA256 and RFC 5869 A.1–A.3 through crypto/hkdf.
func TestHKDF(t *testing.T) {
	const file = "wycheproof/hkdf_sha256_test.json"
	type group struct {
		Tests []struct {
			wcase
			Ikm, Salt, Info, Okm string
			Size                 int
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			okm, err := hkdf.Key(sha256.New, testvec.Hex(t, tc.Ikm), testvec.Hex(t, tc.Salt), string(testvec.Hex(t, tc.Info)), tc.Size)
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(okm, testvec.Hex(t, tc.Okm)) {
					t.Errorf("tc %d: %v", tc.TcID, err)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d (%v): accepted", tc.TcID, tc.Flags)
				}
			}
			c.ran++
		}
	}
	c.check(t, file, total)

	var rfc struct {
		Tests []struct {
			TestCase             int `json:"test_case"`
			Ikm, Salt, Info, Prk string
			Okm                  string
			Length               int
		}
	}
	testvec.JSON(t, "rfc/rfc5869_hkdf_sha256.json", &rfc)
	for _, tc := range rfc.Tests {
		prk, err := hkdf.Extract(sha256.New, testvec.Hex(t, tc.Ikm), testvec.Hex(t, tc.Salt))
		if err != nil || !bytes.Equal(prk, testvec.Hex(t, tc.Prk)) {
			t.Errorf("RFC 5869 case %d: PRK: %v", tc.TestCase, err)
		}
		okm, err := hkdf.Key(sha256.New, testvec.Hex(t, tc.Ikm), testvec.Hex(t, tc.Salt), string(testvec.Hex(t, tc.Info)), tc.Length)
		if err != nil || !bytes.Equal(okm, testvec.Hex(t, tc.Okm)) {
			t.Errorf("RFC 5869 case %d: OKM: %v", tc.TestCase, err)
		}
	}
	testvec.Count(t, "rfc/rfc5869_hkdf_sha256.json", len(rfc.Tests), 3)
}

// TestPBKDF2: Wycheproof PBKDF2-HMAC-SHA256 through crypto/pbkdf2.
func TestPBKDF2(t *testing.T) {
	const file = "wycheproof/pbkdf2_hmacsha256_test.json"
	type group struct {
		Tests []struct {
			wcase
			Password, Salt, Dk string
			IterationCount     int
			DkLen              int
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			dk, err := pbkdf2.Key(sha256.New, string(testvec.Hex(t, tc.Password)), testvec.Hex(t, tc.Salt), tc.IterationCount, tc.DkLen)
			if err != nil && fips140.Enforced() {
				c.skip("refused by the FIPS 140-3 module (" + err.Error() + ")")
				continue
			}
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(dk, testvec.Hex(t, tc.Dk)) {
					t.Errorf("tc %d: %v", tc.TcID, err)
				}
			case "invalid":
				if err == nil && bytes.Equal(dk, testvec.Hex(t, tc.Dk)) {
					t.Errorf("tc %d (%v): accepted", tc.TcID, tc.Flags)
				}
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}

// TestHMAC: Wycheproof HMAC-SHA256, including truncated tags, through crypto/hmac.
func TestHMAC(t *testing.T) {
	const file = "wycheproof/hmac_sha256_test.json"
	type group struct {
		KeySize, TagSize int
		Tests            []struct {
			wcase
			Key, Msg, Tag string
		}
	}
	gs, total := groups[group](t, file)
	var c tally
	for _, g := range gs {
		for _, tc := range g.Tests {
			if fips140.Enforced() && g.KeySize < 112 {
				c.skip("keys under 112 bits are refused under fips140=only")
				continue
			}
			m := hmac.New(sha256.New, testvec.Hex(t, tc.Key))
			m.Write(testvec.Hex(t, tc.Msg))
			ok := hmac.Equal(m.Sum(nil)[:g.TagSize/8], testvec.Hex(t, tc.Tag))
			if ok != (tc.Result == "valid") {
				t.Errorf("tc %d (%v): MAC match %v, want %s", tc.TcID, tc.Flags, ok, tc.Result)
			}
			c.ran++
		}
	}
	c.check(t, file, total)
}
