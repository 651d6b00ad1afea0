package identity

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"strconv"
	"strings"
)

// safetyNumberLabel starts each side's hash input, so a safety number is
// never the hash of some other sealkit structure.
const safetyNumberLabel = "sealkit identity safety-number v1"

// safetyNumberIterations is Signal's count for its 60-digit numbers
// (about 112 bits of work to match one side: 30 digits and 5200 hashes).
const safetyNumberIterations = 5200

// SafetyNumberDigits is the length of a safety number without spaces.
const SafetyNumberDigits = 60

// UserKey is one side of a safety number: a user ID and that user's
// identity key (a bundle's UserID and IdentityKey, see KeyBundle.UserKey).
type UserKey struct {
	UserID string
	Key    *PublicKey
}

// UserKey returns the bundle's user ID and identity key.
func (b *KeyBundle) UserKey() UserKey { return UserKey{UserID: b.UserID, Key: b.IdentityKey} }

// SafetyNumber returns the number two users compare out of band (read
// aloud, or side by side) to check that each holds the other's real
// identity key: 60 digits in 12 groups of 5, separated by spaces. It is
// the same whichever side is a; it changes when either identity key or
// user ID does. The construction (Signal's numeric fingerprint with a
// label and length-prefixed fields) is in SPEC.md, "Safety numbers".
// User IDs follow the bundle rules; an error wraps ErrBundleMalformed.
func SafetyNumber(a, b UserKey) (string, error) {
	da, err := safetyDigits(a)
	if err != nil {
		return "", err
	}
	db, err := safetyDigits(b)
	if err != nil {
		return "", err
	}
	if db < da {
		da, db = db, da
	}
	all := da + db
	var s strings.Builder
	for i := 0; i < len(all); i += 5 {
		if i > 0 {
			s.WriteByte(' ')
		}
		s.WriteString(all[i : i+5])
	}
	return s.String(), nil
}

// safetyDigits is one side's 30 digits.
func safetyDigits(u UserKey) (string, error) {
	switch {
	case u.Key == nil:
		return "", bundleErr(ErrBundleMalformed, "no identity key")
	case len(u.UserID) == 0 || len(u.UserID) > MaxUserIDLength || !validUserID(u.UserID):
		return "", bundleErr(ErrBundleMalformed, "user ID is not 1-255 bytes of UTF-8 without control characters")
	}
	key := u.Key.Bytes()
	h := []byte(safetyNumberLabel)
	h = append(h, 0)
	h = appendStr8(h, string(u.Key.Algorithm()))
	h = appendStr8(h, string(key))
	h = appendStr8(h, u.UserID)
	d := sha512.New()
	var sum [sha512.Size]byte
	for range safetyNumberIterations {
		d.Reset()
		d.Write(h)
		d.Write(key)
		h = d.Sum(sum[:0])
	}
	out := make([]byte, 0, 30)
	for i := 0; i < 30; i += 5 {
		var chunk [8]byte
		copy(chunk[3:], h[i:i+5])
		n := binary.BigEndian.Uint64(chunk[:]) % 100000
		s := strconv.FormatUint(n, 10)
		out = append(out, strings.Repeat("0", 5-len(s))...)
		out = append(out, s...)
	}
	return string(out), nil
}

// SafetyNumberEqual reports whether two safety numbers are the same,
// ignoring spaces, in time that depends only on their lengths. Anything
// but 60 digits (after dropping spaces) is never equal.
func SafetyNumberEqual(a, b string) bool {
	x, y := safetyCompact(a), safetyCompact(b)
	okx, oky := len(x) == SafetyNumberDigits, len(y) == SafetyNumberDigits
	return okx && oky && subtle.ConstantTimeCompare(x, y) == 1
}

// safetyCompact drops spaces; any other non-digit makes it nil.
func safetyCompact(s string) []byte {
	if len(s) > 2*SafetyNumberDigits {
		return nil
	}
	out := make([]byte, 0, SafetyNumberDigits)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
		case '0' <= c && c <= '9':
			out = append(out, c)
		default:
			return nil
		}
	}
	return out
}
