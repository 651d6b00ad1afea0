package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxMetadataDepth caps how deeply the metadata JSON nests: the object
// itself is level 1, extra level 2; the rest is room for unknown members.
const maxMetadataDepth = 32

// Metadata describes the sealed object. It travels in the header, encrypted
// under its own key derived from the file key, so a server sees only its
// length. It is serialised as a JSON object (see SPEC.md).
type Metadata struct {
	Name        string            `json:"name,omitempty"`
	ContentType string            `json:"type,omitempty"`
	Size        int64             `json:"size,omitempty"`
	Created     time.Time         `json:"created,omitzero"`
	Modified    time.Time         `json:"modified,omitzero"`
	Extra       map[string]string `json:"extra,omitempty"`
}

// metadataAEAD returns AES-256-GCM with random nonces under the metadata key.
func metadataAEAD(key *Key, salt []byte) cipher.AEAD {
	mk := key.derive(salt, labelMetadata)
	defer clear(mk)
	block, err := aes.NewCipher(mk)
	if err != nil {
		panic("envelope: " + err.Error())
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		panic("envelope: " + err.Error())
	}
	return aead
}

// sealMetadata returns nonce || AES-256-GCM(metadata JSON), or nil for nil.
func sealMetadata(key *Key, salt []byte, m *Metadata) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	w := *m
	w.Created, w.Modified = wireTime(m.Created), wireTime(m.Modified)
	js, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	// encoding/json writes invalid UTF-8 as U+FFFD, so two extra names can
	// come out the same: never write what a reader refuses.
	if _, err := decodeMetadata(js); err != nil {
		return nil, fmt.Errorf("envelope: metadata would not read back: %w", err)
	}
	sealed := metadataAEAD(key, salt).Seal(nil, nil, js, nil)
	if len(sealed) > MaxMetadataSize {
		// Refused here, so that the caller does not get ErrCorrupt from
		// the header parser for its own input.
		return nil, fmt.Errorf("envelope: metadata of %d bytes over the %d-byte block limit", len(js), MaxMetadataSize)
	}
	return sealed, nil
}

// Metadata decrypts the header's metadata with key, which must have been
// checked with Verify or obtained from Unwrap. It returns nil, nil if the
// envelope carries none.
func (h *Header) Metadata(key *Key) (*Metadata, error) {
	if h.metadata == nil {
		return nil, nil
	}
	js, err := metadataAEAD(key, h.salt).Open(nil, nil, h.metadata, nil)
	if err != nil {
		return nil, corrupt("metadata authentication failed")
	}
	m, err := decodeMetadata(js)
	if err != nil {
		return nil, corrupt("metadata: " + err.Error())
	}
	return m, nil
}

// decodeMetadata reads the metadata JSON exactly as SPEC.md §2 says:
// strict UTF-8 and JSON, member names matched byte for byte (no case or
// Unicode folding, unlike encoding/json's struct decoding), no repeated
// name in any object, no escaped lone surrogate, nesting within
// maxMetadataDepth, and strict types for the members it knows.
func decodeMetadata(js []byte) (*Metadata, error) {
	if !utf8.Valid(js) {
		return nil, errors.New("not UTF-8")
	}
	if !json.Valid(js) {
		return nil, errors.New("not one JSON value")
	}
	if !validEscapes(js) {
		return nil, errors.New("escaped lone surrogate")
	}
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	m := &Metadata{}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case nil: // the literal null: every member absent
	case json.Delim('{'):
		if err := m.decodeMembers(d); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("not a JSON object")
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return m, nil
}

// decodeMembers reads the members of the metadata object and its closing brace.
func (m *Metadata) decodeMembers(d *json.Decoder) error {
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if seen[name] {
			return errors.New("repeated member name")
		}
		seen[name] = true
		switch name {
		case "name":
			m.Name, err = stringMember(d)
		case "type":
			m.ContentType, err = stringMember(d)
		case "size":
			m.Size, err = sizeMember(d)
		case "created":
			m.Created, err = timeMember(d)
		case "modified":
			m.Modified, err = timeMember(d)
		case "extra":
			m.Extra, err = extraMember(d)
		default:
			err = skipValue(d, 1)
		}
		if err != nil {
			return err
		}
	}
	_, err := d.Token()
	return err
}

// stringMember reads a string member; null is absent.
func stringMember(d *json.Decoder) (string, error) {
	tok, err := d.Token()
	if err != nil || tok == nil {
		return "", err
	}
	if s, ok := tok.(string); ok {
		return s, nil
	}
	return "", errors.New("member is not a string")
}

// sizeMember reads an integer that fits int64, written without a fraction
// or an exponent; null is absent.
func sizeMember(d *json.Decoder) (int64, error) {
	tok, err := d.Token()
	if err != nil || tok == nil {
		return 0, err
	}
	n, ok := tok.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return 0, errors.New("size is not an integer")
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, errors.New("size is not a signed 64-bit integer")
	}
	return v, nil
}

// timeMember reads a created or modified string; null is absent.
func timeMember(d *json.Decoder) (time.Time, error) {
	tok, err := d.Token()
	if err != nil || tok == nil {
		return time.Time{}, err
	}
	s, ok := tok.(string)
	if !ok {
		return time.Time{}, errors.New("time is not a string")
	}
	tm, err := parseTime(s)
	if err != nil || tm.IsZero() {
		// The zero instant at any offset is the zero Time, as if absent.
		return time.Time{}, err
	}
	return tm, nil
}

// extraMember reads an object of strings; null is absent, a null value is not.
func extraMember(d *json.Decoder) (map[string]string, error) {
	tok, err := d.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("extra is not an object")
	}
	extra := map[string]string{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		if _, dup := extra[k]; dup {
			return nil, errors.New("repeated member name in extra")
		}
		if tok, err = d.Token(); err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, errors.New("extra value is not a string")
		}
		extra[k] = v
	}
	_, err = d.Token()
	return extra, err
}

// skipValue reads one value of an unknown member, which sits at depth,
// refusing repeated names in its objects and nesting beyond maxMetadataDepth.
func skipValue(d *json.Decoder, depth int) error {
	type frame struct {
		names map[string]bool // nil for an array
		name  bool            // the next token is a member name
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			f := &stack[n-1]
			if s, ok := tok.(string); ok && f.name {
				if f.names[s] {
					return errors.New("repeated member name")
				}
				f.names[s], f.name = true, false
				continue
			}
			f.name = true
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth+len(stack)+1 > maxMetadataDepth {
				return errors.New("nested too deeply")
			}
			f := frame{}
			if tok == json.Delim('{') {
				f = frame{names: map[string]bool{}, name: true}
			}
			stack = append(stack, f)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return nil
		}
	}
}

// validEscapes reports whether every \u escape in the JSON text js (which
// must be valid JSON, so that each backslash starts an escape inside a
// string) names a scalar value: a surrogate must be a high one followed by
// an escaped low one. encoding/json would turn a lone one into U+FFFD.
func validEscapes(js []byte) bool {
	for i := 0; i < len(js); i++ {
		if js[i] != '\\' {
			continue
		}
		if js[i+1] != 'u' {
			i++
			continue
		}
		r := hex4(js[i+2 : i+6])
		i += 5
		switch {
		case utf16.IsSurrogate(r) && r < 0xdc00:
			if i+6 >= len(js) || js[i+1] != '\\' || js[i+2] != 'u' {
				return false
			}
			if lo := hex4(js[i+3 : i+7]); lo < 0xdc00 || lo > 0xdfff {
				return false
			}
			i += 6
		case utf16.IsSurrogate(r):
			return false
		}
	}
	return true
}

// hex4 decodes four hex digits, which valid JSON guarantees after \u.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}
