package envelope

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sealkit/sealkit/internal/bech32"
)

// Text form of keys (SPEC.md §10): one line of Bech32 per key, as age
// writes its keys, with sealkit's own human-readable parts so that an age
// key is never taken for a sealkit key, nor a sealkit key for an age key.
// Recipients are lower case, identities upper case.
const (
	x25519RecipientHRP = "sealkit"
	hybridRecipientHRP = "sealkit-hybrid"
	rsaRecipientHRP    = "sealkit-rsa"
	x25519IdentityHRP  = "sealkit-secret-key-"
	hybridIdentityHRP  = "sealkit-hybrid-secret-key-"
	rsaIdentityHRP     = "sealkit-rsa-secret-key-"
)

const (
	// MaxKeyTextLine is the longest key text, and the longest line of a
	// key file, accepted: it holds an RSA-8192 identity (about 7,500
	// characters); an ML-KEM-768+X25519 recipient is 1,967.
	MaxKeyTextLine = 8 << 10
	// MaxKeysPerFile is the most keys ParseRecipients and ParseIdentities
	// accept from one file: an envelope holds at most 1024 stanzas.
	MaxKeysPerFile = 1024
	// MaxKeyFileLines is the most lines, comments and blank lines included,
	// read from one key file.
	MaxKeyFileLines = 16 << 10
)

// ErrUnknownKeyType is returned, wrapped, when a key text is not one of the
// types this package knows: an age key, another program's, or a type from a
// newer sealkit. Malformed text gets a different error.
var ErrUnknownKeyType = errors.New("envelope: unknown key type")

// String returns the recipient's text form, "sealkit1" and 58 characters.
func (r *X25519Recipient) String() string { return encodeKeyText(x25519RecipientHRP, r.raw, false) }

// String returns the recipient's text form, "sealkit-hybrid1" and 1,952
// characters.
func (r *HybridRecipient) String() string {
	return encodeKeyText(hybridRecipientHRP, r.pub.Bytes(), false)
}

// String returns the recipient's text form: "sealkit-rsa1" and the SPKI DER
// of the key in Bech32 (about 480 characters for RSA-2048).
func (r *RSARecipient) String() string { return encodeKeyText(rsaRecipientHRP, r.spki, false) }

// SecretKeyString returns the identity's text form, "SEALKIT-SECRET-KEY-1"
// and 58 characters. It is the private key: handle with care. Identities
// have no String method, so that they never print themselves.
func (i *X25519Identity) SecretKeyString() string {
	b := i.key.Bytes()
	defer clear(b)
	return encodeKeyText(x25519IdentityHRP, b, true)
}

// SecretKeyString returns the identity's text form,
// "SEALKIT-HYBRID-SECRET-KEY-1" and the 32-byte seed in 58 characters. It is
// the private key: handle with care.
func (i *HybridIdentity) SecretKeyString() string {
	seed := i.Bytes()
	defer clear(seed)
	return encodeKeyText(hybridIdentityHRP, seed, true)
}

// SecretKeyString returns the identity's text form,
// "SEALKIT-RSA-SECRET-KEY-1" and the PKCS#8 DER of the key in Bech32. It is
// the private key: handle with care. The error is MarshalPKCS8's.
func (i *RSAIdentity) SecretKeyString() (string, error) {
	der, err := i.MarshalPKCS8()
	if err != nil {
		return "", err
	}
	defer clear(der)
	return encodeKeyText(rsaIdentityHRP, der, true), nil
}

func encodeKeyText(hrp string, data []byte, upper bool) string {
	s, err := bech32.Encode(hrp, data)
	if err != nil {
		panic("envelope: Bech32 encoding failed: " + err.Error()) // fixed, valid HRPs
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// ParseRecipient parses the text form of an X25519, ML-KEM-768+X25519 or
// RSA-OAEP recipient ("sealkit1…", "sealkit-hybrid1…", "sealkit-rsa1…"),
// exactly as String writes it: lower case, no surrounding space. It returns
// an error wrapping ErrUnknownKeyType for well-formed text of another type.
func ParseRecipient(s string) (Recipient, error) {
	if err := foreignKey(s); err != nil {
		return nil, err
	}
	hrp, data, err := decodeKeyText(s)
	if err != nil {
		return nil, err
	}
	switch hrp {
	case x25519IdentityHRP, hybridIdentityHRP, rsaIdentityHRP:
		return nil, errors.New("envelope: this is a secret key (an identity), not a recipient; keep it private")
	case x25519RecipientHRP, hybridRecipientHRP, rsaRecipientHRP:
	default:
		return nil, fmt.Errorf("%w: not a sealkit recipient", ErrUnknownKeyType)
	}
	if s != strings.ToLower(s) {
		return nil, errors.New("envelope: a recipient is written in lower case")
	}
	switch hrp {
	case x25519RecipientHRP:
		if len(data) != 32 {
			return nil, fmt.Errorf("envelope: X25519 recipient holds %d bytes, not 32", len(data))
		}
		return ParseX25519Recipient(data)
	case hybridRecipientHRP:
		return ParseHybridRecipient(data)
	default:
		r, err := ParseRSARecipient(data)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(r.spki, data) {
			return nil, errors.New("envelope: RSA recipient is not in canonical SPKI DER")
		}
		return r, nil
	}
}

// ParseIdentity parses the text form of an X25519, ML-KEM-768+X25519 or
// RSA-OAEP identity ("SEALKIT-SECRET-KEY-1…", "SEALKIT-HYBRID-SECRET-KEY-1…",
// "SEALKIT-RSA-SECRET-KEY-1…"), exactly as SecretKeyString writes it: upper
// case, no surrounding space. No part of s ever appears in its errors.
func ParseIdentity(s string) (Identity, error) {
	if err := foreignKey(s); err != nil {
		return nil, err
	}
	hrp, data, err := decodeKeyText(s)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	switch hrp {
	case x25519RecipientHRP, hybridRecipientHRP, rsaRecipientHRP:
		return nil, errors.New("envelope: this is a recipient (a public key), not an identity")
	case x25519IdentityHRP, hybridIdentityHRP, rsaIdentityHRP:
	default:
		return nil, fmt.Errorf("%w: not a sealkit identity", ErrUnknownKeyType)
	}
	if s != strings.ToUpper(s) {
		return nil, errors.New("envelope: an identity is written in upper case")
	}
	switch hrp {
	case x25519IdentityHRP:
		if len(data) != 32 {
			return nil, fmt.Errorf("envelope: X25519 identity holds %d bytes, not 32", len(data))
		}
		return ParseX25519Identity(data)
	case hybridIdentityHRP:
		return ParseHybridIdentity(data)
	default:
		id, err := ParseRSAIdentity(data)
		if err != nil {
			return nil, err
		}
		der, err := id.MarshalPKCS8()
		if err != nil {
			return nil, err
		}
		defer clear(der)
		if subtle.ConstantTimeCompare(der, data) != 1 {
			return nil, errors.New("envelope: RSA identity is not in canonical PKCS#8 DER")
		}
		return id, nil
	}
}

// foreignKey recognises age's keys by their prefixes, so that the error
// says what they are without repeating them.
func foreignKey(s string) error {
	switch l := strings.ToLower(s); {
	case strings.HasPrefix(l, "age1"):
		return fmt.Errorf("%w: an age recipient; sealkit recipients begin with %q", ErrUnknownKeyType, x25519RecipientHRP)
	case strings.HasPrefix(l, "age-"):
		return fmt.Errorf("%w: an age identity; sealkit identities begin with %q", ErrUnknownKeyType, strings.ToUpper(x25519IdentityHRP))
	}
	return nil
}

func decodeKeyText(s string) (string, []byte, error) {
	if len(s) > MaxKeyTextLine {
		return "", nil, fmt.Errorf("envelope: key text longer than %d bytes", MaxKeyTextLine)
	}
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return "", nil, fmt.Errorf("envelope: malformed key text: %w", err)
	}
	return hrp, data, nil
}

// ParseRecipients reads recipients in text form, one per line, as in an age
// recipients file. Blank lines and lines starting with '#' are ignored, and
// so are spaces and tabs at either end of a line and a CR before its LF. It
// refuses lines over MaxKeyTextLine, more than MaxKeysPerFile keys or
// MaxKeyFileLines lines, and a file with no key; errors give the line number.
func ParseRecipients(r io.Reader) ([]Recipient, error) {
	var rs []Recipient
	err := readKeyLines(r, "recipients", func(line string) error {
		rec, err := ParseRecipient(line)
		if err == nil {
			rs = append(rs, rec)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// ParseIdentities reads identities in text form, one per line, with the
// rules of ParseRecipients. No part of the input appears in its errors.
func ParseIdentities(r io.Reader) ([]Identity, error) {
	var ids []Identity
	err := readKeyLines(r, "identities", func(line string) error {
		id, err := ParseIdentity(line)
		if err == nil {
			ids = append(ids, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func readKeyLines(r io.Reader, what string, parse func(string) error) error {
	sc := bufio.NewScanner(r)
	// Room for the longest line and its CR LF, which ScanLines drops: a
	// longer line ends the scan with ErrTooLong.
	sc.Buffer(make([]byte, 0, 4096), MaxKeyTextLine+2)
	n, keys := 0, 0
	for sc.Scan() {
		n++
		if n > MaxKeyFileLines {
			return fmt.Errorf("envelope: %s file has more than %d lines", what, MaxKeyFileLines)
		}
		if len(sc.Bytes()) > MaxKeyTextLine {
			return fmt.Errorf("envelope: %s line %d: longer than %d bytes", what, n, MaxKeyTextLine)
		}
		line := strings.Trim(sc.Text(), " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		keys++
		if keys > MaxKeysPerFile {
			return fmt.Errorf("envelope: %s line %d: more than %d keys", what, n, MaxKeysPerFile)
		}
		if err := parse(line); err != nil {
			return &lineError{what: what, line: n, err: err}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("envelope: %s line %d: longer than %d bytes", what, n+1, MaxKeyTextLine)
		}
		return fmt.Errorf("envelope: reading %s: %w", what, err)
	}
	if keys == 0 {
		return fmt.Errorf("envelope: no %s found", what)
	}
	return nil
}

// lineError places a key's parse error at its line of a key file.
type lineError struct {
	what string
	line int
	err  error
}

func (e *lineError) Error() string {
	return fmt.Sprintf("envelope: %s line %d: %s", e.what, e.line, strings.TrimPrefix(e.err.Error(), "envelope: "))
}

func (e *lineError) Unwrap() error { return e.err }
