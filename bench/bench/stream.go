package bench

import (
	"bytes"
	"fmt"
	"io"

	"filippo.io/age"
	"github.com/sealkit/sealkit/envelope"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Performance targets for the 64 MiB streaming rows: throughput ratios.
const (
	targetSealVsGCM  = 0.90
	targetOpenVsGCM  = 0.90
	targetSealVsTink = 1.0
	targetOpenVsTink = 1.0
	targetSealVsAge  = 1.8
	targetOpenVsAge  = 2.5
)

// tinkAD is the associated data given to Tink's streaming AEAD.
var tinkAD = []byte("sealkit-bench")

// peers holds a key for each contender of the payload comparisons. The
// sealkit envelope uses a KEK recipient: a recipient costs at most ~0.1 ms
// per object (X25519), under 1% of a 64 MiB stream, and the KEK keeps the
// rows about the payload.
type peers struct {
	kek     *envelope.KEK
	tink    tink.StreamingAEAD
	ageID   *age.X25519Identity
	ageRcpt *age.X25519Recipient
}

func newPeers() (*peers, error) {
	kek, err := envelope.NewKEK("bench", randomBytes(32))
	if err != nil {
		return nil, err
	}
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		return nil, err
	}
	ts, err := streamingaead.New(h)
	if err != nil {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &peers{kek: kek, tink: ts, ageID: id, ageRcpt: id.Recipient()}, nil
}

func buildStream(cfg Config) ([]Pending, error) {
	p, err := newPeers()
	if err != nil {
		return nil, err
	}
	size := cfg.StreamSize()
	return []Pending{
		lazy("seal/"+sizeName(size), func() (*Comparison, error) {
			return payloadSeal(p, randomBytes(size), true, true)
		}),
		lazy("open/"+sizeName(size), func() (*Comparison, error) {
			return payloadOpen(p, randomBytes(size), true, true)
		}),
	}, nil
}

// buildScale measures throughput at every size of cfg.Sizes but the
// streaming rows' own: one-shot Seal/Open up to 1 MiB, streaming above.
func buildScale(cfg Config) ([]Pending, error) {
	p, err := newPeers()
	if err != nil {
		return nil, err
	}
	var out []Pending
	for _, size := range cfg.Sizes() {
		if size == cfg.StreamSize() {
			continue
		}
		out = append(out, lazy(fmt.Sprintf("seal/%s", sizeName(size)), func() (*Comparison, error) {
			return payloadSeal(p, randomBytes(size), size > 1<<20, false)
		}), lazy(fmt.Sprintf("open/%s", sizeName(size)), func() (*Comparison, error) {
			return payloadOpen(p, randomBytes(size), size > 1<<20, false)
		}))
	}
	return out, nil
}

func mode(streaming bool) string {
	if streaming {
		return "streaming"
	}
	return "one-shot"
}

func target(with bool, t float64) float64 {
	if with {
		return t
	}
	return 0
}

// payloadSeal compares sealing pt with sealkit (a Writer if streaming, else
// Seal), the bare GCM loop, Tink's streaming AEAD and age. Sealing
// contenders write to io.Discard, or to a buffer they own.
func payloadSeal(p *peers, pt []byte, streaming, targets bool) (*Comparison, error) {
	raw, err := newRawGCM(envelope.DefaultSegmentSize, len(pt))
	if err != nil {
		return nil, err
	}
	name := sizeName(len(pt))
	ours := func() error {
		_, err := envelope.Seal(pt, nil, nil, p.kek)
		return err
	}
	if streaming {
		ours = func() error {
			w, err := envelope.NewWriter(io.Discard, nil, nil, p.kek)
			if err != nil {
				return err
			}
			return writeAll(w, pt)
		}
	}
	return &Comparison{
		Name:   "seal/" + name,
		Title:  fmt.Sprintf("%s seal, %s", mode(streaming), name),
		Bytes:  int64(len(pt)),
		Series: []string{"sealkit/seal", "aes-gcm-loop/seal", "tink/seal", "age/seal"},
		Ours:   Contender{Name: "sealkit", Op: ours},
		Rivals: []Rival{
			{Contender: Contender{Name: "bare AES-256-GCM loop, 64 KiB segments", Op: func() error {
				raw.seal(pt)
				return nil
			}}, Ratio: "seal/" + name + "/vs-aes-gcm-loop", Target: target(targets, targetSealVsGCM), Bare: true},
			{Contender: Contender{Name: "Tink streaming AEAD AES256_GCM_HKDF_1MB", Op: func() error {
				w, err := p.tink.NewEncryptingWriter(io.Discard, tinkAD)
				if err != nil {
					return err
				}
				return writeAll(w, pt)
			}}, Ratio: "seal/" + name + "/vs-tink", Target: target(targets, targetSealVsTink)},
			{Contender: Contender{Name: "age, X25519 recipient", Op: func() error {
				w, err := age.Encrypt(io.Discard, p.ageRcpt)
				if err != nil {
					return err
				}
				return writeAll(w, pt)
			}}, Ratio: "seal/" + name + "/vs-age", Target: target(targets, targetSealVsAge)},
		},
	}, nil
}

// payloadOpen compares opening what each contender sealed from pt. Readers
// are drained into io.Discard (through WriteTo where a reader has it); the
// raw loop copies its input first, as the readers read theirs.
func payloadOpen(p *peers, pt []byte, streaming, targets bool) (*Comparison, error) {
	name := sizeName(len(pt))
	env, err := envelope.Seal(pt, nil, nil, p.kek)
	if err != nil {
		return nil, err
	}
	raw, err := newRawGCM(envelope.DefaultSegmentSize, len(pt))
	if err != nil {
		return nil, err
	}
	rawCT := bytes.Clone(raw.seal(pt))
	ro := &rawOpener{loop: raw, ct: rawCT, scratch: make([]byte, len(rawCT))}
	var tb, ab bytes.Buffer
	tb.Grow(len(pt) + len(pt)/64 + 1024)
	ab.Grow(len(pt) + len(pt)/64 + 1024)
	tw, err := p.tink.NewEncryptingWriter(&tb, tinkAD)
	if err != nil {
		return nil, err
	}
	if err := writeAll(tw, pt); err != nil {
		return nil, err
	}
	aw, err := age.Encrypt(&ab, p.ageRcpt)
	if err != nil {
		return nil, err
	}
	if err := writeAll(aw, pt); err != nil {
		return nil, err
	}
	ours := func() error {
		got, err := envelope.Open(env, nil, nil, p.kek)
		if err == nil && len(got) != len(pt) {
			err = errMismatch
		}
		return err
	}
	if streaming {
		ours = func() error {
			r, err := envelope.NewReader(bytes.NewReader(env), nil, nil, p.kek)
			if err != nil {
				return err
			}
			return drainWant(r, len(pt))
		}
	}
	tct, act := tb.Bytes(), ab.Bytes()
	return &Comparison{
		Name:   "open/" + name,
		Title:  fmt.Sprintf("%s open, %s", mode(streaming), name),
		Bytes:  int64(len(pt)),
		Series: []string{"sealkit/open", "aes-gcm-loop/open", "tink/open", "age/open"},
		Ours:   Contender{Name: "sealkit", Op: ours},
		Rivals: []Rival{
			{Contender: Contender{Name: "bare AES-256-GCM loop, 64 KiB segments", Op: ro.op},
				Ratio: "open/" + name + "/vs-aes-gcm-loop", Target: target(targets, targetOpenVsGCM), Bare: true},
			{Contender: Contender{Name: "Tink streaming AEAD AES256_GCM_HKDF_1MB", Op: func() error {
				r, err := p.tink.NewDecryptingReader(bytes.NewReader(tct), tinkAD)
				if err != nil {
					return err
				}
				return drainWant(r, len(pt))
			}}, Ratio: "open/" + name + "/vs-tink", Target: target(targets, targetOpenVsTink)},
			{Contender: Contender{Name: "age, X25519 identity", Op: func() error {
				r, err := age.Decrypt(bytes.NewReader(act), p.ageID)
				if err != nil {
					return err
				}
				return drainWant(r, len(pt))
			}}, Ratio: "open/" + name + "/vs-age", Target: target(targets, targetOpenVsAge)},
		},
	}, nil
}
