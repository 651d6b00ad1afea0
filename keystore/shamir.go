package keystore

import (
	"bytes"
	"crypto/rand"
	"fmt"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/secretsharing"
)

// field is the group whose scalar field the shares live in.
var field = group.Ristretto255

// Recovery shares split a recovery key m-of-n among trustees with Shamir's
// scheme (cloudflare/circl's secretsharing) over the prime field of order
// ℓ = 2^252 + 2774…8493, the scalar field of Ristretto255, whose scalar
// arithmetic is constant time. The field has
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
	var ys [2][]secretsharing.Share
	for h := range ys {
		ys[h] = splitScalar(halfScalar(rk.k[h*halfSize:(h+1)*halfSize]), m, n)
	}
	check := rk.shareCheck()
	out := make([]string, n)
	for i := range n {
		b := []byte{shareVersion, byte(m), byte(i + 1)}
		b = append(b, check...)
		for h := range ys {
			v, err := ys[h][i].Value.MarshalBinary()
			if err != nil {
				return nil, err
			}
			b = append(b, v...)
			clear(v)
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
		ys       [2][]secretsharing.Share
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
		for h := range ys {
			off := shareHeader + h*scalarSize
			v := field.NewScalar()
			if err := v.UnmarshalBinary(b[off : off+scalarSize]); err != nil {
				return nil, fmt.Errorf("%w: share %d is malformed", ErrRecoveryKey, i+1)
			}
			ys[h] = append(ys[h], secretsharing.Share{ID: field.NewScalar().SetUint64(uint64(b[2])), Value: v})
		}
		clear(b)
	}
	if len(shares) < int(m[0]) {
		return nil, fmt.Errorf("%w: %d shares, %d needed", ErrRecoveryKey, len(shares), m[0])
	}
	rk := &RecoveryKey{}
	k := int(m[0])
	for h := range ys {
		secret, err := secretsharing.Recover(uint(k-1), ys[h][:k])
		if err != nil {
			return nil, fmt.Errorf("%w: shares do not combine", ErrRecoveryKey)
		}
		v, err := secret.MarshalBinary()
		if err != nil {
			return nil, err
		}
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
func halfScalar(half []byte) group.Scalar {
	var b [scalarSize]byte
	copy(b[:], half)
	s := field.NewScalar()
	err := s.UnmarshalBinary(b[:])
	clear(b[:])
	if err != nil {
		panic("keystore: 128-bit value is not a canonical scalar") // impossible
	}
	return s
}

// splitScalar shares secret among trustees 1..n, any m of whom recover it
// (circl's Shamir: a random polynomial of degree m−1 with constant term
// secret, evaluated at each trustee's ID).
func splitScalar(secret group.Scalar, m, n int) []secretsharing.Share {
	ss := secretsharing.New(rand.Reader, uint(m-1), secret)
	out := make([]secretsharing.Share, n)
	for i := range n {
		out[i] = ss.ShareWithID(field.NewScalar().SetUint64(uint64(i + 1)))
	}
	return out
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
