package identity

import (
	"encoding/base64"
	"strings"
	"time"
)

// This file is the fast path of structured-field parsing (RFC 8941) for
// the three fields a signed request carries. It accepts only the subset
// clients send in canonical form — dictionary members whose values are
// byte sequences without parameters, or inner lists of plain strings with
// a bare ";req", and parameters that are plain strings, non-negative
// integers without leading zeros, or bare true — and, for that subset,
// yields exactly what the general parser (httpsfv) and its serializer
// yield. For anything else (other value types, escapes, extra spaces,
// duplicates, any error) it reports false and the caller falls back to the
// general parser, which then accepts or refuses as before. Inputs it takes
// are therefore taken the same way by both paths, and
// the serialized inner list the signature base ends with is the member's
// own text, with no re-serialization.

// sfMember is one dictionary member: its key and its value's text.
type sfMember struct{ key, val string }

// scanDict splits a dictionary of at most max members in the fast subset.
func scanDict(lines []string, max int, members []sfMember) ([]sfMember, bool) {
	var s string
	switch len(lines) {
	case 0:
		return nil, false
	case 1:
		s = lines[0]
	default:
		s = strings.Join(lines, ", ")
	}
	i := skipSP(s, 0)
	for i < len(s) {
		k := scanKey(s, i)
		if k == i || k >= len(s) || s[k] != '=' {
			return nil, false
		}
		key := s[i:k]
		for _, m := range members {
			if m.key == key {
				return nil, false
			}
		}
		var end int
		switch v := k + 1; {
		case v < len(s) && s[v] == '(':
			end = scanInnerList(s, v)
		case v < len(s) && s[v] == ':':
			end = scanBytes(s, v)
		default:
			return nil, false
		}
		if end < 0 || len(members) == max {
			return nil, false
		}
		members = append(members, sfMember{key, s[k+1 : end]})
		i = skipOWS(s, end)
		if i == len(s) {
			return members, true
		}
		if s[i] != ',' {
			return nil, false
		}
		if i = skipOWS(s, i+1); i == len(s) {
			return nil, false // a trailing comma
		}
	}
	return nil, false // empty
}

func skipSP(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// scanKey returns the end of the key at s[i:], i if there is none.
func scanKey(s string, i int) int {
	if i >= len(s) || !(s[i] >= 'a' && s[i] <= 'z' || s[i] == '*') {
		return i
	}
	for i++; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
	}
	return i
}

// scanBytes returns the end of a byte sequence at s[i] == ':' that has no
// parameters and that base64.StdEncoding decodes (as the general parser
// does for every member, even those the caller then ignores), or -1.
func scanBytes(s string, i int) int {
	pad := 0
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if sfClass[c]&sfBase64 != 0 && pad == 0 {
			continue
		}
		switch c {
		case ':':
			if j+1 < len(s) && s[j+1] == ';' || (j-i-1)%4 != 0 {
				return -1
			}
			return j + 1
		case '=':
			if pad++; pad > 2 {
				return -1
			}
		default:
			return -1 // '=' only at the end
		}
	}
	return -1
}

// sfClass classifies bytes for the scanners: a bit for the base64
// alphabet, one for what a string holds unescaped (printable ASCII but '"'
// and '\\').
var sfClass = func() (t [256]byte) {
	for c := 0x20; c <= 0x7e; c++ {
		if c != '"' && c != '\\' {
			t[c] |= sfPlain
		}
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] |= sfBase64
	}
	return t
}()

// The bits of sfClass.
const (
	sfPlain  = 1 << iota // a string's unescaped character
	sfBase64             // a base64 (standard alphabet) character
)

// decodeBytes decodes a byte sequence's text (":…:"), into buf when it
// fits.
func decodeBytes(v string, buf []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != ':' || v[len(v)-1] != ':' {
		return nil, false
	}
	v = v[1 : len(v)-1]
	var src [88]byte // base64 of sigBufLen bytes at most: on the stack, unlike []byte(v)
	if len(v) > len(src) || base64.StdEncoding.DecodedLen(len(v)) > len(buf) {
		b, err := base64.StdEncoding.DecodeString(v)
		return b, err == nil
	}
	n, err := base64.StdEncoding.Decode(buf, src[:copy(src[:], v)])
	return buf[:n:n], err == nil
}

// fastParsed holds what the fast path returns for a typical signature in
// one allocation.
type fastParsed struct {
	ps    parsedSig
	sp    sigParams
	comps [8]component
	names [8]string
	sig   [sigBufLen]byte
}

// sigBufLen is base64.StdEncoding.DecodedLen of an encoded 64-byte value
// (an Ed25519 or P-256 signature, a SHA-512 digest): its padding counts.
const sigBufLen = 66

// scanString returns the end of a string without escapes at s[i] == '"'.
func scanString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if c := s[j]; sfClass[c]&sfPlain == 0 {
			if c == '"' {
				return j + 1
			}
			return -1 // an escape, or not printable ASCII
		}
	}
	return -1
}

// maxFastParams caps the parameters of one item or inner list on the fast
// path; more go to the general parser.
const maxFastParams = 8

// scanParams returns the end of canonical parameters at s[i:] (no key
// twice: the general parser keeps the last value, so the text would not be
// its serialization), or -1.
func scanParams(s string, i int, f func(key, val string) bool) int {
	var keyBuf [maxFastParams]string
	keys := keyBuf[:0]
	for i < len(s) && s[i] == ';' {
		k := scanKey(s, i+1)
		if k == i+1 || len(keys) == maxFastParams {
			return -1
		}
		key := s[i+1 : k]
		for _, prev := range keys {
			if prev == key {
				return -1
			}
		}
		keys = append(keys, key)
		i = k
		val := ""
		if i < len(s) && s[i] == '=' {
			switch {
			case i+1 < len(s) && s[i+1] == '"':
				i = scanString(s, i+1)
			case i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
				i = scanInt(s, i+1)
			default:
				return -1
			}
			if i < 0 {
				return -1
			}
			val = s[k+1 : i]
		}
		if f != nil && !f(key, val) {
			return -1
		}
	}
	return i
}

// scanInt returns the end of a canonical non-negative integer (at most 15
// digits, no leading zero) at s[i:], or -1.
func scanInt(s string, i int) int {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if n := j - i; n == 0 || n > 15 || n > 1 && s[i] == '0' || j < len(s) && s[j] == '.' {
		return -1
	}
	return j
}

// scanInnerList returns the end of a canonical inner list at s[i] == '('
// (items separated by one space, none inside the parentheses' edges), or
// -1.
func scanInnerList(s string, i int) int {
	i++
	for first := true; i < len(s); first = false {
		if s[i] == ')' {
			return scanParams(s, i+1, nil)
		}
		if !first {
			if s[i] != ' ' || i+1 >= len(s) || s[i+1] == ')' {
				return -1
			}
			i++
		}
		if s[i] != '"' {
			return -1
		}
		if i = scanString(s, i); i < 0 {
			return -1
		}
		if i = scanParams(s, i, nil); i < 0 {
			return -1
		}
	}
	return -1
}

// fastSigParams reads a canonical inner list's text into sigParams, with
// the checks fromInnerList makes; false means: let fromInnerList decide.
func fastSigParams(v string, f *fastParsed) (*sigParams, bool) {
	sp := &f.sp
	sp.ser = v
	comps := f.comps[:0]
	i := 1
	for v[i] != ')' {
		if v[i] == ' ' {
			i++
		}
		end := scanString(v, i)
		name := v[i+1 : end-1]
		if name == "" || hasUpperASCII(name) || len(comps) == MaxComponents {
			return nil, false
		}
		c := component{name: name}
		i = scanParams(v, end, func(key, val string) bool {
			if key != "req" || val != "" {
				return false
			}
			c.req = true
			return true
		})
		if i < 0 {
			return nil, false
		}
		for _, d := range comps {
			if d == c {
				return nil, false
			}
		}
		comps = append(comps, c)
	}
	ok := scanParams(v, i+1, func(key, val string) bool {
		switch key {
		case "created", "expires":
			if val == "" || val[0] == '"' {
				return false
			}
			n := int64(0)
			for j := 0; j < len(val); j++ {
				n = n*10 + int64(val[j]-'0')
			}
			if key == "created" {
				sp.p.Created = time.Unix(n, 0)
			} else {
				sp.p.Expires = time.Unix(n, 0)
			}
		case "nonce", "alg", "keyid", "tag":
			if val == "" || val[0] != '"' {
				return false
			}
			s := val[1 : len(val)-1]
			switch key {
			case "nonce":
				if len(s) > MaxNonceLength {
					return false
				}
				sp.p.Nonce = s
			case "alg":
				sp.p.Alg = Algorithm(s)
			case "keyid":
				sp.p.KeyID = s
			case "tag":
				sp.p.Tag = s
			}
		}
		return true
	}) >= 0
	if !ok {
		return nil, false
	}
	if len(comps) == 0 {
		return sp, true // nil, as the general path leaves them
	}
	sp.comps = comps
	sp.p.Components = f.names[:0:len(f.names)]
	if len(comps) > len(f.names) {
		sp.p.Components = make([]string, 0, len(comps))
	}
	for _, c := range comps {
		sp.p.Components = append(sp.p.Components, c.String())
	}
	sp.p.Components = sp.p.Components[:len(comps):len(comps)] // appending to them copies
	return sp, true
}

// hasUpperASCII reports whether s holds an ASCII capital letter: for the
// printable ASCII that scanString admits, whether strings.ToLower(s) != s.
func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// fastSignatures is parseSignatures on the fast path; false means: parse
// with the general parser.
func fastSignatures(inLines, sigLines []string, label string) (*parsedSig, bool) {
	if fieldBytes(inLines) > MaxSignatureHeaderBytes || fieldBytes(sigLines) > MaxSignatureHeaderBytes {
		return nil, false
	}
	var inBuf, sigBuf [2]sfMember
	in, ok := scanDict(inLines, MaxSignatures, inBuf[:0])
	if !ok {
		return nil, false
	}
	sd, ok := scanDict(sigLines, MaxSignatures, sigBuf[:0])
	if !ok || label == "" && len(in) != 1 {
		return nil, false
	}
	if label == "" {
		label = in[0].key
	}
	var iv, sv string
	for _, m := range in {
		if m.key == label {
			iv = m.val
		}
	}
	for _, m := range sd {
		if m.key == label {
			sv = m.val
		}
	}
	if iv == "" || iv[0] != '(' {
		return nil, false
	}
	f := &fastParsed{}
	sig, ok := decodeBytes(sv, f.sig[:])
	if !ok {
		return nil, false
	}
	sp, ok := fastSigParams(iv, f)
	if !ok {
		return nil, false
	}
	f.ps = parsedSig{label: label, sp: sp, sig: sig}
	return &f.ps, true
}

// fastContentDigest is parseContentDigest on the fast path: every member a
// byte sequence without parameters.
func fastContentDigest(lines []string) (*contentDigest, bool) {
	if fieldBytes(lines) > MaxSignatureHeaderBytes {
		return nil, false
	}
	var buf [2]sfMember
	ms, ok := scanDict(lines, MaxSignatureHeaderBytes, buf[:0])
	if !ok {
		return nil, false
	}
	cd := &contentDigest{}
	cd.members = cd.memberBuf[:0]
	for _, m := range ms {
		h := DigestAlgorithm(m.key).newHash()
		if h == nil {
			continue
		}
		var buf []byte
		if i := len(cd.members); i < len(cd.wantBuf) {
			buf = cd.wantBuf[i][:]
		}
		want, ok := decodeBytes(m.val, buf)
		if !ok {
			return nil, false
		}
		cd.members = append(cd.members, digestMember{m.key, h, want})
	}
	if len(cd.members) == 0 {
		return nil, false
	}
	return cd, true
}

func fieldBytes(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	return n
}
