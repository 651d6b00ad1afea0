package envelope

import (
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"hash"
)

// keySchedule derives an envelope's keys from its file key and salt
// (SPEC.md §1): one HKDF-SHA256 Extract (RFC 5869), then an Expand of one
// 32-byte block per label, and the header MAC under the derived MAC key.
//
// Outside Go's FIPS 140-3 mode it computes HMAC-SHA256 with [sha256HMAC],
// over one reused SHA-256 state, instead of calling crypto/hkdf and
// crypto/hmac: those allocate five or six objects per key, and an envelope
// needs three HMAC keys (the salt, the PRK, the header MAC key). Through
// them the schedule alone made 19 allocations, measured, more than the
// whole of the rest of a small envelope. In FIPS 140-3 mode
// (fips140.Enabled) every derivation goes through crypto/hkdf and
// crypto/hmac, so that it stays inside the validated module. Tests hold
// both paths to crypto/hmac, crypto/hkdf and the RFC 4231 and RFC 5869
// known answers.
//
// Every Expand is an HMAC under the same PRK, so extract also hashes the
// PRK's two padded key blocks once and keeps the two SHA-256 states, which
// each Expand restores instead of hashing them again: two compressions
// instead of four per label.
type keySchedule struct {
	prk [sha256.Size]byte
	tmp [sha256.Size]byte
	mac sha256HMAC
	msg [8]byte       // the associated data's length
	sum [macSize]byte // room for a header MAC to compare

	// The states after (PRK ⊕ ipad) and after (PRK ⊕ opad), marshaled.
	prkInner, prkOuter [sha256StateSize]byte
}

// sha256StateSize is the size of a marshaled SHA-256 state.
const sha256StateSize = 108

// extract starts the schedule: prk = HKDF-Extract(salt, ikm).
func (s *keySchedule) extract(ikm, salt []byte) {
	if fips140.Enabled() {
		prk, err := hkdf.Extract(sha256.New, ikm, salt)
		if err != nil {
			panic("envelope: HKDF failed: " + err.Error()) // only for invalid lengths
		}
		copy(s.prk[:], prk)
		clear(prk)
		return
	}
	s.mac.start(salt)
	s.mac.d.Write(ikm)
	s.mac.finish(s.prk[:0])
	s.mac.start(s.prk[:]) // hashes PRK ⊕ ipad
	s.mac.save(&s.prkInner)
	s.mac.padWith(&opad)
	s.mac.d.Reset()
	s.mac.d.Write(s.mac.pad[:])
	s.mac.save(&s.prkOuter)
	s.mac.destroy()
}

// hkdfCounterOne is the block counter of HKDF-Expand's first and only block.
var hkdfCounterOne = []byte{1}

// expand sets out to HKDF-Expand(prk, label, 32): T(1) of RFC 5869 §2.3.
func (s *keySchedule) expand(out *[32]byte, label string) {
	if fips140.Enabled() {
		k, err := hkdf.Expand(sha256.New, s.prk[:], label, len(out))
		if err != nil {
			panic("envelope: HKDF failed: " + err.Error())
		}
		copy(out[:], k)
		clear(k)
		return
	}
	m := &s.mac
	m.restore(&s.prkInner)
	if n := copy(m.chunk[:], label); n == len(label) && n < len(m.chunk) {
		m.chunk[n] = hkdfCounterOne[0] // label || counter in one write
		m.d.Write(m.chunk[:n+1])
	} else {
		m.writeString(label)
		m.d.Write(hkdfCounterOne)
	}
	inner := m.d.Sum(m.inner[:0])
	m.restore(&s.prkOuter)
	m.d.Write(inner)
	m.d.Sum(out[:0])
	m.destroy()
}

// headerMAC appends HMAC-SHA256(mac_key, body || uint64be(len(ad)) || ad).
func (s *keySchedule) headerMAC(out, body, ad []byte) []byte {
	s.expand(&s.tmp, labelHeaderMAC)
	defer clear(s.tmp[:])
	binary.BigEndian.PutUint64(s.msg[:], uint64(len(ad)))
	if fips140.Enabled() {
		m := hmac.New(sha256.New, s.tmp[:])
		m.Write(body)
		m.Write(s.msg[:])
		m.Write(ad)
		return m.Sum(out)
	}
	s.mac.start(s.tmp[:])
	s.mac.d.Write(body)
	s.mac.d.Write(s.msg[:])
	s.mac.d.Write(ad)
	return s.mac.finish(out)
}

// destroy clears the schedule's secrets. Best effort, as Key.Destroy.
func (s *keySchedule) destroy() {
	clear(s.prk[:])
	clear(s.tmp[:])
	clear(s.prkInner[:])
	clear(s.prkOuter[:])
	s.mac.destroy()
}

// sha256HMAC is HMAC-SHA256 exactly as RFC 2104 defines it, composed from
// crypto/sha256 alone and reusable for one key after another without
// allocating: H((K ⊕ opad) || H((K ⊕ ipad) || message)), where K is the key
// zero-padded to the block size, or its hash if it is longer than a block.
// It is used outside FIPS 140-3 mode only; see [keySchedule].
type sha256HMAC struct {
	d     sha256State // SHA-256, reused; nil until first use
	key   [sha256.BlockSize]byte
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
	chunk [sha256.BlockSize]byte // for writeString
}

// start begins a MAC under key; the message follows through m.d.
func (m *sha256HMAC) start(key []byte) {
	if m.d == nil {
		m.d = sha256.New().(sha256State)
	}
	clear(m.key[:])
	if len(key) > sha256.BlockSize {
		m.d.Reset()
		m.d.Write(key)
		m.d.Sum(m.key[:0])
	} else {
		copy(m.key[:], key)
	}
	m.padWith(&ipad)
	m.d.Reset()
	m.d.Write(m.pad[:])
}

// writeString writes label to the message through a buffer in m: a
// string converted to []byte for a hash.Hash would escape and allocate.
func (m *sha256HMAC) writeString(label string) {
	for len(label) > 0 {
		n := copy(m.chunk[:], label)
		m.d.Write(m.chunk[:n])
		label = label[n:]
	}
}

// finish appends the MAC begun by start to out and clears the key.
func (m *sha256HMAC) finish(out []byte) []byte {
	inner := m.d.Sum(m.inner[:0])
	m.padWith(&opad)
	m.d.Reset()
	m.d.Write(m.pad[:])
	m.d.Write(inner)
	out = m.d.Sum(out)
	m.destroy()
	return out
}

// HMAC's inner and outer pads (RFC 2104 §2), a block of each.
var ipad, opad = padBlock(0x36), padBlock(0x5c)

func padBlock(b byte) (p [sha256.BlockSize]byte) {
	for i := range p {
		p[i] = b
	}
	return p
}

// padWith sets pad to the padded key ⊕ p, a word at a time: for one block,
// subtle.XORBytes costs more in its call than in its work.
func (m *sha256HMAC) padWith(p *[sha256.BlockSize]byte) {
	for i := 0; i < sha256.BlockSize; i += 8 {
		k := binary.LittleEndian.Uint64(m.key[i : i+8])
		binary.LittleEndian.PutUint64(m.pad[i:i+8], k^binary.LittleEndian.Uint64(p[i:i+8]))
	}
}

// sha256State is what crypto/sha256's digest implements beside hash.Hash:
// its state can be saved and restored, without allocating.
type sha256State interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// save marshals the hash state into st.
func (m *sha256HMAC) save(st *[sha256StateSize]byte) {
	if b, err := m.d.AppendBinary(st[:0]); err != nil || len(b) != len(st) || &b[0] != &st[0] {
		panic("envelope: unexpected SHA-256 state encoding")
	}
}

// restore sets the hash state to one saved by save, after start.
func (m *sha256HMAC) restore(st *[sha256StateSize]byte) {
	if err := m.d.UnmarshalBinary(st[:]); err != nil {
		panic("envelope: unexpected SHA-256 state encoding")
	}
}

// destroy clears the key and the hash state that depends on it.
func (m *sha256HMAC) destroy() {
	clear(m.key[:])
	clear(m.pad[:])
	clear(m.inner[:])
	clear(m.chunk[:])
	if m.d != nil {
		m.d.Reset()
	}
}
