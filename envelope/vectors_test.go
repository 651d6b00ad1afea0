package envelope_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/fips140"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/sealkit/sealkit/internal/testvec"
	"io"
	"testing"
	"testing/cryptotest"

	"github.com/sealkit/sealkit/envelope"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json (the committed file is frozen: only for new vectors)")

// vectorFile is the JSON layout of testdata/vectors.json, documented in SPEC.md.
type vectorFile struct {
	Comment string               `json:"comment"`
	Keys    map[string]vectorKey `json:"keys"`
	Vectors []vector             `json:"envelopes"`
	Wrapped []wrappedVector      `json:"wrapped_keys"`
}

type vectorKey struct {
	Type       string `json:"type"` // rsa, x25519, mlkem768x25519, kek, aes-gcm-aead, passphrase, file-key
	Private    string `json:"private,omitempty"`
	Public     string `json:"public,omitempty"`
	ID         string `json:"id,omitempty"`
	Passphrase string `json:"passphrase,omitempty"`
}

type vector struct {
	Name           string             `json:"name"`
	Identity       string             `json:"identity"` // key name; for file-key keys, opened with OpenOptions.Key
	AssociatedData string             `json:"associated_data"`
	Envelope       string             `json:"envelope"`
	Expect         string             `json:"expect"` // ok, corrupt, no_match, unsupported
	Plaintext      string             `json:"plaintext,omitempty"`
	Metadata       *envelope.Metadata `json:"metadata,omitempty"`
	Suite          int                `json:"suite"`
}

type wrappedVector struct {
	Name     string `json:"name"`
	Identity string `json:"identity"`
	Record   string `json:"record"`
	Expect   string `json:"expect"`
	FileKey  string `json:"file_key,omitempty"`
}

// gcmAEAD is an external AEAD for the vectors: AES-256-GCM with a random
// 12-byte nonce prepended, as a WebCrypto client would write it.
type gcmAEAD struct{ aead cipher.AEAD }

func newGCMAEAD(key []byte) *gcmAEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		panic(err)
	}
	return &gcmAEAD{a}
}

func (g *gcmAEAD) Encrypt(pt, ad []byte) ([]byte, error) { return g.aead.Seal(nil, nil, pt, ad), nil }
func (g *gcmAEAD) Decrypt(ct, ad []byte) ([]byte, error) { return g.aead.Open(nil, nil, ct, ad) }

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vectors: %v", err)
	}
	return b
}

// fipsUnavailable reports why a key type cannot be used when Go's FIPS 140-3
// mode is enforced, or "" if it can.
func fipsUnavailable(keyType string, suite int) string {
	if !fips140.Enforced() {
		return ""
	}
	switch {
	case keyType == "x25519":
		return "X25519 is not allowed under GODEBUG=fips140=only"
	case keyType == "passphrase-argon2id":
		return "Argon2id is not a FIPS 140-3 approved KDF"
	case suite == int(envelope.SuiteStream):
		return "counter-nonce GCM (suite 1) is refused under GODEBUG=fips140=only"
	}
	return ""
}

// identities builds the Identity (or detached Key) for every key in the file.
func identities(t testing.TB, f *vectorFile) (map[string]envelope.Identity, map[string]*envelope.Key) {
	t.Helper()
	ids := map[string]envelope.Identity{}
	keys := map[string]*envelope.Key{}
	for name, k := range f.Keys {
		if fipsUnavailable(k.Type, 0) != "" {
			continue
		}
		var id envelope.Identity
		var err error
		switch k.Type {
		case "rsa":
			id, err = envelope.ParseRSAIdentity(unhex(t, k.Private))
		case "x25519":
			id, err = envelope.ParseX25519Identity(unhex(t, k.Private))
		case "mlkem768x25519":
			id, err = envelope.ParseHybridIdentity(unhex(t, k.Private))
		case "kek":
			id, err = envelope.NewKEK(k.ID, unhex(t, k.Private))
		case "aes-gcm-aead":
			id, err = envelope.NewAEADKey(k.ID, newGCMAEAD(unhex(t, k.Private)))
		case "passphrase-pbkdf2", "passphrase-argon2id":
			id, err = envelope.NewPassphraseIdentity(k.Passphrase)
		case "file-key":
			keys[name], err = envelope.NewKeyFromBytes(unhex(t, k.Private))
			if err != nil {
				t.Fatal(err)
			}
			continue
		default:
			t.Fatalf("key %s: unknown type %q", name, k.Type)
		}
		if err != nil {
			t.Fatalf("key %s: %v", name, err)
		}
		ids[name] = id
	}
	return ids, keys
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	f := &vectorFile{}
	testvec.LoadGolden(t, f)
	if len(f.Vectors) == 0 || len(f.Wrapped) == 0 {
		t.Fatal("golden vector file holds no vectors")
	}
	return f
}

// openPath opens an envelope one way and returns plaintext and metadata.
type openPath struct {
	name string
	open func(env, ad []byte, opts *envelope.OpenOptions, ids ...envelope.Identity) ([]byte, *envelope.Metadata, error)
}

var openPaths = []openPath{
	{"Open", envelope.OpenWithMetadata},
	{"OpenAppend", func(env, ad []byte, opts *envelope.OpenOptions, ids ...envelope.Identity) ([]byte, *envelope.Metadata, error) {
		prefix := []byte("kept")
		out, err := envelope.OpenAppend(prefix, env, ad, opts, ids...)
		if err != nil {
			return nil, nil, err
		}
		if !bytes.HasPrefix(out, prefix) {
			return nil, nil, errors.New("OpenAppend lost what dst held")
		}
		_, meta, err := envelope.OpenWithMetadata(env, ad, opts, ids...)
		return out[len(prefix):], meta, err
	}},
	{"Reader", func(env, ad []byte, opts *envelope.OpenOptions, ids ...envelope.Identity) ([]byte, *envelope.Metadata, error) {
		r, err := envelope.NewReader(bytes.NewReader(env), ad, opts, ids...)
		if err != nil {
			return nil, nil, err
		}
		pt, err := io.ReadAll(r)
		return pt, r.Metadata(), err
	}},
	{"ReaderParallel", func(env, ad []byte, opts *envelope.OpenOptions, ids ...envelope.Identity) ([]byte, *envelope.Metadata, error) {
		o := *opts
		o.Concurrency = 2
		r, err := envelope.NewReader(bytes.NewReader(env), ad, &o, ids...)
		if err != nil {
			return nil, nil, err
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, r)
		return buf.Bytes(), r.Metadata(), err
	}},
	{"ReaderAt", func(env, ad []byte, opts *envelope.OpenOptions, ids ...envelope.Identity) ([]byte, *envelope.Metadata, error) {
		ra, err := envelope.NewReaderAt(bytes.NewReader(env), int64(len(env)), ad, opts, ids...)
		if err != nil {
			return nil, nil, err
		}
		pt, err := io.ReadAll(io.NewSectionReader(ra, 0, ra.Size()))
		return pt, ra.Metadata(), err
	}},
}

// checkOutcome asserts err is the outcome a vector expects.
func checkOutcome(t *testing.T, expect string, err error) {
	t.Helper()
	switch expect {
	case "ok":
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
	case "corrupt":
		if !errors.Is(err, envelope.ErrCorrupt) {
			t.Fatalf("want ErrCorrupt, got %v", err)
		}
	case "no_match":
		var nm *envelope.NoIdentityMatchError
		if !errors.As(err, &nm) || errors.Is(err, envelope.ErrCorrupt) {
			t.Fatalf("want *NoIdentityMatchError, got %v", err)
		}
	case "unsupported":
		if !errors.Is(err, envelope.ErrUnsupported) {
			t.Fatalf("want ErrUnsupported, got %v", err)
		}
	default:
		t.Fatalf("unknown expectation %q", expect)
	}
}

// TestGoldenVectors pushes every frozen vector through every way of opening.
func TestGoldenVectors(t *testing.T) {
	f := loadVectors(t)
	ids, keys := identities(t, f)
	ran := 0
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if why := fipsUnavailable(f.Keys[v.Identity].Type, v.Suite); why != "" {
				t.Skip(why)
			}
			env := unhex(t, v.Envelope)
			ad := unhex(t, v.AssociatedData)
			opts := &envelope.OpenOptions{}
			var idl []envelope.Identity
			if k, ok := keys[v.Identity]; ok {
				opts.Key = k
			} else if id, ok := ids[v.Identity]; ok {
				idl = append(idl, id)
			} else {
				t.Fatalf("vector names unknown key %q", v.Identity)
			}
			for _, p := range openPaths {
				pt, meta, err := p.open(env, ad, opts, idl...)
				checkOutcome(t, v.Expect, err)
				if v.Expect != "ok" {
					continue
				}
				if !bytes.Equal(pt, unhex(t, v.Plaintext)) {
					t.Fatalf("%s: wrong plaintext", p.name)
				}
				if !metadataEqual(meta, v.Metadata) {
					t.Fatalf("%s: metadata %+v, want %+v", p.name, meta, v.Metadata)
				}
			}
			ran++
		})
	}
	for _, w := range f.Wrapped {
		t.Run("wrapped/"+w.Name, func(t *testing.T) {
			if why := fipsUnavailable(f.Keys[w.Identity].Type, 0); why != "" {
				t.Skip(why)
			}
			k, err := envelope.UnwrapKey(unhex(t, w.Record), ids[w.Identity])
			checkOutcome(t, w.Expect, err)
			if w.Expect == "ok" {
				// The unwrapped key must open the envelopes it was made for.
				for _, name := range []string{"detached-key", "detached-key-suite2"} {
					v := findVector(t, f, name)
					if fipsUnavailable("file-key", v.Suite) != "" {
						continue
					}
					if _, err := envelope.Open(unhex(t, v.Envelope), unhex(t, v.AssociatedData), &envelope.OpenOptions{Key: k}); err != nil {
						t.Fatalf("unwrapped key does not open %s: %v", name, err)
					}
				}
			}
			ran++
		})
	}
	if !fips140.Enforced() && ran != len(f.Vectors)+len(f.Wrapped) {
		t.Fatalf("ran %d of %d vectors", ran, len(f.Vectors)+len(f.Wrapped))
	}
	t.Logf("%d golden vectors × %d open paths", ran, len(openPaths))
}

func findVector(t testing.TB, f *vectorFile, name string) vector {
	for _, v := range f.Vectors {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return vector{}
}

func metadataEqual(a, b *envelope.Metadata) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestGenerateVectors rewrites testdata/vectors.json when run with -update.
// Deterministic randomness makes the output reproducible with this Go
// release; committed vectors are never regenerated to make a test pass.
func TestGenerateVectors(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/vectors.json")
	}
	cryptotest.SetGlobalRandom(t, 0x5ea1c17)
	testvec.WriteGolden(t, generateVectors(t))
}

func mustHex(b []byte) string { return hex.EncodeToString(b) }

func generateVectors(t *testing.T) *vectorFile {
	rsaID, err := envelope.GenerateRSAIdentity(2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := rsaID.MarshalPKCS8()
	xID, _ := envelope.GenerateX25519Identity()
	hID, _ := envelope.GenerateHybridIdentity()
	kekBytes := bytes.Repeat([]byte{0x4b}, 32)
	aeadBytes := bytes.Repeat([]byte{0xae}, 32)
	fileKey := bytes.Repeat([]byte{0xf1}, 32)
	const pass = "correct horse battery staple"
	f := &vectorFile{
		Comment: "sealkit envelope v1 golden vectors; layout in envelope/SPEC.md. Frozen: never regenerate to make a test pass.",
		Keys: map[string]vectorKey{
			"rsa-2048":       {Type: "rsa", Private: mustHex(rsaDER), Public: mustHex(rsaID.Recipient().MarshalPKIX())},
			"x25519":         {Type: "x25519", Private: mustHex(xID.Bytes()), Public: mustHex(xID.Recipient().Bytes())},
			"mlkem768x25519": {Type: "mlkem768x25519", Private: mustHex(hID.Bytes()), Public: mustHex(hID.Recipient().Bytes())},
			"kek":            {Type: "kek", ID: "kek-1", Private: mustHex(kekBytes)},
			"aead":           {Type: "aes-gcm-aead", ID: "projects/p/keys/k1", Private: mustHex(aeadBytes)},
			"pbkdf2":         {Type: "passphrase-pbkdf2", Passphrase: pass},
			"argon2id":       {Type: "passphrase-argon2id", Passphrase: pass},
			"detached":       {Type: "file-key", Private: mustHex(fileKey)},
			"x25519-other":   {Type: "x25519", Private: mustHex(mustX25519(t).Bytes())},
		},
	}
	kek, _ := envelope.NewKEK("kek-1", kekBytes)
	aeadKey, _ := envelope.NewAEADKey("projects/p/keys/k1", newGCMAEAD(aeadBytes))
	pbkdf2R, _ := envelope.NewPBKDF2Recipient(pass)
	argonR, _ := envelope.NewArgon2idRecipient(pass)
	argonR.SetParams(envelope.Argon2idParams{Time: 2, MemoryKiB: 19 << 10, Threads: 1})
	detached, _ := envelope.NewKeyFromBytes(fileKey)

	ad := []byte("object:42|owner:alice")
	meta := &envelope.Metadata{Name: "report.pdf", ContentType: "application/pdf", Size: 300}
	pt := make([]byte, 300)
	for i := range pt {
		pt[i] = byte(i)
	}
	add := func(name, identity string, env []byte, expect string, suite envelope.Suite, ad []byte, pt []byte, m *envelope.Metadata) {
		v := vector{Name: name, Identity: identity, AssociatedData: mustHex(ad), Envelope: mustHex(env), Expect: expect, Suite: int(suite)}
		if expect == "ok" {
			v.Plaintext, v.Metadata = mustHex(pt), m
		}
		f.Vectors = append(f.Vectors, v)
	}
	seal := func(r envelope.Recipient, suite envelope.Suite, key *envelope.Key, pt []byte) []byte {
		opts := &envelope.SealOptions{Key: key, Metadata: meta, SegmentSize: 64, Suite: suite}
		var rs []envelope.Recipient
		if r != nil {
			rs = append(rs, r)
		}
		env, err := envelope.Seal(pt, ad, opts, rs...)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	recipients := []struct {
		name string
		r    envelope.Recipient
	}{
		{"rsa-2048", rsaID.Recipient()}, {"x25519", xID.Recipient()}, {"mlkem768x25519", hID.Recipient()},
		{"kek", kek}, {"aead", aeadKey}, {"pbkdf2", pbkdf2R}, {"argon2id", argonR},
	}
	for _, suite := range []envelope.Suite{envelope.SuiteStream, envelope.SuiteRandomNonce} {
		for _, rc := range recipients {
			add(fmt.Sprintf("%s-suite%d", rc.name, suite), rc.name, seal(rc.r, suite, nil, pt), "ok", suite, ad, pt, meta)
		}
	}
	// Boundaries: empty payload, exactly one segment, one segment plus one byte.
	for _, n := range []int{0, 64, 65} {
		env, err := envelope.Seal(pt[:n], ad, &envelope.SealOptions{SegmentSize: 64}, kek)
		if err != nil {
			t.Fatal(err)
		}
		add(fmt.Sprintf("kek-%d-bytes", n), "kek", env, "ok", envelope.SuiteStream, ad, pt[:n], nil)
	}
	// Detached key: no stanzas at all.
	add("detached-key", "detached", seal(nil, envelope.SuiteStream, detached, pt), "ok", envelope.SuiteStream, ad, pt, meta)
	add("detached-key-suite2", "detached", seal(nil, envelope.SuiteRandomNonce, detached, pt), "ok", envelope.SuiteRandomNonce, ad, pt, meta)

	// Negative cases, all from one KEK envelope of 300 bytes in 64-byte
	// segments: header is h bytes, then 5 segments of 80 bytes (the last 60).
	base := seal(kek, envelope.SuiteStream, nil, pt)
	h, _ := envelope.ParseHeader(base)
	hl := h.Len()
	payload := base[hl:]
	segs := [][]byte{payload[0:80], payload[80:160], payload[160:240], payload[240:320], payload[320:]}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(i int) []byte { b := bytes.Clone(base); b[i] ^= 0x80; return b }
	add("neg-tampered-salt", "kek", flip(12), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-tampered-mac", "kek", flip(hl-1), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-tampered-metadata", "kek", flip(hl-40), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-tampered-payload", "kek", flip(hl+100), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-wrong-associated-data", "kek", base, "corrupt", envelope.SuiteStream, []byte("object:43|owner:alice"), nil, nil)
	add("neg-truncated-header", "kek", base[:hl-1], "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-truncated-last-segment", "kek", base[:len(base)-1], "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-dropped-last-segment", "kek", join(base[:hl], segs[0], segs[1], segs[2], segs[3]), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-dropped-middle-segment", "kek", join(base[:hl], segs[0], segs[2], segs[3], segs[4]), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-reordered-segments", "kek", join(base[:hl], segs[1], segs[0], segs[2], segs[3], segs[4]), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-duplicated-segment", "kek", join(base[:hl], segs[0], segs[0], segs[1], segs[2], segs[3], segs[4]), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-trailing-bytes", "kek", join(base, []byte{0}), "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-no-payload", "kek", base[:hl], "corrupt", envelope.SuiteStream, ad, nil, nil)
	add("neg-wrong-key", "x25519-other", seal(xID.Recipient(), envelope.SuiteStream, nil, pt), "no_match", envelope.SuiteStream, ad, nil, nil)
	add("neg-wrong-detached-key", "detached", base, "corrupt", envelope.SuiteStream, ad, nil, nil)
	// A stanza lifted from another envelope for the same KEK: it unwraps to
	// that envelope's key, which this header's MAC does not commit to.
	other := seal(kek, envelope.SuiteStream, nil, pt)
	oh, _ := envelope.ParseHeader(other)
	swapped := bytes.Clone(base)
	stanzaAt := 4 + 1 + 1 + 4 + 32 + 2
	copy(swapped[stanzaAt:stanzaAt+len(stanzaBytes(oh))], stanzaBytes(oh))
	add("neg-stanza-from-other-envelope", "kek", swapped, "corrupt", envelope.SuiteStream, ad, nil, nil)
	bad := bytes.Clone(base)
	bad[4] = 2
	add("neg-unknown-version", "kek", bad, "unsupported", envelope.SuiteStream, ad, nil, nil)
	bad = bytes.Clone(base)
	bad[5] = 9
	add("neg-unknown-suite", "kek", bad, "unsupported", envelope.SuiteStream, ad, nil, nil)
	bad = bytes.Clone(base)
	copy(bad[6:10], []byte{0x01, 0x00, 0x00, 0x01})
	add("neg-segment-size-over-limit", "kek", bad, "corrupt", envelope.SuiteStream, ad, nil, nil)

	// Detached wrapped-key records.
	for _, rc := range recipients {
		rec, err := envelope.WrapKey(detached, rc.r)
		if err != nil {
			t.Fatal(err)
		}
		f.Wrapped = append(f.Wrapped, wrappedVector{Name: rc.name, Identity: rc.name, Record: mustHex(rec), Expect: "ok", FileKey: mustHex(fileKey)})
	}
	rec, _ := envelope.WrapKey(detached, kek)
	tampered := bytes.Clone(rec)
	tampered[len(tampered)-1] ^= 1
	f.Wrapped = append(f.Wrapped,
		wrappedVector{Name: "neg-tampered", Identity: "kek", Record: mustHex(tampered), Expect: "no_match"},
		wrappedVector{Name: "neg-trailing", Identity: "kek", Record: mustHex(append(bytes.Clone(rec), 0)), Expect: "corrupt"},
		wrappedVector{Name: "neg-truncated", Identity: "kek", Record: mustHex(rec[:len(rec)-1]), Expect: "corrupt"},
		wrappedVector{Name: "neg-wrong-key", Identity: "x25519-other", Record: mustHex(mustWrap(t, detached, xID.Recipient())), Expect: "no_match"},
	)
	appendStrictVectors(t, f, kek, pbkdf2R, argonR, ad, pt)
	return f
}

func mustX25519(t *testing.T) *envelope.X25519Identity {
	id, err := envelope.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustWrap(t *testing.T, k *envelope.Key, r envelope.Recipient) []byte {
	rec, err := envelope.WrapKey(k, r)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// stanzaBytes returns the encoding of a header's single stanza.
func stanzaBytes(h *envelope.Header) []byte {
	s := h.Stanzas()[0]
	b := []byte{byte(len(s.Type))}
	b = append(b, s.Type...)
	b = append(b, byte(len(s.Hint)))
	b = append(b, s.Hint...)
	b = append(b, byte(len(s.Body)>>8), byte(len(s.Body)))
	return append(b, s.Body...)
}
