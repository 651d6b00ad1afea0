// Package bech32 implements the Bech32 encoding of BIP 173 for sealkit's
// one-line key strings.
//
// It differs from BIP 173 in one way, as age's does: there is no
// 90-character limit, because keys (an ML-KEM-768+X25519 public key is
// 1,216 bytes) are much longer than addresses. The checksum still detects
// any error in up to 4 characters for strings of up to 89 characters and
// misses a random error with probability about 2^-30 at any length. Callers
// bound the length of what they decode.
//
// Errors never include any part of the input: decoded strings may be
// secret keys.
package bech32

import (
	"errors"
	"strings"
)

const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// checksumLen is the number of checksum characters at the end of the data part.
const checksumLen = 6

var (
	errHRP       = errors.New("bech32: human-readable part empty or outside US-ASCII 33..126")
	errMixedCase = errors.New("bech32: mixed upper and lower case")
	errChar      = errors.New("bech32: character outside US-ASCII 33..126")
	errSeparator = errors.New("bech32: no separator '1', or fewer than 6 characters after it")
	errData      = errors.New("bech32: data character outside the Bech32 alphabet")
	errChecksum  = errors.New("bech32: invalid checksum")
	errPadding   = errors.New("bech32: invalid padding in the data part")
)

// polymod is the BCH checksum of BIP 173 over 5-bit values.
func polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// hrpExpand returns the high bits of each HRP character, a zero, then the low bits.
func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]&31)
	}
	return out
}

func verifyChecksum(hrp string, data []byte) bool {
	return polymod(append(hrpExpand(hrp), data...)) == 1
}

func createChecksum(hrp string, data []byte) []byte {
	values := append(hrpExpand(hrp), data...)
	values = append(values, make([]byte, checksumLen)...)
	mod := polymod(values) ^ 1
	out := make([]byte, checksumLen)
	for i := range out {
		out[i] = byte(mod>>(5*(5-i))) & 31
	}
	return out
}

// convertBits regroups data from groups of from bits into groups of to bits,
// most significant bit first. With pad, a last incomplete group is padded
// with zeros; without, it must be shorter than from bits and all zeros.
func convertBits(data []byte, from, to uint, pad bool) ([]byte, error) {
	var acc uint32
	var bits uint
	maxv := uint32(1)<<to - 1
	out := make([]byte, 0, len(data)*int(from)/int(to)+1)
	for _, v := range data {
		if uint32(v)>>from != 0 {
			return nil, errData
		}
		acc = acc<<from | uint32(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(to-bits)&maxv))
		}
	} else if bits >= from || acc<<(to-bits)&maxv != 0 {
		return nil, errPadding
	}
	return out, nil
}

func validHRP(hrp string) bool {
	if hrp == "" {
		return false
	}
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return false
		}
	}
	return true
}

// Encode returns the lower-case Bech32 string of hrp and data. data is
// regrouped from bytes into 5-bit values, the last one padded with zero
// bits. hrp must be 1 or more characters from US-ASCII 33..126 and must not
// contain upper-case letters.
func Encode(hrp string, data []byte) (string, error) {
	if !validHRP(hrp) {
		return "", errHRP
	}
	if strings.ToLower(hrp) != hrp {
		return "", errMixedCase
	}
	values, err := convertBits(data, 8, 5, true)
	if err != nil {
		return "", err
	}
	values = append(values, createChecksum(hrp, values)...)
	var b strings.Builder
	b.Grow(len(hrp) + 1 + len(values))
	b.WriteString(hrp)
	b.WriteByte('1')
	for _, v := range values {
		b.WriteByte(charset[v])
	}
	return b.String(), nil
}

// Decode parses a Bech32 string, all lower case or all upper case, and
// returns its human-readable part in lower case and its data regrouped into
// bytes. The data part must end on a byte boundary followed by at most 4
// zero bits of padding, as Encode writes it.
func Decode(s string) (hrp string, data []byte, err error) {
	hrp, values, err := decodeValues(s)
	if err != nil {
		return "", nil, err
	}
	data, err = convertBits(values, 5, 8, false)
	if err != nil {
		return "", nil, err
	}
	return hrp, data, nil
}

// decodeValues checks s as BIP 173 describes and returns its lower-case
// human-readable part and its 5-bit data values without the checksum.
func decodeValues(s string) (hrp string, values []byte, err error) {
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return "", nil, errChar
		}
	}
	lower := strings.ToLower(s)
	if lower != s && strings.ToUpper(s) != s {
		return "", nil, errMixedCase
	}
	pos := strings.LastIndexByte(lower, '1')
	if pos < 0 || len(lower)-pos-1 < checksumLen {
		return "", nil, errSeparator
	}
	if pos == 0 {
		return "", nil, errHRP
	}
	hrp = lower[:pos]
	values = make([]byte, 0, len(lower)-pos-1)
	for i := pos + 1; i < len(lower); i++ {
		d := strings.IndexByte(charset, lower[i])
		if d < 0 {
			return "", nil, errData
		}
		values = append(values, byte(d))
	}
	if !verifyChecksum(hrp, values) {
		return "", nil, errChecksum
	}
	return hrp, values[:len(values)-checksumLen], nil
}
