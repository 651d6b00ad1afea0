package bech32

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type bip173File struct {
	Source              string      `json:"source"`
	Valid               []string    `json:"valid"`
	ValidWithoutLimit   []bip173Str `json:"valid_without_length_limit"`
	Invalid             []bip173Str `json:"invalid"`
	ValidSegwit         []segwit    `json:"valid_segwit"`
	InvalidSegwitBech32 []segwit    `json:"invalid_segwit_bech32"`
}

type bip173Str struct {
	String string `json:"string"`
	Hex    string `json:"hex"`
	Reason string `json:"reason"`
}

func (s bip173Str) value(t *testing.T) string {
	if s.Hex == "" {
		return s.String
	}
	b, err := hex.DecodeString(s.Hex)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type segwit struct {
	Address      string `json:"address"`
	ScriptPubKey string `json:"script_pubkey"`
	Reason       string `json:"reason"`
	ProgramOnly  bool   `json:"program_only"`
}

func loadBIP173(t *testing.T) *bip173File {
	t.Helper()
	b, err := os.ReadFile("testdata/bip173.json")
	if err != nil {
		t.Fatalf("BIP 173 vectors missing: %v", err)
	}
	var f bip173File
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Valid) == 0 || len(f.Invalid) == 0 || len(f.ValidSegwit) == 0 {
		t.Fatal("BIP 173 vector file has an empty list")
	}
	return &f
}

// TestBIP173Valid decodes each valid string and re-encodes it to the same
// string (in lower case).
func TestBIP173Valid(t *testing.T) {
	f := loadBIP173(t)
	all := f.Valid
	for _, v := range f.ValidWithoutLimit {
		if len(v.String) <= 90 {
			t.Fatalf("%q is not over BIP 173's limit", v.String)
		}
		all = append(all, v.String)
	}
	for _, s := range all {
		hrp, data, err := Decode(s)
		if err != nil {
			t.Errorf("Decode(%q): %v", s, err)
			continue
		}
		if hrp != strings.ToLower(s[:strings.LastIndexByte(s, '1')]) {
			t.Errorf("Decode(%q): hrp %q", s, hrp)
		}
		got, err := Encode(hrp, data)
		if err != nil {
			t.Errorf("Encode(%q): %v", hrp, err)
			continue
		}
		if got != strings.ToLower(s) {
			t.Errorf("Encode(Decode(%q)) = %q", s, got)
		}
	}
}

// TestBIP173Invalid checks that each invalid string is refused, and that
// the error does not repeat the input.
func TestBIP173Invalid(t *testing.T) {
	f := loadBIP173(t)
	for _, v := range f.Invalid {
		s := v.value(t)
		_, _, err := Decode(s)
		if err == nil {
			t.Errorf("Decode(%q) succeeded; BIP 173: %s", s, v.Reason)
			continue
		}
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats the input", err)
		}
	}
}

// TestBIP173Segwit checks the checksums of BIP 173's segwit addresses and
// the witness programs their data parts regroup into.
func TestBIP173Segwit(t *testing.T) {
	f := loadBIP173(t)
	for _, v := range f.ValidSegwit {
		_, values, err := decodeValues(v.Address)
		if err != nil {
			t.Errorf("%s: %v", v.Address, err)
			continue
		}
		prog, err := convertBits(values[1:], 5, 8, false)
		if err != nil {
			t.Errorf("%s: program: %v", v.Address, err)
			continue
		}
		version := values[0]
		if version != 0 {
			version += 0x50 // OP_1 .. OP_16
		}
		script := append([]byte{version, byte(len(prog))}, prog...)
		if got := hex.EncodeToString(script); got != v.ScriptPubKey {
			t.Errorf("%s: scriptPubKey %s, want %s", v.Address, got, v.ScriptPubKey)
		}
	}
	for _, v := range f.InvalidSegwitBech32 {
		_, values, err := decodeValues(v.Address)
		if !v.ProgramOnly {
			if err == nil {
				t.Errorf("%s accepted; BIP 173: %s", v.Address, v.Reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: checksum should be valid: %v", v.Address, err)
			continue
		}
		if _, err := convertBits(values[1:], 5, 8, false); err == nil {
			t.Errorf("%s: program accepted; BIP 173: %s", v.Address, v.Reason)
		}
	}
}

// TestRoundTrip covers every data length up to 256 bytes, in both cases.
func TestRoundTrip(t *testing.T) {
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i)
	}
	for n := 0; n <= len(data); n++ {
		s, err := Encode("sealkit", data[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{s, strings.ToUpper(s)} {
			hrp, got, err := Decode(in)
			if err != nil || hrp != "sealkit" || !bytes.Equal(got, data[:n]) {
				t.Fatalf("n=%d: Decode = %q, %x, %v", n, hrp, got, err)
			}
		}
	}
}

// TestSingleErrors flips each data character of an encoding to every other
// alphabet character: the checksum catches all of them.
func TestSingleErrors(t *testing.T) {
	s, err := Encode("sealkit", bytes.Repeat([]byte{0xa5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for i := len("sealkit1"); i < len(s); i++ {
		for _, c := range []byte(charset) {
			if c == s[i] {
				continue
			}
			m := s[:i] + string(c) + s[i+1:]
			if _, _, err := Decode(m); err == nil {
				t.Fatalf("a change at %d went undetected", i)
			}
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, hrp := range []string{"", "Sealkit", "a b", "\x7f"} {
		if _, err := Encode(hrp, nil); err == nil {
			t.Errorf("Encode(%q) succeeded", hrp)
		}
	}
}

// TestPadding: a data part whose last group holds non-zero padding bits, or
// 5 or more padding bits, is refused.
func TestPadding(t *testing.T) {
	for _, values := range [][]byte{
		{0},          // 5 zero bits: a whole group of padding
		{31},         // 5 bits, not zero
		{0, 1},       // 10 bits: 2 padding bits, not zero
		{0, 0, 0, 0}, // 20 bits: 2 bytes and 4 zero padding bits, accepted
	} {
		enc := make([]byte, 0, len(values)+6)
		enc = append(enc, values...)
		enc = append(enc, createChecksum("a", values)...)
		var b strings.Builder
		b.WriteString("a1")
		for _, v := range enc {
			b.WriteByte(charset[v])
		}
		_, _, err := Decode(b.String())
		wantErr := len(values) != 4
		if (err != nil) != wantErr {
			t.Errorf("values %v: err = %v", values, err)
		}
	}
}
