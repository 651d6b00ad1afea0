package bench

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// Performance targets of the envelope's own costs, each beside its bare
// primitive: one-shot sealing and opening into a caller's buffer, the
// fixed cost of a small object, and streaming over a cache-resident
// segment.
const (
	targetOneShotVsLoop = 0.90
	targetSegmentVsGCM  = 0.85
	// The fixed cost of a 1 KiB object with one KEK recipient, each of
	// seal and open.
	targetFixedTime   = 3 * time.Microsecond
	targetFixedAllocs = 25
)

// oneShotSize is the payload of the one-shot rows with a target.
func oneShotSize(cfg Config) int {
	if cfg.Mode == Tiny {
		return 128 << 10
	}
	return 1 << 20
}

// segmentCount is how many times the streaming rows pass their one 64 KiB
// segment: enough that the header is a few percent of the work.
func segmentCount(cfg Config) int {
	if cfg.Mode == Tiny {
		return 2
	}
	return 32
}

// buildOneShot compares SealAppend and OpenAppend into a caller's buffer
// with the bare segment loop over the same payload, each writing into a
// buffer it keeps, so that neither pays for allocating its output.
func buildOneShot(cfg Config) ([]Pending, error) {
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	size := oneShotSize(cfg)
	name := sizeName(size)
	return []Pending{
		lazy("oneshot-seal/"+name, func() (*Comparison, error) {
			pt := randomBytes(size)
			raw, err := newRawGCM(envelope.DefaultSegmentSize, size)
			if err != nil {
				return nil, err
			}
			buf := make([]byte, 0, size+size/64+4096)
			return &Comparison{
				Name:  "oneshot-seal/" + name,
				Title: "one-shot SealAppend into a caller's buffer, " + name,
				Bytes: int64(size),
				Ours: Contender{Name: "sealkit", Op: func() error {
					_, err := envelope.SealAppend(buf[:0], pt, nil, nil, kek)
					return err
				}},
				Rivals: []Rival{{Contender: Contender{Name: "bare AES-256-GCM loop, 64 KiB segments", Op: func() error {
					raw.seal(pt)
					return nil
				}}, Ratio: "oneshot-seal/" + name + "/vs-aes-gcm-loop", Target: targetOneShotVsLoop, Bare: true}},
			}, nil
		}),
		lazy("oneshot-open/"+name, func() (*Comparison, error) {
			pt := randomBytes(size)
			env, err := envelope.Seal(pt, nil, nil, kek)
			if err != nil {
				return nil, err
			}
			raw, err := newRawGCM(envelope.DefaultSegmentSize, size)
			if err != nil {
				return nil, err
			}
			rawCT := bytes.Clone(raw.seal(pt))
			out := make([]byte, 0, size)
			rawOut := make([]byte, 0, size)
			return &Comparison{
				Name:  "oneshot-open/" + name,
				Title: "one-shot OpenAppend into a caller's buffer, " + name,
				Bytes: int64(size),
				Ours: Contender{Name: "sealkit", Op: func() error {
					got, err := envelope.OpenAppend(out[:0], env, nil, nil, kek)
					if err == nil && len(got) != size {
						err = errMismatch
					}
					return err
				}},
				Rivals: []Rival{{Contender: Contender{Name: "bare AES-256-GCM loop, 64 KiB segments", Op: func() error {
					return raw.openTo(rawOut[:0], rawCT)
				}}, Ratio: "oneshot-open/" + name + "/vs-aes-gcm-loop", Target: targetOneShotVsLoop, Bare: true}},
			}, nil
		}),
	}, nil
}

// buildFixed measures the fixed cost of an envelope: SealAppend and
// OpenAppend of a 1 KiB object for one KEK recipient into reused buffers,
// against their time and allocation limits. The bare rival is the least a
// KEK envelope does: a fresh 32-byte key sealed with AES-256-GCM under the
// KEK, and the object sealed with AES-256-GCM under that key (and the
// reverse); its ratio is informational.
func buildFixed(Config) ([]Pending, error) {
	kekBytes := randomBytes(32)
	kek, err := envelope.NewKEK("bench", kekBytes)
	if err != nil {
		return nil, err
	}
	kb, err := aes.NewCipher(kekBytes)
	if err != nil {
		return nil, err
	}
	kekGCM, err := cipher.NewGCM(kb)
	if err != nil {
		return nil, err
	}
	pt := randomBytes(smallSize)
	ad := []byte("item:1|owner:alice")
	nonce := make([]byte, 12)
	var key [32]byte
	bareSeal := func(dst []byte) ([]byte, error) {
		rand.Read(key[:])
		wrapped := kekGCM.Seal(dst, nonce, key[:], nil)
		g, err := gcmFor(key[:])
		if err != nil {
			return nil, err
		}
		return g.Seal(wrapped, nonce, pt, ad), nil
	}
	bareOpen := func(dst, ct []byte) error {
		k, err := kekGCM.Open(key[:0], nonce, ct[:32+16], nil)
		if err != nil {
			return err
		}
		g, err := gcmFor(k)
		if err != nil {
			return err
		}
		_, err = g.Open(dst, nonce, ct[32+16:], ad)
		return err
	}
	fixed := func(op string, ours, bare func() error) Pending {
		name := "fixed-" + op + "/1KiB-kek"
		return lazy(name, func() (*Comparison, error) {
			return &Comparison{
				Name:      name,
				Title:     fmt.Sprintf("fixed cost: one-shot %s of 1 KiB, one KEK recipient", op),
				Ours:      Contender{Name: "sealkit", Op: ours},
				MaxTime:   targetFixedTime,
				MaxAllocs: targetFixedAllocs,
				Rivals: []Rival{{Contender: Contender{Name: "bare AES-256-GCM of a fresh key under the KEK, and of the object", Op: bare},
					Ratio: name + "/vs-gcm", Bare: true}},
			}, nil
		})
	}
	sealBuf := make([]byte, 0, 4096)
	env, err := envelope.Seal(pt, ad, nil, kek)
	if err != nil {
		return nil, err
	}
	openBuf := make([]byte, 0, 4096)
	bareCT, err := bareSeal(nil)
	if err != nil {
		return nil, err
	}
	bareBuf := make([]byte, 0, 4096)
	return []Pending{
		fixed("seal", func() error {
			_, err := envelope.SealAppend(sealBuf[:0], pt, ad, nil, kek)
			return err
		}, func() error {
			_, err := bareSeal(bareBuf[:0])
			return err
		}),
		fixed("open", func() error {
			got, err := envelope.OpenAppend(openBuf[:0], env, ad, nil, kek)
			if err == nil && len(got) != len(pt) {
				err = errMismatch
			}
			return err
		}, func() error { return bareOpen(bareBuf[:0], bareCT) }),
	}, nil
}

func gcmFor(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// buildSegment compares streaming with a Writer and a Reader against raw
// AES-256-GCM over one cache-resident 64 KiB segment: the Writer is given
// the same segment segmentCount times, the raw seal seals it as often into
// one reused buffer; the Reader drains a stream of that many segments
// through WriteTo, the raw open opens each of them into one reused buffer.
// A second row reads the Reader into a 64 KiB buffer instead (as
// io.CopyBuffer does when WriteTo is hidden), informationally. A second,
// informational rival reads each segment out of a bytes.Reader
// before opening it in place, as the Reader must: an io.Reader hands over
// its bytes only by copying them, a copy the raw open does not pay.
func buildSegment(cfg Config) ([]Pending, error) {
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	const seg = envelope.DefaultSegmentSize
	n := segmentCount(cfg)
	g, err := gcmFor(randomBytes(32))
	if err != nil {
		return nil, err
	}
	pt := randomBytes(seg)
	out := make([]byte, 0, seg+g.Overhead())
	var nonce [12]byte
	rawSeal := func(dst []byte, i int) []byte {
		binary.BigEndian.PutUint64(nonce[4:], uint64(i))
		return g.Seal(dst, nonce[:], pt, nil)
	}
	readBuf := make([]byte, seg)
	openRow := func(name, title, ours string, target float64, drain func(io.Reader) error) Pending {
		return lazy(name, func() (*Comparison, error) {
			var b bytes.Buffer
			w, err := envelope.NewWriter(&b, nil, nil, kek)
			if err != nil {
				return nil, err
			}
			for range n {
				w.Write(pt)
			}
			if err := w.Close(); err != nil {
				return nil, err
			}
			env := b.Bytes()
			var sealed []byte
			for i := range n {
				sealed = rawSeal(sealed, i)
			}
			full := seg + g.Overhead()
			scratch := make([]byte, full)
			return &Comparison{
				Name:  name,
				Title: fmt.Sprintf(title, n),
				Bytes: int64(n * seg),
				Ours: Contender{Name: ours, Op: func() error {
					r, err := envelope.NewReader(bytes.NewReader(env), nil, nil, kek)
					if err != nil {
						return err
					}
					return drain(r)
				}},
				Rivals: []Rival{{Contender: Contender{Name: "raw AES-256-GCM open of each segment", Op: func() error {
					for i := range n {
						binary.BigEndian.PutUint64(nonce[4:], uint64(i))
						if _, err := g.Open(out[:0], nonce[:], sealed[i*full:(i+1)*full], nil); err != nil {
							return err
						}
					}
					return nil
				}}, Ratio: name + "/vs-aes-gcm", Target: target, Bare: true},
					{Contender: Contender{Name: "raw AES-256-GCM open of each segment read from a bytes.Reader first", Op: func() error {
						src := bytes.NewReader(sealed)
						for i := range n {
							if _, err := io.ReadFull(src, scratch); err != nil {
								return err
							}
							binary.BigEndian.PutUint64(nonce[4:], uint64(i))
							if _, err := g.Open(scratch[:0], nonce[:], scratch, nil); err != nil {
								return err
							}
						}
						return nil
					}}, Ratio: name + "/vs-aes-gcm-read"}},
			}, nil
		})
	}
	return []Pending{
		lazy("segment-seal/64KiB", func() (*Comparison, error) {
			return &Comparison{
				Name:  "segment-seal/64KiB",
				Title: fmt.Sprintf("streaming seal of one cache-resident 64 KiB segment written %d times", n),
				Bytes: int64(n * seg),
				Ours: Contender{Name: "sealkit Writer", Op: func() error {
					w, err := envelope.NewWriter(io.Discard, nil, nil, kek)
					if err != nil {
						return err
					}
					for range n {
						if _, err := w.Write(pt); err != nil {
							return err
						}
					}
					return w.Close()
				}},
				Rivals: []Rival{{Contender: Contender{Name: "raw AES-256-GCM seal of the segment", Op: func() error {
					for i := range n {
						rawSeal(out[:0], i)
					}
					return nil
				}}, Ratio: "segment-seal/64KiB/vs-aes-gcm", Target: targetSegmentVsGCM, Bare: true}},
			}, nil
		}),
		openRow("segment-open/64KiB", "streaming open of %d 64 KiB segments, drained through WriteTo", "sealkit Reader, WriteTo", targetSegmentVsGCM,
			func(r io.Reader) error { return drainWant(r, n*seg) }),
		openRow("segment-read/64KiB", "streaming open of %d 64 KiB segments, read into a 64 KiB buffer", "sealkit Reader, Read", 0,
			func(r io.Reader) error {
				m, err := io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{r}, readBuf)
				if err == nil && m != int64(n*seg) {
					err = errMismatch
				}
				return err
			}),
	}, nil
}

// onlyWriter hides a writer's ReadFrom (io.Discard has one, which reads
// with its own 8 KiB buffer) so io.CopyBuffer uses the buffer it is given.
type onlyWriter struct{ io.Writer }
