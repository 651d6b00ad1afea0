package envelope

import (
	"bytes"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/sealkit/sealkit/internal/stream"
)

// DefaultSegmentSize is the plaintext segment size Seal uses unless told.
const DefaultSegmentSize = stream.DefaultSegmentSize

// Segment size bounds, inclusive.
const (
	MinSegmentSize = stream.MinSegmentSize
	MaxSegmentSize = stream.MaxSegmentSize
)

// SealOptions tune sealing. The zero value (or nil) is a fresh key, no
// metadata, 64 KiB segments and one goroutine.
type SealOptions struct {
	// Key is the file key to seal under; nil means a fresh one. Set it when
	// the key is kept detached (see [WrapKey]): the envelope may then have no
	// recipients at all.
	Key *Key
	// Metadata, if set, is encrypted into the header.
	Metadata *Metadata
	// SegmentSize is the plaintext segment size, from MinSegmentSize to
	// MaxSegmentSize; 0 means DefaultSegmentSize.
	SegmentSize int
	// Concurrency is how many goroutines seal segments; 0 or 1 means one.
	// Values above runtime.GOMAXPROCS(0) only add overhead.
	Concurrency int
	// Suite is the payload suite; SuiteDefault picks one.
	Suite Suite
}

// OpenOptions tune opening. The zero value (or nil) needs identities.
type OpenOptions struct {
	// Key, if set, is used instead of unwrapping a stanza: for envelopes
	// whose key is kept detached. It must be the key the sender committed to.
	Key *Key
	// Concurrency is how many goroutines open segments; 0 or 1 means one.
	Concurrency int
}

// sealer is everything a sealed envelope needs before its payload, in one
// object: the fixed cost of a small envelope is mostly allocations. Sealers
// are pooled, with the SHA-256 state of their key schedule; their secrets
// are cleared before newSealer returns.
type sealer struct {
	key     Key
	ks      keySchedule
	cipher  stream.Cipher
	workers int
	pos     stream.Position
	hdr     [512]byte // room for the header of a few recipients
	// A fresh file key and salt, drawn in one crypto/rand.Read (a call
	// costs about as much as two SHA-256 blocks).
	random [KeySize + saltSize]byte
	// The stanza of a lone KEK recipient, which only the header's
	// encoding reads.
	kek kekStanza
}

var sealers = sync.Pool{New: func() any { return new(sealer) }}

// release returns s to the pool; the header newSealer returned, which may
// point into s, must no longer be in use.
func (s *sealer) release() {
	s.cipher, s.kek = stream.Cipher{}, kekStanza{}
	sealers.Put(s)
}

// newSealer builds the header and the payload cipher; the header it returns
// may point into the sealer. The caller releases the sealer.
func newSealer(ad []byte, opts *SealOptions, recipients []Recipient) (*sealer, []byte, error) {
	if opts == nil {
		opts = &SealOptions{}
	}
	if opts.Key == nil && len(recipients) == 0 {
		return nil, nil, errors.New("envelope: no recipients and no detached key: nobody could open it")
	}
	if err := CheckRecipients(recipients); err != nil {
		return nil, nil, err
	}
	suite := opts.Suite
	if suite == SuiteDefault {
		suite = SuiteStream
		if fips140.Enforced() {
			suite = SuiteRandomNonce
		}
	}
	if suite != SuiteStream && suite != SuiteRandomNonce {
		return nil, nil, fmt.Errorf("envelope: unknown suite %d", suite)
	}
	seg := opts.SegmentSize
	if seg == 0 {
		seg = DefaultSegmentSize
	}
	if seg < MinSegmentSize || seg > MaxSegmentSize {
		return nil, nil, fmt.Errorf("envelope: segment size %d outside [%d, %d]", seg, MinSegmentSize, MaxSegmentSize)
	}
	s := sealers.Get().(*sealer)
	s.workers = opts.Concurrency
	hdr, err := s.build(ad, opts, suite, seg, recipients)
	if err != nil {
		s.release()
		return nil, nil, err
	}
	return s, hdr, nil
}

// build is newSealer once the options are checked.
func (s *sealer) build(ad []byte, opts *SealOptions, suite Suite, seg int, recipients []Recipient) ([]byte, error) {
	defer s.ks.destroy()
	key := opts.Key
	salt := s.random[KeySize:]
	if key == nil {
		rand.Read(s.random[:])
		key = &s.key
		copy(key.k[:], s.random[:KeySize])
		clear(s.random[:KeySize])
		defer key.Destroy()
	} else {
		rand.Read(salt)
	}
	stanzas, err := s.wrapAll(key, recipients)
	if err != nil {
		return nil, err
	}
	hdr, err := appendHeader(s.hdr[:0], suite, seg, salt, stanzas, key, &s.ks, opts.Metadata, ad)
	if err != nil {
		return nil, err
	}
	if err := payloadCipher(&s.cipher, &s.ks, suite, seg); err != nil {
		return nil, err
	}
	return hdr, nil
}

// wrapAll wraps key for every recipient; a lone KEK's stanza lives in s.
func (s *sealer) wrapAll(key *Key, recipients []Recipient) ([]*Stanza, error) {
	if len(recipients) == 1 {
		if k, ok := recipients[0].(*KEK); ok {
			return k.wrapInto(&s.kek, key.k[:])
		}
	}
	return wrapAll(key, recipients)
}

// wrapAll wraps key for every recipient.
func wrapAll(key *Key, recipients []Recipient) ([]*Stanza, error) {
	if len(recipients) == 1 {
		return recipients[0].Wrap(key.k[:])
	}
	var stanzas []*Stanza
	for _, r := range recipients {
		ss, err := r.Wrap(key.k[:])
		if err != nil {
			return nil, err
		}
		stanzas = append(stanzas, ss...)
	}
	return stanzas, nil
}

// payloadCipher derives the payload key from a started schedule and sets
// c to the segment cipher.
func payloadCipher(c *stream.Cipher, ks *keySchedule, suite Suite, seg int) error {
	ks.expand(&ks.tmp, labelPayload)
	defer clear(ks.tmp[:])
	err := c.Init(ks.tmp[:], stream.Suite(suite), seg)
	if err != nil && suite == SuiteStream && fips140.Enforced() {
		return fmt.Errorf("%w: suite 1 (counter-nonce GCM) is refused under GODEBUG=fips140=only", ErrUnsupported)
	}
	return err
}

// heapCipher returns a copy of c that outlives the pooled sealer or opener
// holding c, for a stream.
func heapCipher(c *stream.Cipher) *stream.Cipher {
	h := *c
	return &h
}

// opener is the file key and key schedule that opening a header needs,
// pooled as sealers are; openHeader clears them before it returns. A
// one-shot Open also parses its header into it.
type opener struct {
	key    Key
	ks     keySchedule
	cipher stream.Cipher
	pos    stream.Position
	store  headerStore
}

var openers = sync.Pool{New: func() any { return new(opener) }}

func newOpener() *opener { return openers.Get().(*opener) }

// release returns o to the pool; a header parsed into it must no longer be
// in use.
func (o *opener) release() {
	o.cipher, o.store = stream.Cipher{}, headerStore{}
	openers.Put(o)
}

// openHeader authenticates h and returns its payload cipher, which lives
// in o, and its metadata.
func (o *opener) openHeader(h *Header, ad []byte, opts *OpenOptions, identities []Identity) (*stream.Cipher, *Metadata, error) {
	defer o.ks.destroy()
	key := opts.Key
	if key == nil {
		key = &o.key
		defer key.Destroy()
		if err := unwrapStanzas(key, h.stanzas, identities); err != nil {
			return nil, nil, err
		}
	}
	if err := h.verify(key, &o.ks, ad); err != nil {
		return nil, nil, err
	}
	meta, err := h.Metadata(key)
	if err != nil {
		return nil, nil, err
	}
	if err := payloadCipher(&o.cipher, &o.ks, h.suite, h.segmentSize); err != nil {
		return nil, nil, err
	}
	return &o.cipher, meta, nil
}

// Seal encrypts plaintext to the recipients and returns the envelope. The
// associated data ad is bound to the envelope by the header MAC but not
// stored: Open must be given the same bytes. Pass what ties the ciphertext
// to its place, such as an object ID and an owner, so that a server cannot
// swap ciphertexts between records; nil is the empty associated data.
func Seal(plaintext, ad []byte, opts *SealOptions, recipients ...Recipient) ([]byte, error) {
	return SealAppend(nil, plaintext, ad, opts, recipients...)
}

// SealAppend is [Seal] that appends the envelope to dst and returns the
// extended slice, as [crypto/cipher.AEAD.Seal] does: with enough spare capacity in
// dst it allocates no output buffer. dst and plaintext must not overlap.
func SealAppend(dst, plaintext, ad []byte, opts *SealOptions, recipients ...Recipient) ([]byte, error) {
	s, hdr, err := newSealer(ad, opts, recipients)
	if err != nil {
		return nil, err
	}
	defer s.release()
	dst = slices.Grow(dst, int(int64(len(hdr))+s.cipher.SealedSize(int64(len(plaintext)))))
	dst = append(dst, hdr...)
	return s.cipher.SealAll(dst, plaintext, s.workers, &s.pos)
}

// Open decrypts an envelope sealed with the associated data ad, with the
// first identity that matches (or opts.Key). It returns the whole plaintext
// or an error, never a part.
func Open(envelope, ad []byte, opts *OpenOptions, identities ...Identity) ([]byte, error) {
	return OpenAppend(nil, envelope, ad, opts, identities...)
}

// OpenAppend is [Open] that appends the plaintext to dst and returns the
// extended slice, as [crypto/cipher.AEAD.Open] does: with enough spare capacity in
// dst it allocates no output buffer. On failure dst's spare capacity may
// have been overwritten (with zeros, not plaintext). dst and envelope must
// not overlap.
func OpenAppend(dst, envelope, ad []byte, opts *OpenOptions, identities ...Identity) ([]byte, error) {
	out, _, err := openAppend(dst, envelope, ad, opts, identities)
	return out, err
}

// OpenWithMetadata is [Open] that also returns the envelope's metadata (nil
// if it has none).
func OpenWithMetadata(envelope, ad []byte, opts *OpenOptions, identities ...Identity) ([]byte, *Metadata, error) {
	return openAppend(nil, envelope, ad, opts, identities)
}

func openAppend(dst, envelope, ad []byte, opts *OpenOptions, identities []Identity) ([]byte, *Metadata, error) {
	opts = openOptions(opts)
	o := newOpener()
	defer o.release()
	h, err := parseHeaderInto(envelope, &o.store) // not kept past this call: no copy
	if err != nil {
		return nil, nil, err
	}
	c, meta, err := o.openHeader(h, ad, opts, identities)
	if err != nil {
		return nil, nil, err
	}
	pt, err := c.OpenAll(dst, envelope[h.Len():], opts.Concurrency, &o.pos)
	if err != nil {
		return nil, nil, corrupt("payload authentication failed (truncated, reordered, extended or changed)")
	}
	return pt, meta, nil
}

// openOptions returns opts, or the zero options for nil.
func openOptions(opts *OpenOptions) *OpenOptions {
	if opts == nil {
		return &OpenOptions{}
	}
	return opts
}

// Writer seals what is written to it. It must be closed: Close seals the
// final segment, and without it the envelope is truncated and will not open.
type Writer struct {
	w      *stream.Writer
	header *Header
}

// NewWriter writes an envelope header to dst and returns a Writer that seals
// the payload written to it, in memory O(segment size × concurrency). The
// associated data ad is bound as by [Seal].
func NewWriter(dst io.Writer, ad []byte, opts *SealOptions, recipients ...Recipient) (*Writer, error) {
	w, err := newPayloadWriter(dst, ad, opts, recipients)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(w.header.raw); err != nil {
		return nil, err
	}
	return w, nil
}

// NewPayloadWriter is [NewWriter] that writes only the payload to dst: the
// header, ready before anything is written, is [Writer.Header]. It is for
// stores that keep the header apart from the payload (a record and a blob).
// The envelope is the header's bytes followed by what dst received.
func NewPayloadWriter(dst io.Writer, ad []byte, opts *SealOptions, recipients ...Recipient) (*Writer, error) {
	return newPayloadWriter(dst, ad, opts, recipients)
}

func newPayloadWriter(dst io.Writer, ad []byte, opts *SealOptions, recipients []Recipient) (*Writer, error) {
	s, hdr, err := newSealer(ad, opts, recipients)
	if err != nil {
		return nil, err
	}
	defer s.release()
	h, err := parseHeader(bytes.Clone(hdr))
	if err != nil {
		return nil, err
	}
	return &Writer{w: stream.NewWriter(heapCipher(&s.cipher), dst, s.workers), header: h}, nil
}

// Write seals p, writing whole segments to the destination as they fill.
func (w *Writer) Write(p []byte) (int, error) { return w.w.Write(p) }

// Close seals the final segment. It does not close the destination.
func (w *Writer) Close() error { return w.w.Close() }

// Header returns the header written at the start of the envelope.
func (w *Writer) Header() *Header { return w.header }

// Reader opens an envelope as it is read. Each segment's plaintext is
// released only after it authenticated; a cut, reordered or extended
// payload yields an error wrapping ErrCorrupt, never io.EOF.
type Reader struct {
	r        *stream.Reader
	header   *Header
	metadata *Metadata
}

// NewReader reads the header from src, authenticates it with the
// associated data ad the envelope was sealed with, and returns a Reader for
// the payload that follows.
func NewReader(src io.Reader, ad []byte, opts *OpenOptions, identities ...Identity) (*Reader, error) {
	opts = openOptions(opts)
	h, err := ReadHeader(src)
	if err != nil {
		return nil, err
	}
	o := newOpener()
	defer o.release()
	c, meta, err := o.openHeader(h, ad, opts, identities)
	if err != nil {
		return nil, err
	}
	return &Reader{r: stream.NewReader(heapCipher(c), src, opts.Concurrency), header: h, metadata: meta}, nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	return n, payloadErr(err)
}

// WriteTo implements io.WriterTo; io.Copy uses it to skip a copy. With one
// goroutine and a source that is itself an io.WriterTo (a bytes.Reader, a
// bytes.Buffer, a bufio.Reader), it also opens segments straight out of the
// source's buffers instead of copying them in first. If w fails, nothing
// more can be read.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	n, err := r.r.WriteTo(w)
	return n, payloadErr(err)
}

// Close releases the Reader's goroutines and buffers; reading to io.EOF
// does too.
func (r *Reader) Close() error { return r.r.Close() }

// Metadata returns the envelope's metadata, nil if it has none.
func (r *Reader) Metadata() *Metadata { return r.metadata }

// Header returns the authenticated header.
func (r *Reader) Header() *Header { return r.header }

// payloadErr turns the stream's corruption error into ours.
func payloadErr(err error) error {
	if errors.Is(err, stream.ErrCorrupt) {
		return corrupt("payload authentication failed (truncated, reordered, extended or changed)")
	}
	return err
}

// ReaderAt gives random access to an envelope's plaintext: each read
// decrypts only the segments it touches, so serving an HTTP range of a
// large object costs a segment or two. It is safe for concurrent use.
type ReaderAt struct {
	ra       *stream.ReaderAt
	header   *Header
	metadata *Metadata
}

// NewReaderAt authenticates the header at the start of src, which holds an
// envelope of size bytes, and the payload's final segment, so Size is known
// to be the size the sender sealed. ad is the associated data the envelope
// was sealed with.
func NewReaderAt(src io.ReaderAt, size int64, ad []byte, opts *OpenOptions, identities ...Identity) (*ReaderAt, error) {
	h, err := ReadHeader(io.NewSectionReader(src, 0, size))
	if err != nil {
		return nil, err
	}
	o := newOpener()
	defer o.release()
	c, meta, err := o.openHeader(h, ad, openOptions(opts), identities)
	if err != nil {
		return nil, err
	}
	ra, err := stream.NewReaderAt(heapCipher(c), src, int64(h.Len()), size-int64(h.Len()))
	if err != nil {
		return nil, payloadErr(err)
	}
	return &ReaderAt{ra: ra, header: h, metadata: meta}, nil
}

// ReadAt implements io.ReaderAt over the plaintext.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.ra.ReadAt(p, off)
	return n, payloadErr(err)
}

// Size returns the plaintext size.
func (r *ReaderAt) Size() int64 { return r.ra.Size() }

// SealedRange returns where in the source (offset and length) the sealed
// segments lie that hold the plaintext bytes [off, off+n), cut at the end:
// a reader whose source fetches bytes from afar (an HTTP range of the
// payload) fetches that span, aligned to segments, before ReadAt(p[:n],
// off), which authenticates each segment before use. A range that holds
// no plaintext byte has length 0.
func (r *ReaderAt) SealedRange(off, n int64) (srcOff, srcN int64) { return r.ra.SealedRange(off, n) }

// Metadata returns the envelope's metadata, nil if it has none.
func (r *ReaderAt) Metadata() *Metadata { return r.metadata }

// Header returns the authenticated header.
func (r *ReaderAt) Header() *Header { return r.header }
