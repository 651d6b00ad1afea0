// Package stream implements the segmented AEAD payload of a sealkit envelope:
// a STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, 2015) over
// AES-256-GCM. The plaintext is cut into segments of a fixed size; each is
// sealed with a 12-byte position block P(i, last) = uint88be(i) || last,
// which binds the segment's index and whether it is the final one, so that
// truncation, reordering, duplication and appending are all detected.
//
// Two suites place the position block differently:
//
//   - SuiteCounterNonce: P is the GCM nonce and the associated data is empty.
//     A segment costs 16 bytes (the tag). This is the default.
//   - SuiteRandomNonce: the GCM nonce is 12 fresh random bytes stored in front
//     of the segment and P is the associated data. A segment costs 28 bytes.
//     It exists because Go's FIPS 140-3 module, when enforced
//     (GODEBUG=fips140=only), refuses caller-chosen GCM nonces.
//
// Memory is O(segment size × concurrency) whatever the payload length.
package stream

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
)

// Suite selects how the position block is bound to a segment.
type Suite byte

// The suites an envelope header may name.
const (
	// SuiteCounterNonce: each segment's nonce is its position block.
	SuiteCounterNonce Suite = 1
	// SuiteRandomNonce: each segment carries a random nonce, and its
	// position block is bound as associated data.
	SuiteRandomNonce Suite = 2
)

const (
	// KeySize is the payload key size: AES-256.
	KeySize = 32
	// TagSize is the GCM tag size.
	TagSize = 16
	// NonceSize is the GCM nonce size and the size of a position block.
	NonceSize = 12

	// MinSegmentSize and MaxSegmentSize bound the plaintext segment size an
	// envelope may declare. The upper bound caps the memory a hostile
	// envelope can make a reader allocate.
	MinSegmentSize = 64
	// MaxSegmentSize is 16 MiB.
	MaxSegmentSize = 16 << 20
	// DefaultSegmentSize is 64 KiB, as in age and Tink's streaming AEAD.
	DefaultSegmentSize = 64 << 10

	// maxRandomNonceSegments caps the number of segments sealed under one key
	// with random nonces, the bound NIST SP 800-38D §8.3 sets for RBG-based IVs.
	maxRandomNonceSegments = 1 << 32
)

// ErrCorrupt is returned for a payload that is truncated, reordered,
// extended or otherwise fails authentication.
var ErrCorrupt = errors.New("payload corrupt or tampered")

// Cipher seals and opens the segments of one payload.
type Cipher struct {
	suite   Suite
	segSize int
	aead    cipher.AEAD
}

// New returns a Cipher for the payload key, suite and plaintext segment size.
func New(key []byte, suite Suite, segmentSize int) (*Cipher, error) {
	c := new(Cipher)
	if err := c.Init(key, suite, segmentSize); err != nil {
		return nil, err
	}
	return c, nil
}

// Init sets c up as New does, for a Cipher held in the caller's memory.
func (c *Cipher) Init(key []byte, suite Suite, segmentSize int) error {
	if len(key) != KeySize {
		return errors.New("stream: payload key must be 32 bytes")
	}
	if segmentSize < MinSegmentSize || segmentSize > MaxSegmentSize {
		return fmt.Errorf("stream: segment size %d outside [%d, %d]", segmentSize, MinSegmentSize, MaxSegmentSize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	var aead cipher.AEAD
	switch suite {
	case SuiteCounterNonce:
		aead, err = cipher.NewGCM(block)
	case SuiteRandomNonce:
		aead, err = cipher.NewGCMWithRandomNonce(block)
	default:
		return fmt.Errorf("stream: unknown suite %d", suite)
	}
	if err != nil {
		return err
	}
	*c = Cipher{suite: suite, segSize: segmentSize, aead: aead}
	return nil
}

// SegmentSize is the plaintext size of every segment but the last.
func (c *Cipher) SegmentSize() int { return c.segSize }

// Overhead is the number of bytes a segment's ciphertext adds to its plaintext.
func (c *Cipher) Overhead() int {
	if c.suite == SuiteRandomNonce {
		return NonceSize + TagSize
	}
	return TagSize
}

// sealedSegmentSize is the ciphertext size of a full segment.
func (c *Cipher) sealedSegmentSize() int { return c.segSize + c.Overhead() }

// Position is scratch space for a position block. Each goroutine sealing or
// opening segments owns one, so that no segment costs an allocation (a
// block passed to cipher.AEAD escapes to the heap).
type Position [NonceSize]byte

// set writes P(i, last).
func (p *Position) set(i uint64, last bool) {
	*p = Position{}
	binary.BigEndian.PutUint64(p[3:11], i)
	if last {
		p[11] = 1
	}
}

// Seal appends the sealed segment i to dst, using p as scratch. Callers
// check i with checkIndex first.
func (c *Cipher) Seal(dst, plaintext []byte, i uint64, last bool, p *Position) []byte {
	p.set(i, last)
	if c.suite == SuiteRandomNonce {
		return c.aead.Seal(dst, nil, plaintext, p[:])
	}
	return c.aead.Seal(dst, p[:], plaintext, nil)
}

// Open appends the plaintext of sealed segment i to dst, using p as scratch,
// or returns ErrCorrupt if it does not authenticate at that position.
func (c *Cipher) Open(dst, sealed []byte, i uint64, last bool, p *Position) ([]byte, error) {
	if len(sealed) < c.Overhead() || len(sealed) > c.sealedSegmentSize() {
		return nil, ErrCorrupt
	}
	p.set(i, last)
	var out []byte
	var err error
	if c.suite == SuiteRandomNonce {
		out, err = c.aead.Open(dst, nil, sealed, p[:])
	} else {
		out, err = c.aead.Open(dst, p[:], sealed, nil)
	}
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}

// checkIndex refuses a segment index the suite may not use.
func (c *Cipher) checkIndex(i uint64) error {
	if c.suite == SuiteRandomNonce && i >= maxRandomNonceSegments {
		return errors.New("stream: payload too large for the random-nonce suite")
	}
	if i == 1<<64-1 {
		return errors.New("stream: segment counter exhausted")
	}
	return nil
}

// SealedSize returns the payload ciphertext size for n plaintext bytes.
func (c *Cipher) SealedSize(n int64) int64 {
	segs := n / int64(c.segSize)
	if n%int64(c.segSize) != 0 || n == 0 {
		segs++
	}
	return n + segs*int64(c.Overhead())
}

// PlainSize returns the plaintext size of a payload ciphertext of size n and
// its number of segments, or ErrCorrupt if no payload has that size.
func (c *Cipher) PlainSize(n int64) (plain int64, segments int64, err error) {
	full := int64(c.sealedSegmentSize())
	ov := int64(c.Overhead())
	if n < ov {
		return 0, 0, ErrCorrupt
	}
	segments = (n + full - 1) / full
	lastLen := n - (segments-1)*full
	if lastLen < ov || (lastLen == ov && segments > 1) {
		// Only an empty payload may end in an empty segment.
		return 0, 0, ErrCorrupt
	}
	return n - segments*ov, segments, nil
}
