package envelope_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// metadataCase is one metadata plaintext for the golden vectors: the JSON
// bytes sealed into the header and, for "ok", what an opener must read.
type metadataCase struct {
	name   string
	json   string
	expect string
	meta   *envelope.Metadata
}

func zone(h, m int) *time.Location { return time.FixedZone("", h*3600+m*60) }

// metadataCases are the metadata plaintexts of the golden vectors named
// "meta-…", in the order they were appended.
var metadataCases = []metadataCase{
	{"meta-time-offset-edges", `{"created":"0000-01-01T00:00:00+23:59","modified":"9999-12-31T23:59:59.999999999-23:59"}`, "ok",
		&envelope.Metadata{Created: time.Date(0, 1, 1, 0, 0, 0, 0, zone(23, 59)), Modified: time.Date(9999, 12, 31, 23, 59, 59, 999999999, zone(-23, -59))}},
	{"meta-time-canonical-form", `{"created":"2024-02-29T12:00:00.500+00:00","modified":"2000-02-29T00:00:00.000-00:00"}`, "ok",
		&envelope.Metadata{Created: time.Date(2024, 2, 29, 12, 0, 0, 500e6, time.UTC), Modified: time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)}},
	{"meta-time-nanosecond", `{"created":"2024-01-01T00:00:00.000000001Z","modified":"2024-06-30T23:59:59.1+05:30"}`, "ok",
		&envelope.Metadata{Created: time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC), Modified: time.Date(2024, 6, 30, 23, 59, 59, 100e6, zone(5, 30))}},
	{"meta-null-members", `{"name":null,"type":null,"size":null,"created":null,"modified":null,"extra":null}`, "ok", &envelope.Metadata{}},
	{"meta-null-document", `null`, "ok", &envelope.Metadata{}},
	{"meta-unknown-members", `{"name":"a","future":{"x":[1,{"y":null,"z":[]}],"w":"\u00e9"},"n":1.5e3,"t":true}`, "ok", &envelope.Metadata{Name: "a"}},
	{"meta-names-not-folded", `{"SIZE":"x","ſize":"y","Name":5,"ＮＡＭＥ":[],"Extra":{"k":1}}`, "ok", &envelope.Metadata{}},
	{"meta-names-escaped", `{"\u006eame":"n","s\u0069ze":5}`, "ok", &envelope.Metadata{Name: "n", Size: 5}},
	{"meta-size-max-int64", `{"size":9223372036854775807}`, "ok", &envelope.Metadata{Size: 1<<63 - 1}},
	{"meta-size-min-int64", `{"size":-9223372036854775808}`, "ok", &envelope.Metadata{Size: -1 << 63}},
	{"meta-extra-strings", `{"extra":{"":"","k":"\ud83d\ude00","é":"\u0000"}}`, "ok", &envelope.Metadata{Extra: map[string]string{"": "", "k": "😀", "é": "\x00"}}},
	{"meta-depth-32", `{"u":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`, "ok", &envelope.Metadata{}},
	{"meta-whitespace", " \t\r\n{ \"name\" : \"x\" } \n", "ok", &envelope.Metadata{Name: "x"}},

	{"neg-meta-time-offset-minute-60", `{"created":"2024-01-01T00:00:00+00:60"}`, "corrupt", nil},
	{"neg-meta-time-offset-plus-24", `{"created":"2024-01-01T00:00:00+24:00"}`, "corrupt", nil},
	{"neg-meta-time-offset-minus-24", `{"created":"2024-01-01T00:00:00-24:00"}`, "corrupt", nil},
	{"neg-meta-time-offset-25", `{"created":"2024-01-01T00:00:00+25:00"}`, "corrupt", nil},
	{"neg-meta-time-offset-no-colon", `{"created":"2024-01-01T00:00:00+0100"}`, "corrupt", nil},
	{"neg-meta-time-one-digit-hour", `{"created":"2024-01-01T0:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-comma-fraction", `{"created":"2024-01-01T00:00:00,5Z"}`, "corrupt", nil},
	{"neg-meta-time-fraction-10-digits", `{"created":"2024-01-01T00:00:00.1234567891Z"}`, "corrupt", nil},
	{"neg-meta-time-empty-fraction", `{"created":"2024-01-01T00:00:00.Z"}`, "corrupt", nil},
	{"neg-meta-time-lowercase-t", `{"created":"2024-01-01t00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-lowercase-z", `{"created":"2024-01-01T00:00:00z"}`, "corrupt", nil},
	{"neg-meta-time-space", `{"created":"2024-01-01 00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-no-seconds", `{"created":"2024-01-01T00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-no-offset", `{"created":"2024-01-01T00:00:00"}`, "corrupt", nil},
	{"neg-meta-time-date-only", `{"created":"2024-01-01"}`, "corrupt", nil},
	{"neg-meta-time-leap-second", `{"created":"2016-12-31T23:59:60Z"}`, "corrupt", nil},
	{"neg-meta-time-hour-24", `{"created":"2024-01-01T24:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-february-30", `{"created":"2024-02-30T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-february-29-2023", `{"created":"2023-02-29T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-february-29-1900", `{"created":"1900-02-29T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-month-13", `{"created":"2024-13-01T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-day-0", `{"created":"2024-01-00T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-five-digit-year", `{"created":"12024-01-01T00:00:00Z"}`, "corrupt", nil},
	{"neg-meta-time-trailing-space", `{"created":"2024-01-01T00:00:00Z "}`, "corrupt", nil},
	{"neg-meta-time-not-string", `{"created":1704067200}`, "corrupt", nil},
	{"neg-meta-modified-offset-minute-60", `{"modified":"2024-01-01T00:00:00-01:60"}`, "corrupt", nil},

	{"neg-meta-repeated-name", `{"name":"a","name":"b"}`, "corrupt", nil},
	{"neg-meta-repeated-name-escaped", `{"size":1,"\u0073ize":2}`, "corrupt", nil},
	{"neg-meta-repeated-unknown-name", `{"SIZE":1,"SIZE":2}`, "corrupt", nil},
	{"neg-meta-repeated-name-in-extra", `{"extra":{"k":"a","k":"b"}}`, "corrupt", nil},
	{"neg-meta-repeated-name-nested", `{"future":[{"a":1,"a":2}]}`, "corrupt", nil},
	{"neg-meta-extra-null-value", `{"extra":{"k":null}}`, "corrupt", nil},
	{"neg-meta-extra-number-value", `{"extra":{"k":1}}`, "corrupt", nil},
	{"neg-meta-extra-array", `{"extra":["k"]}`, "corrupt", nil},
	{"neg-meta-invalid-utf8", "{\"name\":\"\xff\"}", "corrupt", nil},
	{"neg-meta-invalid-utf8-unknown", "{\"x\xc0\":1}", "corrupt", nil},
	{"neg-meta-lone-high-surrogate", `{"name":"\ud800"}`, "corrupt", nil},
	{"neg-meta-lone-low-surrogate", `{"name":"\udc00"}`, "corrupt", nil},
	{"neg-meta-high-surrogate-then-letter", `{"name":"\ud800\u0041"}`, "corrupt", nil},
	{"neg-meta-lone-surrogate-name", `{"\ud800":1}`, "corrupt", nil},
	{"neg-meta-byte-order-mark", "\ufeff{}", "corrupt", nil},
	{"neg-meta-depth-33", `{"u":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`, "corrupt", nil},
	{"neg-meta-size-fraction", `{"size":1.0}`, "corrupt", nil},
	{"neg-meta-size-exponent", `{"size":1e3}`, "corrupt", nil},
	{"neg-meta-size-2-63", `{"size":9223372036854775808}`, "corrupt", nil},
	{"neg-meta-size-below-min", `{"size":-9223372036854775809}`, "corrupt", nil},
	{"neg-meta-size-string", `{"size":"5"}`, "corrupt", nil},
	{"neg-meta-name-number", `{"name":5}`, "corrupt", nil},
	{"neg-meta-array", `[]`, "corrupt", nil},
	{"neg-meta-string", `"name"`, "corrupt", nil},
	{"neg-meta-empty", ``, "corrupt", nil},
	{"neg-meta-two-values", `{} {}`, "corrupt", nil},
	{"meta-time-zero-instant", `{"created":"0001-01-01T01:00:00+01:00","modified":"0001-01-01T00:00:00Z"}`, "ok", &envelope.Metadata{}},
}

// metadataFileKey is the file key of the "meta-…" and passphrase-mixing
// vectors: the test must know it to seal metadata plaintexts and headers
// that Seal would never write.
var metadataFileKey = bytes.Repeat([]byte{0x3c}, 32)

// reheader rebuilds env's header with the given stanzas and metadata
// plaintext (none if nil) and a fresh MAC under fileKey and ad, following
// SPEC.md §1–2 independently of the package. The payload is kept: its key
// depends only on the file key and the salt.
func reheader(t testing.TB, env, fileKey, ad []byte, stanzas []*envelope.Stanza, metaJSON []byte) []byte {
	t.Helper()
	skipInFIPS(t, "sealing a metadata block with a chosen nonce needs cipher.NewGCM")
	h, err := envelope.ParseHeader(env)
	if err != nil {
		t.Fatal(err)
	}
	salt := env[10:42]
	b := bytes.Clone(env[:42]) // magic, version, suite, segment size, salt
	b = binary.BigEndian.AppendUint16(b, uint16(len(stanzas)))
	for _, s := range stanzas {
		b = append(b, byte(len(s.Type)))
		b = append(b, s.Type...)
		b = append(b, byte(len(s.Hint)))
		b = append(b, s.Hint...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Body)))
		b = append(b, s.Body...)
	}
	var block []byte
	if metaJSON != nil {
		mk, err := hkdf.Key(sha256.New, fileKey, salt, "sealkit/envelope/v1/metadata", 32)
		if err != nil {
			t.Fatal(err)
		}
		c, err := aes.NewCipher(mk)
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCM(c)
		if err != nil {
			t.Fatal(err)
		}
		nonce := make([]byte, 12)
		rand.Read(nonce)
		block = gcm.Seal(nonce, nonce, metaJSON, nil)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(block)))
	b = append(b, block...)
	macKey, err := hkdf.Key(sha256.New, fileKey, salt, "sealkit/envelope/v1/header-mac", 32)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, macKey)
	m.Write(b)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(ad))))
	m.Write(ad)
	b = m.Sum(b)
	return append(b, env[h.Len():]...)
}

// appendStrictVectors appends the vectors for the strict metadata rules and
// the passphrase mixing rule, after every earlier vector, so the earlier
// ones stay byte-identical.
func appendStrictVectors(t *testing.T, f *vectorFile, kek *envelope.KEK, pass envelope.Recipient, argon envelope.Recipient, ad, pt []byte) {
	fk, err := envelope.NewKeyFromBytes(metadataFileKey)
	if err != nil {
		t.Fatal(err)
	}
	pt = pt[:70] // two 64-byte segments
	base, err := envelope.Seal(pt, ad, &envelope.SealOptions{Key: fk, SegmentSize: 64, Suite: envelope.SuiteRandomNonce}, kek)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := envelope.ParseHeader(base)
	add := func(name string, env []byte, expect string, m *envelope.Metadata) {
		v := vector{Name: name, Identity: "kek", AssociatedData: mustHex(ad), Envelope: mustHex(env), Expect: expect, Suite: int(envelope.SuiteRandomNonce)}
		if expect == "ok" {
			v.Plaintext, v.Metadata = mustHex(pt), m
		}
		f.Vectors = append(f.Vectors, v)
	}
	for _, c := range metadataCases {
		add(c.name, reheader(t, base, metadataFileKey, ad, h.Stanzas(), []byte(c.json)), c.expect, c.meta)
	}
	// A passphrase stanza beside a KEK stanza: refused even by an opener
	// holding only the KEK, whose own stanza would unwrap.
	ps, err := pass.Wrap(metadataFileKey)
	if err != nil {
		t.Fatal(err)
	}
	add("neg-passphrase-beside-kek", reheader(t, base, metadataFileKey, ad, append(h.Stanzas(), ps...), nil), "corrupt", nil)
	add("neg-passphrase-before-kek", reheader(t, base, metadataFileKey, ad, append(ps, h.Stanzas()...), nil), "corrupt", nil)
	as, err := argon.Wrap(metadataFileKey)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := envelope.WrapKey(fk, kek)
	if err != nil {
		t.Fatal(err)
	}
	// A record is magic, version, stanza count, stanzas: add one stanza.
	mixed := bytes.Clone(rec)
	binary.BigEndian.PutUint16(mixed[5:7], 2)
	s := as[0]
	mixed = append(mixed, byte(len(s.Type)))
	mixed = append(mixed, s.Type...)
	mixed = append(mixed, 0)
	mixed = binary.BigEndian.AppendUint16(mixed, uint16(len(s.Body)))
	mixed = append(mixed, s.Body...)
	f.Wrapped = append(f.Wrapped, wrappedVector{Name: "neg-passphrase-beside-kek", Identity: "kek", Record: mustHex(mixed), Expect: "corrupt"})
}

// TestMetadataCasesInVectors checks that every metadata case is in the
// golden file under its name, sealing exactly its JSON, so the table and
// the frozen file cannot drift apart.
func TestMetadataCasesInVectors(t *testing.T) {
	skipInFIPS(t, "decrypting the metadata block with its stored nonce needs cipher.NewGCM")
	f := loadVectors(t)
	for _, c := range metadataCases {
		v := findVector(t, f, c.name)
		env := unhex(t, v.Envelope)
		h, err := envelope.ParseHeader(env)
		if err != nil {
			t.Fatal(err)
		}
		got, err := openMetadataBlock(env, h)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(got) != c.json || v.Expect != c.expect {
			t.Fatalf("%s: vector seals %q (%s), table says %q (%s)", c.name, got, v.Expect, c.json, c.expect)
		}
	}
}

// openMetadataBlock decrypts a header's metadata block with metadataFileKey.
func openMetadataBlock(env []byte, h *envelope.Header) ([]byte, error) {
	salt := env[10:42]
	raw := h.Bytes()
	off := 42 + 2
	for _, s := range h.Stanzas() {
		off += 1 + len(s.Type) + 1 + len(s.Hint) + 2 + len(s.Body)
	}
	n := binary.BigEndian.Uint32(raw[off:])
	block := raw[off+4 : off+4+int(n)]
	mk, err := hkdf.Key(sha256.New, metadataFileKey, salt, "sealkit/envelope/v1/metadata", 32)
	if err != nil {
		return nil, err
	}
	c, err := aes.NewCipher(mk)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(c)
	if err != nil {
		return nil, err
	}
	return gcm.Open(nil, block[:12], block[12:], nil)
}

// metadataEnvelope seals pt with kek and the metadata plaintext js.
func metadataEnvelope(t testing.TB, js []byte) ([]byte, *envelope.KEK) {
	t.Helper()
	kek, err := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	fk, _ := envelope.NewKeyFromBytes(metadataFileKey)
	env, err := envelope.Seal([]byte("x"), nil, &envelope.SealOptions{Key: fk, SegmentSize: 64, Suite: envelope.SuiteRandomNonce}, kek)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := envelope.ParseHeader(env)
	return reheader(t, env, metadataFileKey, nil, h.Stanzas(), js), kek
}

// readTime opens an envelope whose metadata is {"created": s}.
func readTime(t testing.TB, s string) (time.Time, error) {
	t.Helper()
	js, _ := json.Marshal(map[string]string{"created": s})
	env, kek := metadataEnvelope(t, js)
	_, m, err := envelope.OpenWithMetadata(env, nil, nil, kek)
	if err != nil {
		return time.Time{}, err
	}
	return m.Created, nil
}

// TestMetadataTimeRoundTrip: every accepted time re-encodes (as Seal writes
// it) to a string the reader accepts, naming the same instant at the same
// offset. Re-encoding is canonical, not byte-identical: trailing zeros of
// the fraction are dropped and a zero offset is written Z.
func TestMetadataTimeRoundTrip(t *testing.T) {
	var inputs []string
	for _, date := range []string{"0000-01-01", "0000-02-29", "1900-02-28", "2000-02-29", "2024-12-31", "9999-12-31"} {
		for _, clock := range []string{"00:00:00", "23:59:59", "12:34:56.7", "12:34:56.000", "12:34:56.123456789", "01:02:03.100000000"} {
			for _, off := range []string{"Z", "+00:00", "-00:00", "+23:59", "-23:59", "+05:30", "-00:01"} {
				inputs = append(inputs, date+"T"+clock+off)
			}
		}
	}
	canonical := map[string]string{
		"2000-02-29T12:34:56.000-00:00":       "2000-02-29T12:34:56Z",
		"2000-02-29T01:02:03.100000000+05:30": "2000-02-29T01:02:03.1+05:30",
	}
	for _, s := range inputs {
		got, err := readTime(t, s)
		if err != nil {
			t.Fatalf("%s refused: %v", s, err)
		}
		m := &envelope.Metadata{Created: got}
		js, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%s does not re-encode: %v", s, err)
		}
		var w struct{ Created string }
		json.Unmarshal(js, &w)
		again, err := readTime(t, w.Created)
		if err != nil {
			t.Fatalf("%s re-encodes to %s, which is refused: %v", s, w.Created, err)
		}
		_, off1 := got.Zone()
		_, off2 := again.Zone()
		if !again.Equal(got) || off1 != off2 {
			t.Fatalf("%s re-encodes to %s, another instant or offset", s, w.Created)
		}
		if want, ok := canonical[s]; ok && w.Created != want {
			t.Fatalf("%s re-encodes to %s, want %s", s, w.Created, want)
		}
	}
}

// TestMetadataTimeFractionRefused: more than nine fraction digits are
// refused, never truncated or rounded.
func TestMetadataTimeFractionRefused(t *testing.T) {
	if got, err := readTime(t, "2024-01-01T00:00:00.123456789Z"); err != nil || got.Nanosecond() != 123456789 {
		t.Fatalf("nine digits: %v, %v", got, err)
	}
	for _, s := range []string{"2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00.9999999999Z"} {
		if _, err := readTime(t, s); !errors.Is(err, envelope.ErrCorrupt) {
			t.Fatalf("%s: %v, want ErrCorrupt", s, err)
		}
	}
}

// TestSealSubMinuteOffset: a time in a zone whose offset is not whole
// minutes is written in UTC, so it reads back as the same instant.
func TestSealSubMinuteOffset(t *testing.T) {
	kek, _ := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	for _, off := range []int{3601, -30, 19*60 + 32} {
		want := time.Date(1930, 5, 1, 12, 0, 0, 0, time.FixedZone("LMT", off))
		env, err := envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: &envelope.Metadata{Modified: want}}, kek)
		if err != nil {
			t.Fatal(err)
		}
		_, m, err := envelope.OpenWithMetadata(env, nil, nil, kek)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Modified.Equal(want) {
			t.Fatalf("offset %ds: read %v, sealed %v", off, m.Modified, want)
		}
	}
}

// TestPassphraseBesideStanzaAnyOpener: the rule binds the opener, whatever
// identities it holds and in whatever order: a KEK identity whose own stanza
// would unwrap still gets corrupt, and no identity is asked.
func TestPassphraseBesideStanzaAnyOpener(t *testing.T) {
	f := loadVectors(t)
	ids, _ := identities(t, f)
	asked := &countingIdentity{}
	for _, name := range []string{"neg-passphrase-beside-kek", "neg-passphrase-before-kek"} {
		v := findVector(t, f, name)
		env := unhex(t, v.Envelope)
		ad := unhex(t, v.AssociatedData)
		for _, idl := range [][]envelope.Identity{{asked, ids["kek"]}, {ids["kek"], ids["pbkdf2"]}, {ids["pbkdf2"], ids["kek"]}, nil} {
			if _, err := envelope.Open(env, ad, nil, idl...); !errors.Is(err, envelope.ErrCorrupt) {
				t.Fatalf("%s with %d identities: %v, want ErrCorrupt", name, len(idl), err)
			}
		}
		// A detached key looks at no stanza, so the rule does not apply.
		fk, _ := envelope.NewKeyFromBytes(metadataFileKey)
		if _, err := envelope.Open(env, ad, &envelope.OpenOptions{Key: fk}); err != nil {
			t.Fatalf("%s with the detached key: %v", name, err)
		}
	}
	if asked.n != 0 {
		t.Fatalf("an identity was asked %d times", asked.n)
	}
}

type countingIdentity struct{ n int }

func (c *countingIdentity) Unwrap([]*envelope.Stanza) ([]byte, error) {
	c.n++
	return nil, envelope.ErrIncorrectIdentity
}

// TestDefaultSegmentSize: the default is SPEC.md's 65,536 bytes, and Seal
// writes it when the caller sets none.
func TestDefaultSegmentSize(t *testing.T) {
	if envelope.DefaultSegmentSize != 65536 {
		t.Fatalf("DefaultSegmentSize = %d, SPEC.md says 65536", envelope.DefaultSegmentSize)
	}
	kek, _ := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	env, err := envelope.Seal(nil, nil, nil, kek)
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint32(env[6:10]); got != 65536 {
		t.Fatalf("Seal wrote segment size %d", got)
	}
}

// hugePayload is an io.ReaderAt over a header followed by n payload bytes
// that are never stored: it counts the reads past the header.
type hugePayload struct {
	header []byte
	n      int64
	reads  int
}

func (p *hugePayload) ReadAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > int64(len(p.header)) {
		p.reads++
	}
	if off >= int64(len(p.header))+p.n {
		return 0, io.EOF
	}
	k := 0
	if off < int64(len(p.header)) {
		k = copy(b, p.header[off:])
	}
	clear(b[k:])
	return len(b), nil
}

// TestRandomNonceSegmentLimit: an opener refuses, as corrupt and before
// reading any of it, a suite 2 payload of more than 2^32 segments; at
// exactly 2^32 it goes on to authenticate the final segment.
func TestRandomNonceSegmentLimit(t *testing.T) {
	kek, _ := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	env, err := envelope.Seal(nil, nil, &envelope.SealOptions{SegmentSize: 64, Suite: envelope.SuiteRandomNonce}, kek)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := envelope.ParseHeader(env)
	const full = 64 + 28
	for _, c := range []struct {
		segments int64
		reads    bool
	}{{1 << 32, true}, {1<<32 + 1, false}} {
		t.Run(fmt.Sprint(c.segments), func(t *testing.T) {
			src := &hugePayload{header: env[:h.Len()], n: c.segments * full}
			_, err := envelope.NewReaderAt(src, int64(h.Len())+src.n, nil, nil, kek)
			if !errors.Is(err, envelope.ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
			if (src.reads > 0) != c.reads {
				t.Fatalf("%d payload reads", src.reads)
			}
		})
	}
}

// TestSealRefusesUnreadableMetadata: Seal never writes metadata a reader
// refuses, such as extra names that differ only in invalid UTF-8, which
// encoding/json writes as the same U+FFFD.
func TestSealRefusesUnreadableMetadata(t *testing.T) {
	kek, _ := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	m := &envelope.Metadata{Extra: map[string]string{"\xff": "a", "\xfe": "b"}}
	if _, err := envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: m}, kek); err == nil {
		t.Fatal("sealed metadata with repeated names")
	}
	m = &envelope.Metadata{Name: "\xff", Extra: map[string]string{"\xff": "a"}}
	env, err := envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: m}, kek)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := envelope.OpenWithMetadata(env, nil, nil, kek); err != nil || got.Name != "\ufffd" || got.Extra["\ufffd"] != "a" {
		t.Fatalf("%+v, %v", got, err)
	}
}

// TestSealRefusesOversizedMetadata: metadata whose sealed block is over
// MaxMetadataSize is refused as the caller's error, not as a corrupt
// envelope, and the largest block a reader accepts seals and opens.
func TestSealRefusesOversizedMetadata(t *testing.T) {
	kek, _ := envelope.NewKEK("k", bytes.Repeat([]byte{7}, 32))
	// 12-byte nonce + JSON + 16-byte tag.
	name := strings.Repeat("x", envelope.MaxMetadataSize-28-len(`{"name":""}`))
	env, err := envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: &envelope.Metadata{Name: name}}, kek)
	if err != nil {
		t.Fatalf("largest block: %v", err)
	}
	if _, got, err := envelope.OpenWithMetadata(env, nil, nil, kek); err != nil || got.Name != name {
		t.Fatalf("largest block did not open: %v", err)
	}
	_, err = envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: &envelope.Metadata{Name: name + "x"}}, kek)
	if err == nil || errors.Is(err, envelope.ErrCorrupt) {
		t.Fatalf("one byte over the limit: %v, want a refusal that is not ErrCorrupt", err)
	}
}

// TestMetadataZeroInstantIsZeroTime: the zero instant written at any offset
// reads as the zero time.Time itself (SPEC.md §2), not as a Time that is
// IsZero but carries a zone.
func TestMetadataZeroInstantIsZeroTime(t *testing.T) {
	for _, s := range []string{"0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "0000-12-31T23:00:00-01:00"} {
		got, err := readTime(t, s)
		if err != nil || got != (time.Time{}) {
			t.Errorf("%s read as %#v, %v; want time.Time{}", s, got, err)
		}
	}
}
