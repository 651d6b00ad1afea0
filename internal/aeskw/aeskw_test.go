package aeskw_test

import (
	"bytes"
	"crypto/aes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/internal/aeskw"
	"github.com/sealkit/sealkit/internal/benchutil"
	"github.com/sealkit/sealkit/internal/testvec"
)

type wycheproofKW struct {
	KeySize int `json:"keySize"`
	Tests   []struct {
		TcID   int      `json:"tcId"`
		Flags  []string `json:"flags"`
		Key    string   `json:"key"`
		Msg    string   `json:"msg"`
		Ct     string   `json:"ct"`
		Result string   `json:"result"`
	} `json:"tests"`
}

// TestWycheproof runs every case of Wycheproof's aes_wrap_test.json. The
// "acceptable" cases wrap 8-byte keys, which RFC 3394 allows and NIST SP
// 800-38F does not; we refuse them, as the stricter reading.
func TestWycheproof(t *testing.T) {
	var f testvec.Wycheproof
	testvec.JSON(t, "wycheproof/aes_wrap_test.json", &f)
	ran := 0
	for _, raw := range f.TestGroups {
		var g wycheproofKW
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		for _, tc := range g.Tests {
			key, msg, ct := testvec.Hex(t, tc.Key), testvec.Hex(t, tc.Msg), testvec.Hex(t, tc.Ct)
			got, err := aeskw.Unwrap(key, ct)
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("tc %d: unwrap: %v", tc.TcID, err)
				}
				w, err := aeskw.Wrap(key, msg)
				if err != nil || !bytes.Equal(w, ct) {
					t.Errorf("tc %d: wrap: %v", tc.TcID, err)
				}
			case "invalid", "acceptable":
				if err == nil {
					t.Errorf("tc %d (%v): unwrap accepted", tc.TcID, tc.Flags)
				} else if !errors.Is(err, aeskw.ErrUnwrap) {
					t.Errorf("tc %d: error %v is not ErrUnwrap", tc.TcID, err)
				}
				if got != nil {
					t.Errorf("tc %d: bytes returned on failure", tc.TcID)
				}
				if len(msg)%8 != 0 || len(msg) < 16 {
					if _, err := aeskw.Wrap(key, msg); err == nil {
						t.Errorf("tc %d (%v): wrap of %d bytes accepted", tc.TcID, tc.Flags, len(msg))
					}
				}
			default:
				t.Fatalf("tc %d: unknown result %q", tc.TcID, tc.Result)
			}
			ran++
		}
	}
	testvec.Count(t, "wycheproof/aes_wrap_test.json", ran, f.NumberOfTests)
}

// TestRFC3394 runs the six examples of RFC 3394 §4.
func TestRFC3394(t *testing.T) {
	var f struct {
		Tests []struct {
			Section    string `json:"section"`
			KEK        string `json:"kek"`
			KeyData    string `json:"key_data"`
			Ciphertext string `json:"ciphertext"`
		} `json:"tests"`
	}
	testvec.JSON(t, "rfc/rfc3394_aes_keywrap.json", &f)
	for _, tc := range f.Tests {
		kek, data, ct := testvec.Hex(t, tc.KEK), testvec.Hex(t, tc.KeyData), testvec.Hex(t, tc.Ciphertext)
		w, err := aeskw.Wrap(kek, data)
		if err != nil || !bytes.Equal(w, ct) {
			t.Errorf("%s: wrap: %v", tc.Section, err)
		}
		u, err := aeskw.Unwrap(kek, ct)
		if err != nil || !bytes.Equal(u, data) {
			t.Errorf("%s: unwrap: %v", tc.Section, err)
		}
	}
	testvec.Count(t, "rfc/rfc3394_aes_keywrap.json", len(f.Tests), 6)
}

func TestLimits(t *testing.T) {
	kek := make([]byte, 32)
	if _, err := aeskw.Wrap(kek, make([]byte, aeskw.MaxInput+8)); err == nil {
		t.Error("oversized input wrapped")
	}
	if _, err := aeskw.Unwrap(kek, make([]byte, aeskw.MaxInput+16)); !errors.Is(err, aeskw.ErrUnwrap) {
		t.Errorf("oversized ciphertext: %v", err)
	}
	if _, err := aeskw.Wrap(make([]byte, 15), make([]byte, 16)); err == nil {
		t.Error("15-byte KEK accepted")
	}
}

// FuzzUnwrap: no input panics; a successful unwrap re-wraps to the input.
func FuzzUnwrap(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, kek, ct []byte) {
		pt, err := aeskw.Unwrap(kek, ct)
		if err != nil {
			if pt != nil {
				t.Fatal("bytes returned with an error")
			}
			return
		}
		w, err := aeskw.Wrap(kek, pt)
		if err != nil || !bytes.Equal(w, ct) {
			t.Fatalf("unwrapped value does not re-wrap: %v", err)
		}
	})
}

// FuzzWrapRoundTrip: whatever Wrap accepts, Unwrap returns.
func FuzzWrapRoundTrip(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, kek, pt []byte) {
		w, err := aeskw.Wrap(kek, pt)
		if err != nil {
			return
		}
		if len(w) != len(pt)+8 {
			t.Fatalf("wrapped %d bytes into %d", len(pt), len(w))
		}
		u, err := aeskw.Unwrap(kek, w)
		if err != nil || !bytes.Equal(u, pt) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func seedFromVectors(f *testing.F) {
	var wf testvec.Wycheproof
	testvec.JSON(f, "wycheproof/aes_wrap_test.json", &wf)
	n := 0
	for _, raw := range wf.TestGroups {
		var g wycheproofKW
		json.Unmarshal(raw, &g)
		for _, tc := range g.Tests {
			f.Add(testvec.Hex(f, tc.Key), testvec.Hex(f, tc.Ct))
			n++
		}
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
}

// BenchmarkUnwrap compares unwrapping a 32-byte key with what it must do
// at the least: expand the KEK and run 6 × 4 AES block decryptions (six
// rounds over four 64-bit halves). The cost-ratio is the bookkeeping's share.
func BenchmarkUnwrap(b *testing.B) {
	kek := make([]byte, 32)
	ct, _ := aeskw.Wrap(kek, make([]byte, 32))
	var buf [16]byte
	benchutil.Compare(b, 32, func() {
		if _, err := aeskw.Unwrap(kek, ct); err != nil {
			b.Fatal(err)
		}
	}, func() {
		blk, _ := aes.NewCipher(kek)
		for range 6 * 4 {
			blk.Decrypt(buf[:], buf[:])
		}
	})
}

// BenchmarkWrap is BenchmarkUnwrap's mirror.
func BenchmarkWrap(b *testing.B) {
	kek := make([]byte, 32)
	pt := make([]byte, 32)
	var buf [16]byte
	benchutil.Compare(b, 32, func() {
		if _, err := aeskw.Wrap(kek, pt); err != nil {
			b.Fatal(err)
		}
	}, func() {
		blk, _ := aes.NewCipher(kek)
		for range 6 * 4 {
			blk.Encrypt(buf[:], buf[:])
		}
	})
}

// AppendWrapBlock appends what Wrap returns, keeps dst's prefix, leaves its
// scratch block zeroed and, given the room, allocates nothing.
func TestAppendWrapBlock(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, 32)
	block, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	pt := bytes.Repeat([]byte{0x42}, 32)
	want, err := aeskw.Wrap(kek, pt)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3, 3+len(pt)+24)
	copy(buf, "abc")
	got, err := aeskw.AppendWrapBlock(buf, block, pt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte("abc"), want...)) || &got[0] != &buf[0] {
		t.Fatalf("AppendWrapBlock = %x, want abc||%x in place", got, want)
	}
	if scratch := got[len(got):cap(got)]; !bytes.Equal(scratch, make([]byte, 16)) {
		t.Fatalf("scratch block left as %x", scratch)
	}
	if n := testing.AllocsPerRun(100, func() { aeskw.AppendWrapBlock(buf[:3], block, pt) }); n != 0 {
		t.Errorf("AppendWrapBlock with room: %v allocations, want 0", n)
	}
	if _, err := aeskw.AppendWrapBlock(nil, block, pt[:15]); err == nil {
		t.Error("AppendWrapBlock accepted 15 bytes")
	}
}
