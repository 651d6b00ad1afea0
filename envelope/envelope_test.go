package envelope_test

import (
	"bytes"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"

	"github.com/sealkit/sealkit/envelope"
)

func skipInFIPS(t testing.TB, why string) {
	t.Helper()
	if fips140.Enforced() {
		t.Skip(why + " under GODEBUG=fips140=only")
	}
}

// pair is a recipient and the identity that opens what it seals.
type pair struct {
	name string
	r    envelope.Recipient
	id   envelope.Identity
	fips bool // usable under GODEBUG=fips140=only
}

var (
	pairsOnce sync.Once
	allPairs  []pair
)

// testPairs returns one recipient/identity pair of every type, keys loaded
// from the golden vectors so no test pays for RSA key generation.
func testPairs(t testing.TB) []pair {
	t.Helper()
	pairsOnce.Do(func() {
		f := loadVectors(t)
		k := f.Keys
		rsaID, err := envelope.ParseRSAIdentity(unhex(t, k["rsa-2048"].Private))
		if err != nil {
			t.Fatal(err)
		}
		hID, err := envelope.ParseHybridIdentity(unhex(t, k["mlkem768x25519"].Private))
		if err != nil {
			t.Fatal(err)
		}
		kek, _ := envelope.NewKEK(k["kek"].ID, unhex(t, k["kek"].Private))
		ak, _ := envelope.NewAEADKey(k["aead"].ID, newGCMAEAD(unhex(t, k["aead"].Private)))
		allPairs = []pair{
			{"rsa", rsaID.Recipient(), rsaID, true},
			{"mlkem768x25519", hID.Recipient(), hID, true},
			{"kek", kek, kek, true},
			{"aead", ak, ak, true},
		}
		if !fips140.Enforced() {
			xID, err := envelope.ParseX25519Identity(unhex(t, k["x25519"].Private))
			if err != nil {
				t.Fatal(err)
			}
			allPairs = append(allPairs, pair{"x25519", xID.Recipient(), xID, false})
		}
	})
	return allPairs
}

// sealStreaming seals through NewWriter in small writes.
func sealStreaming(t testing.TB, pt, ad []byte, opts *envelope.SealOptions, rs ...envelope.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := envelope.NewWriter(&buf, ad, opts, rs...)
	if err != nil {
		t.Fatal(err)
	}
	for p := pt; len(p) > 0; {
		n := min(len(p), 1000)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip seals with every recipient type one-shot and streaming, and
// opens through every path, for payload sizes around segment boundaries.
func TestRoundTrip(t *testing.T) {
	const seg = 256
	ad := []byte("doc-1")
	meta := &envelope.Metadata{Name: "a.txt", ContentType: "text/plain"}
	for _, p := range testPairs(t) {
		for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 3 * seg, 10*seg + 7} {
			t.Run(fmt.Sprintf("%s/%d", p.name, n), func(t *testing.T) {
				pt := make([]byte, n)
				rand.Read(pt)
				opts := &envelope.SealOptions{Metadata: meta, SegmentSize: seg}
				oneshot, err := envelope.Seal(pt, ad, opts, p.r)
				if err != nil {
					t.Fatal(err)
				}
				streamed := sealStreaming(t, pt, ad, opts, p.r)
				for _, env := range [][]byte{oneshot, streamed} {
					for _, path := range openPaths {
						got, m, err := path.open(env, ad, &envelope.OpenOptions{}, p.id)
						if err != nil {
							t.Fatalf("%s: %v", path.name, err)
						}
						if !bytes.Equal(got, pt) || m == nil || m.Name != "a.txt" {
							t.Fatalf("%s: wrong plaintext or metadata", path.name)
						}
					}
				}
				r, err := envelope.NewReader(bytes.NewReader(streamed), ad, nil, p.id)
				if err != nil {
					t.Fatal(err)
				}
				if err := iotest.TestReader(r, pt); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestConcurrentSealOpen checks the parallel paths agree with the serial ones.
func TestConcurrentSealOpen(t *testing.T) {
	kek := testPairs(t)[2]
	pt := make([]byte, 1<<20+3)
	rand.Read(pt)
	for _, workers := range []int{2, 3, 8} {
		opts := &envelope.SealOptions{Concurrency: workers, SegmentSize: 4096}
		for _, env := range [][]byte{must(envelope.Seal(pt, nil, opts, kek.r)), sealStreaming(t, pt, nil, opts, kek.r)} {
			for _, ow := range []int{1, workers} {
				got, err := envelope.Open(env, nil, &envelope.OpenOptions{Concurrency: ow}, kek.id)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("workers %d/%d: %v", workers, ow, err)
				}
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestEveryByteFlipRejected flips each bit of a three-segment envelope's
// every byte in turn; every change must be refused, never opened.
func TestEveryByteFlipRejected(t *testing.T) {
	kek := testPairs(t)[2]
	pt := make([]byte, 150)
	rand.Read(pt)
	env, err := envelope.Seal(pt, []byte("x"), &envelope.SealOptions{SegmentSize: 64, Metadata: &envelope.Metadata{Name: "n"}}, kek.r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range env {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(env)
			bad[i] ^= bit
			for _, path := range openPaths {
				if _, _, err := path.open(bad, []byte("x"), &envelope.OpenOptions{}, kek.id); err == nil {
					t.Fatalf("flip of bit %#x in byte %d accepted by %s", bit, i, path.name)
				}
			}
		}
	}
}

// TestErrorsDistinguish checks that "not my key" and "corrupt" differ.
func TestErrorsDistinguish(t *testing.T) {
	pairs := testPairs(t)
	rsa, kek := pairs[0], pairs[2]
	env, err := envelope.Seal([]byte("hello"), nil, nil, rsa.r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = envelope.Open(env, nil, nil, kek.id)
	var nm *envelope.NoIdentityMatchError
	if !errors.As(err, &nm) || !errors.Is(err, envelope.ErrIncorrectIdentity) || errors.Is(err, envelope.ErrCorrupt) {
		t.Fatalf("wrong identity: %v", err)
	}
	if len(nm.StanzaTypes) != 1 || nm.StanzaTypes[0] != "rsa-oaep-256" {
		t.Fatalf("stanza types %v", nm.StanzaTypes)
	}
	bad := bytes.Clone(env)
	bad[len(bad)-1] ^= 1
	if _, err := envelope.Open(bad, nil, nil, rsa.id); !errors.Is(err, envelope.ErrCorrupt) || errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("corrupt payload: %v", err)
	}
	if _, err := envelope.Open(env, nil, nil); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("no identities: %v", err)
	}
}

// TestSeveralRecipients: each of several recipients opens the same envelope,
// and an identity skips stanzas whose hint is not its own.
func TestSeveralRecipients(t *testing.T) {
	pairs := testPairs(t)
	rsa, kek, ak := pairs[0], pairs[2], pairs[3]
	env, err := envelope.Seal([]byte("shared"), nil, nil, rsa.r, kek.r, ak.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []pair{rsa, kek, ak} {
		if got, err := envelope.Open(env, nil, nil, p.id); err != nil || string(got) != "shared" {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
	h, _ := envelope.ParseHeader(env)
	if len(h.Stanzas()) != 3 {
		t.Fatalf("%d stanzas", len(h.Stanzas()))
	}
}

func TestMixingRule(t *testing.T) {
	pairs := testPairs(t)
	rsa, hyb, kek := pairs[0], pairs[1], pairs[2]
	pass, _ := envelope.NewPBKDF2Recipient("a passphrase of some length")
	cases := []struct {
		name string
		rs   []envelope.Recipient
		ok   bool
	}{
		{"pq+classical", []envelope.Recipient{hyb.r, rsa.r}, false},
		{"pq+symmetric", []envelope.Recipient{hyb.r, kek.r}, true},
		{"classical+symmetric", []envelope.Recipient{rsa.r, kek.r}, true},
		{"passphrase alone", []envelope.Recipient{pass}, true},
		{"passphrase+kek", []envelope.Recipient{pass, kek.r}, false},
		{"passphrase+pq", []envelope.Recipient{hyb.r, pass}, false},
	}
	for _, c := range cases {
		err := envelope.CheckRecipients(c.rs)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, envelope.ErrMixedRecipients)) {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok {
			if _, err := envelope.Seal(nil, nil, nil, c.rs...); !errors.Is(err, envelope.ErrMixedRecipients) {
				t.Errorf("%s: Seal: %v", c.name, err)
			}
			if _, err := envelope.WrapKey(envelope.NewKey(), c.rs...); !errors.Is(err, envelope.ErrMixedRecipients) {
				t.Errorf("%s: WrapKey: %v", c.name, err)
			}
		}
	}
	// Rewrap applies the rule to the stanzas it keeps as well.
	key := envelope.NewKey()
	env, _ := envelope.Seal(nil, nil, &envelope.SealOptions{Key: key}, hyb.r)
	h, _ := envelope.ParseHeader(env)
	if _, err := envelope.Rewrap(h, key, nil, nil, rsa.r); !errors.Is(err, envelope.ErrMixedRecipients) {
		t.Errorf("Rewrap pq header + classical: %v", err)
	}
}

// TestRewrap adds and removes recipients without touching the payload.
func TestRewrap(t *testing.T) {
	pairs := testPairs(t)
	rsa, kek, ak := pairs[0], pairs[2], pairs[3]
	ad := []byte("obj")
	pt := bytes.Repeat([]byte("payload "), 100)
	env, err := envelope.Seal(pt, ad, &envelope.SealOptions{SegmentSize: 64}, kek.r)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := envelope.ParseHeader(env)
	payload := env[h.Len():]
	key, err := h.Unwrap(ad, kek.id)
	if err != nil {
		t.Fatal(err)
	}
	// Add rsa and aead, drop the kek stanza.
	nh, err := envelope.Rewrap(h, key, ad, func(s *envelope.Stanza) bool { return s.Type != "kek" }, rsa.r, ak.r)
	if err != nil {
		t.Fatal(err)
	}
	rewrapped := append(nh.Bytes(), payload...)
	for _, p := range []pair{rsa, ak} {
		if got, err := envelope.Open(rewrapped, ad, nil, p.id); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s after rewrap: %v", p.name, err)
		}
	}
	if _, err := envelope.Open(rewrapped, ad, nil, kek.id); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("removed recipient still opens: %v", err)
	}
	// Rewrap refuses a wrong key or wrong associated data.
	if _, err := envelope.Rewrap(h, envelope.NewKey(), ad, nil, rsa.r); !errors.Is(err, envelope.ErrCorrupt) {
		t.Fatalf("rewrap with wrong key: %v", err)
	}
	if _, err := envelope.Rewrap(h, key, []byte("other"), nil, rsa.r); !errors.Is(err, envelope.ErrCorrupt) {
		t.Fatalf("rewrap with wrong ad: %v", err)
	}
}

// TestDetachedKey keeps the key out of the header and in wrapped-key records.
func TestDetachedKey(t *testing.T) {
	pairs := testPairs(t)
	rsa, kek := pairs[0], pairs[2]
	key := envelope.NewKey()
	env, err := envelope.Seal([]byte("detached"), nil, &envelope.SealOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := envelope.ParseHeader(env)
	if len(h.Stanzas()) != 0 {
		t.Fatal("detached envelope has stanzas")
	}
	rec, err := envelope.WrapKey(key, rsa.r)
	if err != nil {
		t.Fatal(err)
	}
	// Later, one more recipient, without touching the envelope.
	rec2, err := envelope.WrapKey(key, kek.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rec []byte
		id  envelope.Identity
	}{{rec, rsa.id}, {rec2, kek.id}} {
		k, err := envelope.UnwrapKey(c.rec, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := envelope.Open(env, nil, &envelope.OpenOptions{Key: k}); err != nil || string(got) != "detached" {
			t.Fatal(err)
		}
	}
	if _, err := envelope.Open(env, nil, nil, rsa.id); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("detached envelope opened without the key: %v", err)
	}
	if _, err := envelope.Seal(nil, nil, nil); err == nil {
		t.Fatal("sealed with no recipients and no key")
	}
	if s := fmt.Sprint(key); s != "envelope.Key(REDACTED)" {
		t.Fatalf("key prints as %q", s)
	}
}

// TestTinkAEAD plugs an AEAD from tink-go in as a recipient, as a KMS
// client would.
func TestTinkAEAD(t *testing.T) {
	skipInFIPS(t, "Tink's own GCM uses caller nonces")
	kh, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		t.Fatal(err)
	}
	a, err := aead.New(kh)
	if err != nil {
		t.Fatal(err)
	}
	k, err := envelope.NewAEADKey("tink-keyset-1", a)
	if err != nil {
		t.Fatal(err)
	}
	env, err := envelope.Seal([]byte("kms"), nil, nil, k)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := envelope.Open(env, nil, nil, k); err != nil || string(got) != "kms" {
		t.Fatalf("open: %v", err)
	}
	other, _ := envelope.NewAEADKey("tink-keyset-2", a)
	if _, err := envelope.Open(env, nil, nil, other); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("other key ID opened: %v", err)
	}
}

// TestKeyFormats round-trips every key through the encodings WebCrypto
// imports and exports.
func TestKeyFormats(t *testing.T) {
	pairs := testPairs(t)
	rsaID := pairs[0].id.(*envelope.RSAIdentity)
	der, _ := rsaID.MarshalPKCS8()
	for _, in := range [][]byte{der, pemBlock(der, "PRIVATE KEY")} {
		id, err := envelope.ParseRSAIdentity(in)
		if err != nil || !bytes.Equal(id.Recipient().MarshalPKIX(), rsaID.Recipient().MarshalPKIX()) {
			t.Fatalf("RSA PKCS#8: %v", err)
		}
	}
	spki := rsaID.Recipient().MarshalPKIX()
	for _, in := range [][]byte{spki, rsaID.Recipient().PEM()} {
		if _, err := envelope.ParseRSARecipient(in); err != nil {
			t.Fatalf("RSA SPKI: %v", err)
		}
	}
	if _, err := envelope.ParseRSARecipient(pemBlock(spki, "PRIVATE KEY")); err == nil {
		t.Fatal("wrong PEM type accepted")
	}
	hID := pairs[1].id.(*envelope.HybridIdentity)
	h2, err := envelope.ParseHybridIdentity(hID.Bytes())
	if err != nil || !bytes.Equal(h2.Recipient().Bytes(), hID.Recipient().Bytes()) {
		t.Fatalf("hybrid seed: %v", err)
	}
	if _, err := envelope.ParseHybridRecipient(hID.Recipient().Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.ParseHybridRecipient(hID.Recipient().Bytes()[:100]); err == nil {
		t.Fatal("short hybrid key accepted")
	}
	if _, err := envelope.GenerateRSAIdentity(1024); err == nil {
		t.Fatal("RSA-1024 accepted")
	}
	if !fips140.Enforced() {
		x, _ := envelope.GenerateX25519Identity()
		p8, _ := x.MarshalPKCS8()
		for _, in := range [][]byte{x.Bytes(), p8, pemBlock(p8, "PRIVATE KEY")} {
			x2, err := envelope.ParseX25519Identity(in)
			if err != nil || !bytes.Equal(x2.Recipient().Bytes(), x.Recipient().Bytes()) {
				t.Fatalf("X25519 private: %v", err)
			}
		}
		for _, in := range [][]byte{x.Recipient().Bytes(), x.Recipient().MarshalPKIX(), x.Recipient().PEM()} {
			r, err := envelope.ParseX25519Recipient(in)
			if err != nil || !bytes.Equal(r.Bytes(), x.Recipient().Bytes()) {
				t.Fatalf("X25519 public: %v", err)
			}
		}
		// An RSA SPKI is not an X25519 key.
		if _, err := envelope.ParseX25519Recipient(spki); err == nil {
			t.Fatal("RSA SPKI accepted as X25519")
		}
	}
}

// TestLimits: hostile headers are refused before any work is done.
func TestLimits(t *testing.T) {
	kek := testPairs(t)[2]
	env, _ := envelope.Seal([]byte("x"), nil, nil, kek.r)
	for _, seg := range []int{1, envelope.MinSegmentSize - 1, envelope.MaxSegmentSize + 1} {
		if _, err := envelope.Seal(nil, nil, &envelope.SealOptions{SegmentSize: seg}, kek.r); err == nil {
			t.Errorf("segment size %d accepted", seg)
		}
	}
	// A header claiming 65,535 stanzas.
	bad := bytes.Clone(env[:4+1+1+4+32])
	bad = append(bad, 0xff, 0xff)
	if _, err := envelope.ParseHeader(bad); !errors.Is(err, envelope.ErrCorrupt) {
		t.Errorf("65535 stanzas: %v", err)
	}
	// A metadata block over the limit.
	h, _ := envelope.ParseHeader(env)
	off := 4 + 1 + 1 + 4 + 32 + 2 + len(stanzaBytes(h))
	bad = bytes.Clone(env[:off])
	bad = append(bad, 0x7f, 0xff, 0xff, 0xff)
	if _, err := envelope.ParseHeader(bad); !errors.Is(err, envelope.ErrCorrupt) {
		t.Errorf("huge metadata: %v", err)
	}
	// A stream of endless stanza bytes stops at MaxHeaderSize.
	endless := io.MultiReader(bytes.NewReader(env[:4+1+1+4+32]), bytes.NewReader([]byte{0x04, 0x00}), &infinite{})
	if _, err := envelope.ReadHeader(endless); !errors.Is(err, envelope.ErrCorrupt) {
		t.Errorf("endless header: %v", err)
	}
	if _, err := envelope.ReadHeader(bytes.NewReader([]byte("not an envelope at all, certainly not"))); !errors.Is(err, envelope.ErrCorrupt) {
		t.Errorf("garbage: %v", err)
	}
}

// infinite yields valid stanzas of type "a" with 255-byte hints and
// 65,535-byte bodies forever: only the header size limit stops a reader.
type infinite struct{ off int }

var bigStanza = func() []byte {
	b := []byte{1, 'a', 255}
	b = append(b, make([]byte, 255)...)
	b = append(b, 0xff, 0xff)
	return append(b, make([]byte, 65535)...)
}()

func (r *infinite) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], bigStanza[r.off:])
		n += k
		r.off = (r.off + k) % len(bigStanza)
	}
	return n, nil
}

// TestPassphraseWork covers the KDF floors and ceilings.
func TestPassphraseWork(t *testing.T) {
	r, _ := envelope.NewPBKDF2Recipient("a passphrase")
	if err := r.SetIterations(100_000); err == nil {
		t.Error("100,000 PBKDF2 iterations accepted")
	}
	if err := r.SetIterations(envelope.MaxPBKDF2Iterations + 1); err == nil {
		t.Error("iterations above the ceiling accepted")
	}
	a, _ := envelope.NewArgon2idRecipient("a passphrase")
	for _, p := range []envelope.Argon2idParams{
		{Time: 1, MemoryKiB: 19 << 10, Threads: 1},   // below OWASP
		{Time: 2, MemoryKiB: 1 << 20, Threads: 1},    // 1 GiB: above the ceiling
		{Time: 100, MemoryKiB: 19 << 10, Threads: 1}, // too many passes
		{Time: 2, MemoryKiB: 19 << 10, Threads: 0},
	} {
		if err := a.SetParams(p); err == nil {
			t.Errorf("Argon2id %+v accepted", p)
		}
	}
	if err := a.SetParams(envelope.Argon2idParams{Time: 2, MemoryKiB: 19 << 10, Threads: 1}); err != nil {
		t.Errorf("OWASP minimum refused: %v", err)
	}
	// An envelope asking for more than the identity allows is refused
	// before the KDF runs, with an error that is not "wrong passphrase".
	f := loadVectors(t)
	env := unhex(t, findVector(t, f, "pbkdf2-suite2").Envelope)
	id, _ := envelope.NewPassphraseIdentity(f.Keys["pbkdf2"].Passphrase)
	id.SetMaxWork(envelope.MinPBKDF2Iterations-1, envelope.MaxArgon2id)
	_, err := envelope.Open(env, unhex(t, findVector(t, f, "pbkdf2-suite2").AssociatedData), nil, id)
	if err == nil || errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("over-ceiling stanza: %v", err)
	}
	wrong, _ := envelope.NewPassphraseIdentity("wrong passphrase")
	if _, err := envelope.Open(env, unhex(t, findVector(t, f, "pbkdf2-suite2").AssociatedData), nil, wrong); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

// TestPassphraseStanzaAlone checks that a passphrase stanza beside another
// stanza is refused before any KDF runs, so a hostile header cannot ask
// for one KDF run per stanza.
func TestPassphraseStanzaAlone(t *testing.T) {
	f := loadVectors(t)
	h, err := envelope.ParseHeader(unhex(t, findVector(t, f, "pbkdf2-suite2").Envelope))
	if err != nil {
		t.Fatal(err)
	}
	st := h.Stanzas()
	if len(st) != 1 {
		t.Fatalf("vector has %d stanzas", len(st))
	}
	wrong, _ := envelope.NewPassphraseIdentity("wrong passphrase")
	if _, err := wrong.Unwrap(st); !errors.Is(err, envelope.ErrIncorrectIdentity) {
		t.Fatalf("one stanza, wrong passphrase: %v", err)
	}
	for _, other := range []*envelope.Stanza{st[0], {Type: "x25519", Body: make([]byte, 32)}} {
		_, err := wrong.Unwrap([]*envelope.Stanza{st[0], other})
		if err == nil || errors.Is(err, envelope.ErrIncorrectIdentity) {
			t.Errorf("passphrase stanza beside a %s stanza: %v, want a refusal before the KDF", other.Type, err)
		}
	}
}

// TestSealAppend: SealAppend keeps what dst held, appends an envelope that
// opens, and with enough capacity writes into dst's own array.
func TestSealAppend(t *testing.T) {
	kek := testPairs(t)[2]
	ad := []byte("record-7")
	for _, n := range []int{0, 1, 64, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			pt := make([]byte, n)
			rand.Read(pt)
			opts := &envelope.SealOptions{SegmentSize: 64}
			prefix := []byte("prefix")
			dst := make([]byte, len(prefix), 4096)
			copy(dst, prefix)
			out, err := envelope.SealAppend(dst, pt, ad, opts, kek.r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out[:len(prefix)], prefix) {
				t.Fatal("SealAppend changed what dst held")
			}
			if &out[0] != &dst[0] {
				t.Fatal("SealAppend reallocated although dst had room")
			}
			env := out[len(prefix):]
			got, err := envelope.Open(env, ad, nil, kek.id)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("Open: %v", err)
			}
			buf := make([]byte, 0, n+10)
			got, err = envelope.OpenAppend(buf, env, ad, nil, kek.id)
			if err != nil || !bytes.Equal(got, pt) || (n > 0 && &got[0] != &buf[:1][0]) {
				t.Fatalf("OpenAppend into a buffer with room: %v", err)
			}
			if _, err := envelope.OpenAppend(buf, env, []byte("record-8"), nil, kek.id); !errors.Is(err, envelope.ErrCorrupt) {
				t.Fatalf("OpenAppend with other associated data: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestPayloadWriter: NewPayloadWriter writes nothing but the payload, its
// header is ready before the first write, and header || payload is the
// envelope that a whole-envelope writer would have produced.
func TestPayloadWriter(t *testing.T) {
	kek := testPairs(t)[2]
	ad := []byte("item-1")
	for _, n := range []int{0, 63, 64, 65, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			pt := make([]byte, n)
			rand.Read(pt)
			var payload bytes.Buffer
			key := envelope.NewKey()
			w, err := envelope.NewPayloadWriter(&payload, ad, &envelope.SealOptions{Key: key, SegmentSize: 64}, kek.r)
			if err != nil {
				t.Fatal(err)
			}
			if payload.Len() != 0 {
				t.Fatalf("%d bytes written before any payload", payload.Len())
			}
			header := w.Header().Bytes()
			if _, err := w.Write(pt); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			env := append(header, payload.Bytes()...)
			for _, path := range openPaths {
				got, _, err := path.open(env, ad, &envelope.OpenOptions{}, kek.id)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s: %v", path.name, err)
				}
			}
			if _, err := envelope.Open(env, ad, &envelope.OpenOptions{Key: key}); err != nil {
				t.Fatalf("detached key: %v", err)
			}
			if _, err := envelope.Open(payload.Bytes(), ad, nil, kek.id); err == nil {
				t.Fatal("the payload alone opened")
			}
		})
	}
}
