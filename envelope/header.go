package envelope

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sealkit/sealkit/internal/stream"
)

// Format constants. SPEC.md is the normative description.
const (
	headerMagic  = "SKEV" // envelope header
	recordMagic  = "SKWK" // detached wrapped-key record
	formatV1     = 1
	saltSize     = 32
	macSize      = sha256.Size
	maxTypeLen   = 32
	maxHintLen   = 255
	maxBodyLen   = 65535
	fixedHdrSize = 4 + 1 + 1 + 4 + saltSize + 2 // through the stanza count

	// MaxHeaderSize caps the bytes read before a header is parsed.
	MaxHeaderSize = 1 << 20
	// MaxStanzas caps the recipient stanzas of one header or record.
	MaxStanzas = 1024
	// MaxMetadataSize caps the sealed metadata block.
	MaxMetadataSize = 64 << 10
)

// Key-derivation labels: HKDF-SHA256 info strings, one per purpose.
const (
	labelPayload   = "sealkit/envelope/v1/payload"
	labelHeaderMAC = "sealkit/envelope/v1/header-mac"
	labelMetadata  = "sealkit/envelope/v1/metadata"
)

// Suite selects how payload segments are sealed; see SPEC.md.
type Suite byte

const (
	// SuiteDefault lets Seal choose: SuiteStream, or SuiteRandomNonce when
	// Go's FIPS 140-3 mode is enforced.
	SuiteDefault Suite = 0
	// SuiteStream: AES-256-GCM segments with nonce = counter || last flag.
	SuiteStream Suite = Suite(stream.SuiteCounterNonce)
	// SuiteRandomNonce: AES-256-GCM segments with a random 96-bit nonce each
	// and counter || last flag as associated data, the construction Go's
	// FIPS 140-3 module allows under GODEBUG=fips140=only.
	SuiteRandomNonce Suite = Suite(stream.SuiteRandomNonce)
)

// Header is a parsed envelope header. Until it is authenticated (by Open,
// Unwrap or Verify) its contents are attacker-controlled.
type Header struct {
	suite       Suite
	segmentSize int
	salt        []byte
	stanzas     []*Stanza
	metadata    []byte // sealed metadata block, nil if none
	raw         []byte // the header bytes, MAC last
}

// Suite returns the payload suite.
func (h *Header) Suite() Suite { return h.suite }

// SegmentSize returns the plaintext segment size of the payload.
func (h *Header) SegmentSize() int { return h.segmentSize }

// Len returns the header's length in bytes: the payload starts there.
func (h *Header) Len() int { return len(h.raw) }

// Bytes returns a copy of the header's encoding.
func (h *Header) Bytes() []byte { return bytes.Clone(h.raw) }

// Stanzas returns copies of the recipient stanzas.
func (h *Header) Stanzas() []*Stanza { return cloneStanzas(h.stanzas) }

func cloneStanzas(ss []*Stanza) []*Stanza {
	out := make([]*Stanza, len(ss))
	for i, s := range ss {
		out[i] = &Stanza{Type: s.Type, Hint: bytes.Clone(s.Hint), Body: bytes.Clone(s.Body)}
	}
	return out
}

// ParseHeader parses the header at the start of b; b may hold the payload too.
func ParseHeader(b []byte) (*Header, error) {
	return ReadHeader(bytes.NewReader(b))
}

// ReadHeader reads exactly one header from r, leaving r at the payload.
func ReadHeader(r io.Reader) (*Header, error) {
	p := &parser{r: r, left: MaxHeaderSize}
	if err := p.preamble(headerMagic, "envelope"); err != nil {
		return nil, err
	}
	h := &Header{}
	h.suite = Suite(p.u8())
	seg := p.u32()
	h.salt = p.bytes(saltSize)
	if p.err != nil {
		return nil, p.err
	}
	if h.suite != SuiteStream && h.suite != SuiteRandomNonce {
		return nil, fmt.Errorf("%w: payload suite %d", ErrUnsupported, h.suite)
	}
	if seg < stream.MinSegmentSize || seg > stream.MaxSegmentSize {
		return nil, corrupt(fmt.Sprintf("segment size %d outside [%d, %d]", seg, stream.MinSegmentSize, stream.MaxSegmentSize))
	}
	h.segmentSize = int(seg)
	h.stanzas = p.stanzas()
	mlen := p.u32()
	if p.err == nil && mlen > MaxMetadataSize {
		return nil, corrupt("metadata block over the limit")
	}
	if mlen > 0 {
		h.metadata = p.bytes(int(mlen))
	}
	p.bytes(macSize)
	if p.err != nil {
		return nil, p.err
	}
	h.raw = p.buf.Bytes()
	return h, nil
}

// parser reads length-prefixed fields, keeping a copy of every byte and
// refusing to read more than left bytes in all.
type parser struct {
	r    io.Reader
	buf  bytes.Buffer
	left int
	err  error
}

func (p *parser) bytes(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n > p.left {
		p.err = corrupt("header over the size limit")
		return nil
	}
	p.left -= n
	start := p.buf.Len()
	p.buf.Grow(n)
	if _, err := io.CopyN(&p.buf, p.r, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			p.err = corrupt("truncated header")
		} else {
			p.err = err
		}
		return nil
	}
	return p.buf.Bytes()[start : start+n : start+n]
}

// preamble reads and checks a magic number and the format version; what
// names the format in errors.
func (p *parser) preamble(magic, what string) error {
	m := p.bytes(len(magic))
	version := p.u8()
	switch {
	case p.err != nil:
		return p.err
	case string(m) != magic:
		return corrupt("not a sealkit " + what + " (bad magic)")
	case version != formatV1:
		return fmt.Errorf("%w: %s version %d", ErrUnsupported, what, version)
	}
	return nil
}

func (p *parser) u8() byte {
	if b := p.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (p *parser) u16() uint16 {
	if b := p.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (p *parser) u32() uint32 {
	if b := p.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// stanzas reads a stanza count and that many stanzas.
func (p *parser) stanzas() []*Stanza {
	n := int(p.u16())
	if p.err != nil {
		return nil
	}
	if n > MaxStanzas {
		p.err = corrupt(fmt.Sprintf("%d stanzas, more than %d", n, MaxStanzas))
		return nil
	}
	out := make([]*Stanza, 0, min(n, 64))
	for range n {
		typ := p.bytes(int(p.u8()))
		hint := p.bytes(int(p.u8()))
		body := p.bytes(int(p.u16()))
		if p.err != nil {
			return nil
		}
		if !validType(string(typ)) {
			p.err = corrupt("invalid stanza type")
			return nil
		}
		out = append(out, &Stanza{Type: string(typ), Hint: hint, Body: body})
	}
	return out
}

// validType reports whether t is 1 to 32 characters of [a-z0-9-].
func validType(t string) bool {
	if len(t) == 0 || len(t) > maxTypeLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// appendStanzas appends a stanza count and the stanzas.
func appendStanzas(b []byte, ss []*Stanza) ([]byte, error) {
	if len(ss) > MaxStanzas {
		return nil, fmt.Errorf("envelope: %d stanzas, more than %d", len(ss), MaxStanzas)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(ss)))
	for _, s := range ss {
		if !validType(s.Type) || len(s.Hint) > maxHintLen || len(s.Body) > maxBodyLen {
			return nil, fmt.Errorf("envelope: recipient produced an invalid stanza (type %q)", s.Type)
		}
		b = append(b, byte(len(s.Type)))
		b = append(b, s.Type...)
		b = append(b, byte(len(s.Hint)))
		b = append(b, s.Hint...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Body)))
		b = append(b, s.Body...)
	}
	return b, nil
}

// buildHeader encodes a header and its MAC under key.
func buildHeader(suite Suite, seg int, salt []byte, stanzas []*Stanza, metadata []byte, key *Key, ad []byte) (*Header, error) {
	b := make([]byte, 0, 256)
	b = append(b, headerMagic...)
	b = append(b, formatV1, byte(suite))
	b = binary.BigEndian.AppendUint32(b, uint32(seg))
	b = append(b, salt...)
	b, err := appendStanzas(b, stanzas)
	if err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(metadata)))
	b = append(b, metadata...)
	b = append(b, headerMAC(key, salt, b, ad)...)
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("envelope: header of %d bytes over the %d limit", len(b), MaxHeaderSize)
	}
	return ParseHeader(b)
}

// headerMAC is HMAC-SHA256(HKDF(key, salt, labelHeaderMAC), body || uint64be(len(ad)) || ad).
func headerMAC(key *Key, salt, body, ad []byte) []byte {
	mk := key.derive(salt, labelHeaderMAC)
	defer clear(mk)
	m := hmac.New(sha256.New, mk)
	m.Write(body)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(ad))))
	m.Write(ad)
	return m.Sum(nil)
}

// Verify checks that key and the associated data ad authenticate the header:
// that key is the file key its sender committed to and nothing in the
// header changed.
func (h *Header) Verify(key *Key, ad []byte) error {
	body, mac := h.raw[:len(h.raw)-macSize], h.raw[len(h.raw)-macSize:]
	if !hmac.Equal(headerMAC(key, h.salt, body, ad), mac) {
		return corrupt("header authentication failed (changed header, wrong associated data, or wrong key)")
	}
	return nil
}

// Unwrap finds the file key with the first identity that matches a stanza
// and authenticates the header with it and ad.
func (h *Header) Unwrap(ad []byte, identities ...Identity) (*Key, error) {
	key, err := unwrapStanzas(h.stanzas, identities)
	if err != nil {
		return nil, err
	}
	if err := h.Verify(key, ad); err != nil {
		key.Destroy()
		return nil, err
	}
	return key, nil
}

// unwrapStanzas returns the file key from the first identity that unwraps.
// A passphrase stanza beside any other stanza is refused first, whatever the
// identities (SPEC.md §3, §7): so the rule binds every opener, not only one
// holding a passphrase, and a hostile header costs at most one KDF run.
func unwrapStanzas(stanzas []*Stanza, identities []Identity) (*Key, error) {
	if len(stanzas) > 1 {
		for _, s := range stanzas {
			if s.Type == pbkdf2Type || s.Type == argon2idType {
				return nil, corrupt("a passphrase stanza must be the only stanza")
			}
		}
	}
	nomatch := &NoIdentityMatchError{}
	for _, s := range stanzas {
		nomatch.StanzaTypes = append(nomatch.StanzaTypes, s.Type)
	}
	for _, id := range identities {
		fk, err := id.Unwrap(cloneStanzas(stanzas))
		if errors.Is(err, ErrIncorrectIdentity) {
			nomatch.Errors = append(nomatch.Errors, err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		key, err := NewKeyFromBytes(fk)
		clear(fk)
		if err != nil {
			return nil, corrupt("unwrapped file key of the wrong size")
		}
		return key, nil
	}
	return nil, nomatch
}
