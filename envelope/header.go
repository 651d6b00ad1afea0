package envelope

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

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

// cloneStanzas copies ss in three allocations, whatever their number:
// identities may keep or change what they are given.
func cloneStanzas(ss []*Stanza) []*Stanza {
	if len(ss) == 0 {
		return nil
	}
	n := 0
	for _, s := range ss {
		n += len(s.Hint) + len(s.Body)
	}
	data := make([]byte, 0, n)
	vals := make([]Stanza, len(ss))
	out := make([]*Stanza, len(ss))
	for i, s := range ss {
		vals[i].Type = s.Type
		if s.Hint != nil {
			data = append(data, s.Hint...)
			vals[i].Hint = data[len(data)-len(s.Hint) : len(data) : len(data)]
		}
		if s.Body != nil {
			data = append(data, s.Body...)
			vals[i].Body = data[len(data)-len(s.Body) : len(data) : len(data)]
		}
		out[i] = &vals[i]
	}
	return out
}

// ParseHeader parses the header at the start of b; b may hold the payload
// too. The Header holds a copy of the header's bytes.
func ParseHeader(b []byte) (*Header, error) {
	n, err := headerLen(b)
	if err != nil {
		return nil, err
	}
	return parseHeader(bytes.Clone(b[:n]))
}

// ReadHeader reads exactly one header from r, leaving r at the payload.
func ReadHeader(r io.Reader) (*Header, error) {
	p := &parser{r: r, left: MaxHeaderSize, buf: make([]byte, 0, 512)}
	if _, err := p.header(false); err != nil {
		return nil, err
	}
	return parseHeader(p.buf)
}

// headerLen checks the header at the start of b and returns its length,
// allocating nothing.
func headerLen(b []byte) (int, error) {
	p := &parser{src: b, left: MaxHeaderSize}
	if _, err := p.header(false); err != nil {
		return 0, err
	}
	return p.off, nil
}

// parseHeader parses the header at the start of b into a Header whose
// fields point into b, which must not change while the Header is in use.
func parseHeader(b []byte) (*Header, error) {
	p := &parser{src: b, left: MaxHeaderSize}
	return p.header(true)
}

// headerStore is room for a parsed header and a few stanzas, so that a
// one-shot Open parses its header without allocating.
type headerStore struct {
	h    Header
	vals [4]Stanza
	ptrs [4]*Stanza
}

// parseHeaderInto is parseHeader into st when its stanzas fit. The Header
// points into st as well as into b.
func parseHeaderInto(b []byte, st *headerStore) (*Header, error) {
	p := &parser{src: b, left: MaxHeaderSize, store: st}
	return p.header(true)
}

// header parses one header; unless build is set, it only checks it and
// returns nil. The checks and their order are those of SPEC.md §2.
func (p *parser) header(build bool) (*Header, error) {
	if err := p.preamble(headerMagic, "envelope"); err != nil {
		return nil, err
	}
	suite := Suite(p.u8())
	seg := p.u32()
	salt := p.bytes(saltSize)
	if p.err != nil {
		return nil, p.err
	}
	if suite != SuiteStream && suite != SuiteRandomNonce {
		return nil, fmt.Errorf("%w: payload suite %d", ErrUnsupported, suite)
	}
	if seg < stream.MinSegmentSize || seg > stream.MaxSegmentSize {
		return nil, corrupt(fmt.Sprintf("segment size %d outside [%d, %d]", seg, stream.MinSegmentSize, stream.MaxSegmentSize))
	}
	p.build = build
	stanzas := p.stanzas()
	mlen := p.u32()
	if p.err == nil && mlen > MaxMetadataSize {
		return nil, corrupt("metadata block over the limit")
	}
	var meta []byte
	if mlen > 0 {
		meta = p.bytes(int(mlen))
	}
	p.bytes(macSize)
	if p.err != nil {
		return nil, p.err
	}
	if !build {
		return nil, nil
	}
	var h *Header
	if p.store != nil {
		h = &p.store.h
	} else {
		h = new(Header)
	}
	*h = Header{suite: suite, segmentSize: int(seg), salt: salt, stanzas: stanzas, metadata: meta, raw: p.src[:p.off:p.off]}
	return h, nil
}

// parser reads length-prefixed fields, from src or, if r is set, from r
// (keeping a copy of every byte in buf), refusing to read more than left
// bytes in all.
type parser struct {
	src   []byte
	off   int // bytes of src consumed
	r     io.Reader
	buf   []byte
	left  int
	build bool         // stanzas builds the stanzas rather than only checking them
	store *headerStore // if set, where to build the header and its stanzas
	err   error
}

// bytes returns the next n bytes, pointing into src or buf.
func (p *parser) bytes(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n > p.left {
		p.err = corrupt("header over the size limit")
		return nil
	}
	p.left -= n
	if p.r == nil {
		if n > len(p.src)-p.off {
			p.err = corrupt("truncated header")
			return nil
		}
		b := p.src[p.off : p.off+n : p.off+n]
		p.off += n
		return b
	}
	start := len(p.buf)
	p.buf = slices.Grow(p.buf, n)[:start+n]
	if _, err := io.ReadFull(p.r, p.buf[start:]); err != nil {
		p.buf = p.buf[:start]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			p.err = corrupt("truncated header")
		} else {
			p.err = err
		}
		return nil
	}
	return p.buf[start : start+n : start+n]
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

// stanzaChunk is how many stanzas are allocated at a time, so that a
// header announcing many stanzas costs memory only for those it holds.
const stanzaChunk = 64

// stanzas reads a stanza count and that many stanzas; it returns them if
// p.build is set. Their Hint and Body point into what was parsed.
func (p *parser) stanzas() []*Stanza {
	n := int(p.u16())
	if p.err != nil {
		return nil
	}
	if n > MaxStanzas {
		p.err = corrupt(fmt.Sprintf("%d stanzas, more than %d", n, MaxStanzas))
		return nil
	}
	var out []*Stanza
	var vals []Stanza
	if st := p.store; p.build && st != nil && n <= len(st.ptrs) {
		out, vals = st.ptrs[:0], st.vals[:n]
	} else if p.build && n > 0 {
		out = make([]*Stanza, 0, min(n, stanzaChunk))
	}
	for i := range n {
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
		if !p.build {
			continue
		}
		if len(vals) == 0 {
			vals = make([]Stanza, min(n-i, stanzaChunk))
		}
		s := &vals[0]
		vals = vals[1:]
		*s = Stanza{Type: stanzaType(typ), Hint: hint, Body: body}
		out = append(out, s)
	}
	return out
}

// stanzaType returns typ as a string, without allocating for the types
// this package knows.
func stanzaType(typ []byte) string {
	switch string(typ) {
	case kekType:
		return kekType
	case aeadType:
		return aeadType
	case x25519Type:
		return x25519Type
	case hybridType:
		return hybridType
	case rsaType:
		return rsaType
	case pbkdf2Type:
		return pbkdf2Type
	case argon2idType:
		return argon2idType
	}
	return string(typ)
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

// appendHeader appends a header for a fresh payload to dst, with the fresh
// random salt given, and its MAC under the schedule it starts for key (so
// that the caller can derive the payload key next).
func appendHeader(dst []byte, suite Suite, seg int, salt []byte, stanzas []*Stanza, key *Key, ks *keySchedule, meta *Metadata, ad []byte) ([]byte, error) {
	start := len(dst)
	b := append(dst, headerMagic...)
	b = append(b, formatV1, byte(suite))
	b = binary.BigEndian.AppendUint32(b, uint32(seg))
	b = append(b, salt...)
	return finishHeader(b, start, b[len(b)-saltSize:], stanzas, key, ks, meta, nil, ad)
}

// finishHeader appends the stanzas, the metadata block (sealed from meta, or
// sealed already) and the MAC to the header begun at b[start:].
func finishHeader(b []byte, start int, salt []byte, stanzas []*Stanza, key *Key, ks *keySchedule, meta *Metadata, sealedMeta []byte, ad []byte) ([]byte, error) {
	b, err := appendStanzas(b, stanzas)
	if err != nil {
		return nil, err
	}
	if meta != nil {
		if sealedMeta, err = sealMetadata(key, salt, meta); err != nil {
			return nil, err
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(sealedMeta)))
	b = append(b, sealedMeta...)
	ks.extract(key.k[:], salt)
	b = ks.headerMAC(b, b[start:], ad)
	if n := len(b) - start; n > MaxHeaderSize {
		return nil, fmt.Errorf("envelope: header of %d bytes over the %d limit", n, MaxHeaderSize)
	}
	return b, nil
}

// buildHeader encodes a header with the given fields and its MAC under key.
func buildHeader(suite Suite, seg int, salt []byte, stanzas []*Stanza, metadata []byte, key *Key, ad []byte) (*Header, error) {
	b := make([]byte, 0, 256)
	b = append(b, headerMagic...)
	b = append(b, formatV1, byte(suite))
	b = binary.BigEndian.AppendUint32(b, uint32(seg))
	b = append(b, salt...)
	ks := &keySchedule{}
	defer ks.destroy()
	b, err := finishHeader(b, 0, salt, stanzas, key, ks, nil, metadata, ad)
	if err != nil {
		return nil, err
	}
	return parseHeader(b)
}

// Verify checks that key and the associated data ad authenticate the header:
// that key is the file key its sender committed to and nothing in the
// header changed.
func (h *Header) Verify(key *Key, ad []byte) error {
	ks := &keySchedule{}
	defer ks.destroy()
	return h.verify(key, ks, ad)
}

// verify is Verify that leaves ks started for key.
func (h *Header) verify(key *Key, ks *keySchedule, ad []byte) error {
	body, mac := h.raw[:len(h.raw)-macSize], h.raw[len(h.raw)-macSize:]
	ks.extract(key.k[:], h.salt)
	if !hmac.Equal(ks.headerMAC(ks.sum[:0], body, ad), mac) {
		return corrupt("header authentication failed (changed header, wrong associated data, or wrong key)")
	}
	return nil
}

// Unwrap finds the file key with the first identity that matches a stanza
// and authenticates the header with it and ad.
func (h *Header) Unwrap(ad []byte, identities ...Identity) (*Key, error) {
	key := &Key{}
	if err := unwrapStanzas(key, h.stanzas, identities); err != nil {
		return nil, err
	}
	if err := h.Verify(key, ad); err != nil {
		key.Destroy()
		return nil, err
	}
	return key, nil
}

// stanzaBorrower is implemented by this package's identities that neither
// keep nor change the stanzas given to Unwrap: unwrapStanzas gives them the
// header's own instead of copies. Any other Identity gets copies.
type stanzaBorrower interface {
	Identity
	borrowsStanzas()
}

var (
	_ stanzaBorrower = (*KEK)(nil)
	_ stanzaBorrower = (*X25519Identity)(nil)
	_ stanzaBorrower = (*HybridIdentity)(nil)
	_ stanzaBorrower = (*RSAIdentity)(nil)
)

// unwrapStanzas sets key to the file key from the first identity that
// unwraps. A passphrase stanza beside any other stanza is refused first,
// whatever the identities (SPEC.md §3, §7): so the rule binds every opener,
// not only one holding a passphrase, and a hostile header costs at most
// one KDF run.
func unwrapStanzas(key *Key, stanzas []*Stanza, identities []Identity) error {
	if len(stanzas) > 1 {
		for _, s := range stanzas {
			if s.Type == pbkdf2Type || s.Type == argon2idType {
				return corrupt("a passphrase stanza must be the only stanza")
			}
		}
	}
	var errs []error
	for _, id := range identities {
		given := stanzas
		if _, ok := id.(stanzaBorrower); !ok {
			given = cloneStanzas(stanzas)
		}
		fk, err := id.Unwrap(given)
		if errors.Is(err, ErrIncorrectIdentity) {
			errs = append(errs, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		n := copy(key.k[:], fk)
		clear(fk)
		if n != KeySize || len(fk) != KeySize {
			key.Destroy()
			return corrupt("unwrapped file key of the wrong size")
		}
		return nil
	}
	nomatch := &NoIdentityMatchError{Errors: errs}
	for _, s := range stanzas {
		nomatch.StanzaTypes = append(nomatch.StanzaTypes, s.Type)
	}
	return nomatch
}
