package envelope

// These tests are inside the package: they hold the unexported HMAC and
// key schedule, which have no API of their own, to crypto/hmac,
// crypto/hkdf and the RFC known answers. Under GODEBUG=fips140=on or
// fips140=only the key schedule takes the crypto/hkdf path, and the same
// known answers hold it.

import (
	"bytes"
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
)

// fipsShortKey reports whether crypto/hmac would refuse key in FIPS
// 140-only mode (keys under 112 bits).
func fipsShortKey(key []byte) bool { return fips140.Enforced() && len(key) < 112/8 }

func stdHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func ourHMAC(m *sha256HMAC, key, msg []byte) []byte {
	m.start(key)
	m.d.Write(msg)
	return m.finish(nil)
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err) // a missing vector file fails, never skips
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

type rfc4231 struct {
	Tests []struct{ Case, Key, Data, MAC string }
}

type rfc5869 struct {
	Tests []struct{ Case, IKM, Salt, Info, PRK, OKM string }
}

// TestHMACKnownAnswers checks sha256HMAC against RFC 4231 §4, keys shorter
// than a block, of one block and longer (hashed first) included.
func TestHMACKnownAnswers(t *testing.T) {
	var v rfc4231
	readJSON(t, "testdata/rfc4231-hmac-sha256.json", &v)
	if len(v.Tests) != 7 {
		t.Fatalf("%d RFC 4231 cases, want 7", len(v.Tests))
	}
	var m sha256HMAC
	for _, tc := range v.Tests {
		t.Run(tc.Case, func(t *testing.T) {
			want := unhex(t, tc.MAC)
			got := ourHMAC(&m, unhex(t, tc.Key), unhex(t, tc.Data))
			if !bytes.Equal(got[:len(want)], want) {
				t.Errorf("HMAC %x, want %x", got, want)
			}
		})
	}
}

// TestHKDFKnownAnswers checks the key schedule's Extract and its one-block
// Expand against RFC 5869 appendix A: the PRK and the first 32 bytes of the
// OKM, which are T(1).
func TestHKDFKnownAnswers(t *testing.T) {
	var v rfc5869
	readJSON(t, "testdata/rfc5869-hkdf-sha256.json", &v)
	if len(v.Tests) != 3 {
		t.Fatalf("%d RFC 5869 cases, want 3", len(v.Tests))
	}
	for _, tc := range v.Tests {
		t.Run(tc.Case, func(t *testing.T) {
			var s keySchedule
			s.extract(unhex(t, tc.IKM), unhex(t, tc.Salt))
			if want := unhex(t, tc.PRK); !bytes.Equal(s.prk[:], want) {
				t.Errorf("PRK %x, want %x", s.prk, want)
			}
			var out [32]byte
			s.expand(&out, string(unhex(t, tc.Info)))
			if want := unhex(t, tc.OKM)[:32]; !bytes.Equal(out[:], want) {
				t.Errorf("OKM %x, want %x", out, want)
			}
		})
	}
}

// TestHMACMatchesStdlib compares sha256HMAC with crypto/hmac over every key
// length from 0 to three blocks and message lengths around the block
// boundaries, with one reused state, as the key schedule reuses it.
func TestHMACMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'h', 'm', 'a', 'c'}))
	buf := make([]byte, 4*sha256.BlockSize+1)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	var m sha256HMAC
	msgLens := []int{0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 128, 129, 4*sha256.BlockSize + 1}
	for klen := 0; klen <= 3*sha256.BlockSize; klen++ {
		key := buf[len(buf)-klen:]
		if fipsShortKey(key) {
			continue
		}
		for _, n := range msgLens {
			msg := buf[:n]
			if got, want := ourHMAC(&m, key, msg), stdHMAC(key, msg); !bytes.Equal(got, want) {
				t.Fatalf("key %d bytes, message %d bytes: %x, want %x", klen, n, got, want)
			}
		}
	}
}

// TestKeyScheduleMatchesStdlib compares the whole schedule (Extract, the
// Expands of every label and the header MAC) with crypto/hkdf and
// crypto/hmac, for random keys, salts and associated data.
func TestKeyScheduleMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'k', 'd', 'f'}))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for i := range 200 {
		key, salt := rnd(KeySize), rnd(saltSize)
		body, ad := rnd(i*3), rnd(i%70)
		var s keySchedule
		s.extract(key, salt)
		prk, err := hkdf.Extract(sha256.New, key, salt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.prk[:], prk) {
			t.Fatalf("case %d: PRK %x, want %x", i, s.prk, prk)
		}
		for _, label := range []string{labelPayload, labelHeaderMAC, labelMetadata} {
			var out [32]byte
			s.expand(&out, label)
			want, err := hkdf.Expand(sha256.New, prk, label, 32)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out[:], want) {
				t.Fatalf("case %d, %s: %x, want %x", i, label, out, want)
			}
		}
		macKey, _ := hkdf.Expand(sha256.New, prk, labelHeaderMAC, 32)
		m := hmac.New(sha256.New, macKey)
		m.Write(body)
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(ad))))
		m.Write(ad)
		if got, want := s.headerMAC(nil, body, ad), m.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("case %d: header MAC %x, want %x", i, got, want)
		}
		s.destroy()
	}
}

// FuzzHMAC holds sha256HMAC to crypto/hmac for any key and message, the
// state reused across calls.
func FuzzHMAC(f *testing.F) {
	var v rfc4231
	readJSON(f, "testdata/rfc4231-hmac-sha256.json", &v)
	for _, tc := range v.Tests {
		f.Add(unhex(f, tc.Key), unhex(f, tc.Data))
	}
	var m sha256HMAC
	f.Fuzz(func(t *testing.T, key, msg []byte) {
		if fipsShortKey(key) {
			t.Skip("crypto/hmac refuses keys under 112 bits in FIPS 140-only mode")
		}
		if got, want := ourHMAC(&m, key, msg), stdHMAC(key, msg); !bytes.Equal(got, want) {
			t.Fatalf("HMAC %x, want %x", got, want)
		}
	})
}

// FuzzHKDF holds the key schedule's Extract and Expand to crypto/hkdf.
func FuzzHKDF(f *testing.F) {
	var v rfc5869
	readJSON(f, "testdata/rfc5869-hkdf-sha256.json", &v)
	for _, tc := range v.Tests {
		f.Add(unhex(f, tc.IKM), unhex(f, tc.Salt), string(unhex(f, tc.Info)))
	}
	f.Fuzz(func(t *testing.T, ikm, salt []byte, info string) {
		if fipsShortKey(ikm) {
			t.Skip("crypto/hkdf refuses secrets under 112 bits in FIPS 140-only mode")
		}
		var s keySchedule
		s.extract(ikm, salt)
		prk, err := hkdf.Extract(sha256.New, ikm, salt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.prk[:], prk) {
			t.Fatalf("PRK %x, want %x", s.prk, prk)
		}
		var out [32]byte
		s.expand(&out, info)
		want, err := hkdf.Expand(sha256.New, prk, info, 32)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out[:], want) {
			t.Fatalf("OKM %x, want %x", out, want)
		}
	})
}
