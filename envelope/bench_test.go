package envelope_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"strconv"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/benchutil"
)

// rawGCMLoop seals (or opens) buf segment by segment with a bare AES-256-GCM
// and counter nonces: the ceiling the envelope's payload is measured against.
type rawGCMLoop struct {
	aead cipher.AEAD
	seg  int
	out  []byte
}

func newRawGCMLoop(seg, size int) *rawGCMLoop {
	b, _ := aes.NewCipher(make([]byte, 32))
	a, _ := cipher.NewGCM(b)
	return &rawGCMLoop{aead: a, seg: seg, out: make([]byte, 0, size+size/seg*16+16)}
}

func (l *rawGCMLoop) seal(pt []byte) []byte {
	var nonce [12]byte
	out := l.out[:0]
	for i := 0; len(pt) > 0; i++ {
		n := min(len(pt), l.seg)
		binary.BigEndian.PutUint64(nonce[3:], uint64(i))
		out = l.aead.Seal(out, nonce[:], pt[:n], nil)
		pt = pt[n:]
	}
	return out
}

func (l *rawGCMLoop) open(ct []byte) {
	var nonce [12]byte
	full := l.seg + 16
	for i := 0; len(ct) > 0; i++ {
		n := min(len(ct), full)
		binary.BigEndian.PutUint64(nonce[3:], uint64(i))
		if _, err := l.aead.Open(ct[:0], nonce[:], ct[:n], nil); err != nil {
			panic(err)
		}
		ct = ct[n:]
	}
}

// BenchmarkStream measures streaming seal and open of 64 MiB against the bare
// GCM loop over the same 64 KiB segments (cost-ratio: lower is better;
// throughput ratio = 1/cost-ratio, target ≥ 0.90). The Writer seals into
// io.Discard and the raw loop into a buffer it owns, so neither pays for a
// destination; the Reader reads from memory and the raw loop first copies
// its input, so both pay one copy of the ciphertext.
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	kek, _ := envelope.NewKEK("", make([]byte, 32))
	pt := randomBytes(size)
	raw := newRawGCMLoop(envelope.DefaultSegmentSize, size)
	b.Run("seal", func(b *testing.B) {
		benchutil.Compare(b, size, func() {
			w, _ := envelope.NewWriter(io.Discard, nil, nil, kek)
			w.Write(pt)
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}, func() { raw.seal(pt) })
	})
	sealed := sealStreaming(b, pt, nil, nil, kek)
	rawCT := bytes.Clone(raw.seal(pt))
	scratch := make([]byte, len(rawCT))
	b.Run("open", func(b *testing.B) {
		benchutil.Compare(b, size, func() {
			r, err := envelope.NewReader(bytes.NewReader(sealed), nil, nil, kek)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}, func() {
			copy(scratch, rawCT) // the raw loop opens in place; give it fresh input
			raw.open(scratch)
		})
	})
}

// BenchmarkParallel compares sealing and opening 16 MiB and 64 MiB with two
// goroutines against one (cost-ratio = two/one; speed-up = 1/cost-ratio,
// target ≥ 1.7 on two idle cores).
func BenchmarkParallel(b *testing.B) {
	for _, size := range []int{16 << 20, 64 << 20} {
		kek, _ := envelope.NewKEK("", make([]byte, 32))
		pt := randomBytes(size)
		seal := func(workers int) func() {
			return func() {
				w, _ := envelope.NewWriter(io.Discard, nil, &envelope.SealOptions{Concurrency: workers}, kek)
				w.Write(pt)
				w.Close()
			}
		}
		name := strconv.Itoa(size>>20) + "MiB"
		b.Run("seal/"+name, func(b *testing.B) { benchutil.Compare(b, int64(size), seal(2), seal(1)) })
		env, _ := envelope.Seal(pt, nil, nil, kek)
		open := func(workers int) func() {
			return func() {
				r, _ := envelope.NewReader(bytes.NewReader(env), nil, &envelope.OpenOptions{Concurrency: workers}, kek)
				io.Copy(io.Discard, r)
			}
		}
		b.Run("open/"+name, func(b *testing.B) { benchutil.Compare(b, int64(size), open(2), open(1)) })
	}
}

// BenchmarkSmallObjectX25519 compares Seal+Open of a 1 KiB object for one
// X25519 recipient with the raw stdlib HPKE seal+open of the key plus
// AES-256-GCM over the same bytes (target cost-ratio ≤ 1.2).
func BenchmarkSmallObjectX25519(b *testing.B) {
	skipInFIPS(b, "X25519 is refused")
	id, _ := envelope.GenerateX25519Identity()
	pt := make([]byte, 1024)
	ek, _ := ecdh.X25519().GenerateKey(rand.Reader)
	hpkePriv, _ := hpke.NewDHKEMPrivateKey(ek)
	hpkePub := hpkePriv.PublicKey()
	gb, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(gb)
	nonce := make([]byte, 12)
	key := make([]byte, 32)
	benchutil.Compare(b, int64(len(pt)), func() {
		env, err := envelope.Seal(pt, nil, nil, id.Recipient())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := envelope.Open(env, nil, nil, id); err != nil {
			b.Fatal(err)
		}
	}, func() {
		ct, _ := hpke.Seal(hpkePub, hpke.HKDFSHA256(), hpke.AES256GCM(), nil, key)
		if _, err := hpke.Open(hpkePriv, hpke.HKDFSHA256(), hpke.AES256GCM(), nil, ct); err != nil {
			b.Fatal(err)
		}
		sealed := gcm.Seal(nil, nonce, pt, nil)
		if _, err := gcm.Open(nil, nonce, sealed, nil); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRSA4096Unwrap compares unwrapping a file key with an RSA-4096
// identity to a bare rsa.DecryptOAEP (target cost-ratio ≤ 1.05).
func BenchmarkRSA4096Unwrap(b *testing.B) {
	id, err := envelope.GenerateRSAIdentity(4096)
	if err != nil {
		b.Fatal(err)
	}
	rec, _ := envelope.WrapKey(envelope.NewKey(), id.Recipient())
	der, _ := id.MarshalPKCS8()
	priv, _ := parsePKCS8RSA(der)
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, make([]byte, 32), nil)
	benchutil.Compare(b, 0, func() {
		if _, err := envelope.UnwrapKey(rec, id); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSealRecipients reports how sealing cost grows with recipients.
func BenchmarkSealRecipients(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(itoa(n), func(b *testing.B) {
			rs := make([]envelope.Recipient, n)
			for i := range rs {
				k := make([]byte, 32)
				rand.Read(k)
				rs[i], _ = envelope.NewKEK("k"+itoa(i), k)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := envelope.Seal(nil, nil, nil, rs...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// randomBytes returns n random bytes. Benchmarks must not read untouched
// zero pages, which the kernel maps to one shared page that is always in
// cache and so flatters single-threaded throughput.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// BenchmarkSmallObjectKEK measures the fixed cost of an envelope: one-shot
// Seal and Open of a 1 KiB object for a KEK recipient, into reused buffers
// (targets: at most 3 µs and 25 allocations each).
func BenchmarkSmallObjectKEK(b *testing.B) {
	kek, _ := envelope.NewKEK("kek", make([]byte, 32))
	pt := randomBytes(1 << 10)
	ad := []byte("item:1|owner:alice")
	buf := make([]byte, 0, 4096)
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := envelope.SealAppend(buf[:0], pt, ad, nil, kek); err != nil {
				b.Fatal(err)
			}
		}
	})
	env, _ := envelope.Seal(pt, ad, nil, kek)
	out := make([]byte, 0, 4096)
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := envelope.OpenAppend(out[:0], env, ad, nil, kek); err != nil {
				b.Fatal(err)
			}
		}
	})
}
