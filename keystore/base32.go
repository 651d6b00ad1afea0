package keystore

import (
	"encoding/base32"
	"strings"
)

// Human-typable secrets (recovery keys, recovery shares, one-time
// passphrases) are Crockford base32: digits and upper-case letters without
// I, L, O and U, in groups of four joined by '-'. Reading is forgiving the
// way Crockford intends: case is ignored, I and L read as 1, O as 0, and
// spaces and dashes are skipped.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

const groupSize = 4

// formatGroups encodes b (a multiple of 5 bytes) in groups of four.
func formatGroups(b []byte) string {
	s := crockford.EncodeToString(b)
	var out strings.Builder
	for i := 0; i < len(s); i += groupSize {
		if i > 0 {
			out.WriteByte('-')
		}
		out.WriteString(s[i:min(i+groupSize, len(s))])
	}
	return out.String()
}

// parseGroups decodes what formatGroups wrote, as typed by a person. It
// reads at most maxChars significant characters (so hostile input costs
// O(maxChars)), and returns nil on any error.
func parseGroups(s string, maxChars int) []byte {
	buf := make([]byte, 0, maxChars)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'I', 'L':
			c = '1'
		case 'O':
			c = '0'
		}
		if len(buf) == maxChars {
			return nil
		}
		buf = append(buf, c)
	}
	out, err := crockford.DecodeString(string(buf))
	if err != nil {
		return nil
	}
	return out
}
