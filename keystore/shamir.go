package keystore

import (
	"bytes"
	"crypto/rand"
	"fmt"

	"filippo.io/edwards25519"
)

// Recovery shares split a recovery key m-of-n among trustees with Shamir's
// scheme over the prime field of order ℓ = 2^252 + 2774…8493 (the scalar
// field of edwards25519 and Ristretto255), with filippo.io/edwards25519's
// constant-time scalar arithmetic. This is exactly what cloudflare/circl's
// secretsharing computes over group.Ristretto255 (same field, same
// little-endian canonical encoding); circl's group package cannot be built
// here without a go.sum entry for github.com/bwesterb/go-ristretto, see
// SPEC.md §6. The field has
// about 2^252 elements, so the 256-bit key is shared as two 128-bit halves,
// each its own polynomial evaluated at the same trustee IDs 1..n. Any m
// shares give both halves back; m−1 shares say nothing about them.
//
// A share is printed like a recovery key: 30 groups of four characters
// encoding version(1) || m(1) || id(1) || check(4) || y_lo(32) || y_hi(32)
// || checksum(4), where check binds the shares of one split (SPEC.md §6).
const (
	shareVersion = 1
	shareHeader  = 3 + shareCheck
	shareCheck   = 4
	scalarSize   = 32
	sharePayload = shareHeader + 2*scalarSize
	shareSum     = 4
	shareChars   = (sharePayload + shareSum) * 8 / 5
	halfSize     = RecoveryKeySize / 2
	// MaxShares bounds n (IDs are one byte).
	MaxShares = 255
)

// SplitRecoveryKey splits rk into n printable shares of which any m
// (2 ≤ m ≤ n ≤ 255) recover it with CombineRecoveryShares. Each share is a
// secret for one trustee.
func SplitRecoveryKey(rk *RecoveryKey, m, n int) ([]string, error) {
	if m < 2 || n < m || n > MaxShares {
		return nil, fmt.Errorf("keystore: need 2 ≤ m ≤ n ≤ %d, have m=%d n=%d", MaxShares, m, n)
	}
	var ys [2][]*edwards25519.Scalar
	for h := range ys {
		ys[h] = splitScalar(halfScalar(rk.k[h*halfSize:(h+1)*halfSize]), m, n)
	}
	check := rk.shareCheck()
	out := make([]string, n)
	for i := range n {
		b := []byte{shareVersion, byte(m), byte(i + 1)}
		b = append(b, check...)
		for h := range ys {
			b = append(b, ys[h][i].Bytes()...)
		}
		b = append(b, subkey(b, labelRecoveryChecksum)[:shareSum]...)
		out[i] = formatGroups(b)
		clear(b)
	}
	return out, nil
}

// CombineRecoveryShares recovers a recovery key from at least m shares of
// one split (m is carried in each share). Too few shares, a typo, a
// duplicate, or shares of different splits return ErrRecoveryKey.
func CombineRecoveryShares(shares []string) (*RecoveryKey, error) {
	if len(shares) == 0 || len(shares) > MaxShares {
		return nil, fmt.Errorf("%w: %d shares", ErrRecoveryKey, len(shares))
	}
	var (
		m, check []byte
		seen     [MaxShares + 1]bool
		xs       []*edwards25519.Scalar
		ys       [2][]*edwards25519.Scalar
	)
	for i, s := range shares {
		b := parseGroups(s, shareChars)
		if len(b) != sharePayload+shareSum || !equalBytes(subkey(b[:sharePayload], labelRecoveryChecksum)[:shareSum], b[sharePayload:]) {
			return nil, fmt.Errorf("%w: share %d does not decode (a typo?)", ErrRecoveryKey, i+1)
		}
		if b[0] != shareVersion || b[1] < 2 || b[2] == 0 {
			return nil, fmt.Errorf("%w: share %d is malformed", ErrRecoveryKey, i+1)
		}
		if m == nil {
			m, check = bytes.Clone(b[1:2]), bytes.Clone(b[3:shareHeader])
		} else if m[0] != b[1] || !equalBytes(check, b[3:shareHeader]) {
			return nil, fmt.Errorf("%w: share %d is from another split", ErrRecoveryKey, i+1)
		}
		if seen[b[2]] {
			return nil, fmt.Errorf("%w: share %d repeats trustee %d", ErrRecoveryKey, i+1, b[2])
		}
		seen[b[2]] = true
		xs = append(xs, smallScalar(b[2]))
		for h := range ys {
			off := shareHeader + h*scalarSize
			v, err := edwards25519.NewScalar().SetCanonicalBytes(b[off : off+scalarSize])
			if err != nil {
				return nil, fmt.Errorf("%w: share %d is malformed", ErrRecoveryKey, i+1)
			}
			ys[h] = append(ys[h], v)
		}
		clear(b)
	}
	if len(shares) < int(m[0]) {
		return nil, fmt.Errorf("%w: %d shares, %d needed", ErrRecoveryKey, len(shares), m[0])
	}
	rk := &RecoveryKey{}
	k := int(m[0])
	for h := range ys {
		v := interpolateAtZero(xs[:k], ys[h][:k]).Bytes()
		// A half is below 2^128: anything else means inconsistent shares.
		if !allZero(v[halfSize:]) {
			return nil, fmt.Errorf("%w: shares do not combine to the key they were split from", ErrRecoveryKey)
		}
		copy(rk.k[h*halfSize:], v[:halfSize])
		clear(v)
	}
	if !equalBytes(rk.shareCheck(), check) {
		rk.Destroy()
		return nil, fmt.Errorf("%w: shares do not combine to the key they were split from", ErrRecoveryKey)
	}
	return rk, nil
}

// halfScalar is a 16-byte half as a scalar (32 bytes, little-endian: the
// half in the low 16 bytes as they are, always canonical).
func halfScalar(half []byte) *edwards25519.Scalar {
	var b [scalarSize]byte
	copy(b[:], half)
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	clear(b[:])
	if err != nil {
		panic("keystore: 128-bit value is not a canonical scalar") // impossible
	}
	return s
}

func smallScalar(x byte) *edwards25519.Scalar {
	var b [scalarSize]byte
	b[0] = x
	s, _ := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	return s
}

// splitScalar evaluates a random polynomial of degree m−1 with constant term
// secret at x = 1..n (Horner's rule).
func splitScalar(secret *edwards25519.Scalar, m, n int) []*edwards25519.Scalar {
	coeffs := []*edwards25519.Scalar{secret}
	var u [64]byte
	for range m - 1 {
		rand.Read(u[:])
		c, _ := edwards25519.NewScalar().SetUniformBytes(u[:])
		coeffs = append(coeffs, c)
	}
	clear(u[:])
	out := make([]*edwards25519.Scalar, n)
	for i := range n {
		x := smallScalar(byte(i + 1))
		y := edwards25519.NewScalar().Set(coeffs[m-1])
		for j := m - 2; j >= 0; j-- {
			y.MultiplyAdd(y, x, coeffs[j])
		}
		out[i] = y
	}
	for _, c := range coeffs[1:] {
		c.Set(edwards25519.NewScalar())
	}
	return out
}

// interpolateAtZero is Lagrange interpolation at x = 0:
// Σ y_i · Π_{j≠i} x_j / (x_j − x_i). The xs are distinct and non-zero.
func interpolateAtZero(xs, ys []*edwards25519.Scalar) *edwards25519.Scalar {
	sum := edwards25519.NewScalar()
	for i := range xs {
		num := smallScalar(1)
		den := smallScalar(1)
		for j := range xs {
			if j == i {
				continue
			}
			num.Multiply(num, xs[j])
			den.Multiply(den, edwards25519.NewScalar().Subtract(xs[j], xs[i]))
		}
		sum.MultiplyAdd(ys[i], num.Multiply(num, den.Invert(den)), sum)
	}
	return sum
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// shareCheck is HKDF(key, labelShareCheck)[:4], carried in every share.
func (rk *RecoveryKey) shareCheck() []byte {
	return subkey(rk.k[:], labelShareCheck)[:shareCheck]
}
