package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sealkit/sealkit/envelope"
)

// seedEnvelopes adds every golden envelope (and wrapped-key record) to f.
func seedEnvelopes(f *testing.F, records bool) *vectorFile {
	vf := loadVectors(f)
	n := 0
	for _, v := range vf.Vectors {
		f.Add(unhex(f, v.Envelope))
		n++
	}
	if records {
		for _, w := range vf.Wrapped {
			f.Add(unhex(f, w.Record))
			n++
		}
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	return vf
}

// FuzzParseHeader: any bytes either parse into a header that re-encodes to
// exactly the bytes consumed, or fail with ErrCorrupt or ErrUnsupported.
func FuzzParseHeader(f *testing.F) {
	seedEnvelopes(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := envelope.ParseHeader(b)
		if err != nil {
			if !errors.Is(err, envelope.ErrCorrupt) && !errors.Is(err, envelope.ErrUnsupported) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !bytes.Equal(h.Bytes(), b[:h.Len()]) {
			t.Fatal("header bytes differ from input")
		}
		if h.SegmentSize() < envelope.MinSegmentSize || h.SegmentSize() > envelope.MaxSegmentSize {
			t.Fatal("segment size outside limits accepted")
		}
	})
}

// FuzzOpen: opening mutated envelopes with the right key never panics and
// never returns plaintext other than the original's.
func FuzzOpen(f *testing.F) {
	vf := seedEnvelopes(f, false)
	kek := testPairs(f)[2]
	ad := unhex(f, findVector(f, vf, "kek-suite1").AssociatedData)
	want := unhex(f, findVector(f, vf, "kek-suite1").Plaintext)
	f.Fuzz(func(t *testing.T, b []byte) {
		opts := &envelope.OpenOptions{}
		pt, openErr := envelope.Open(b, ad, opts, kek.id)
		// The seeds that open under this key hold prefixes of want.
		if openErr == nil && !bytes.HasPrefix(want, pt) {
			t.Fatalf("opened to unexpected plaintext of %d bytes", len(pt))
		}
		r, err := envelope.NewReader(bytes.NewReader(b), ad, opts, kek.id)
		if err != nil {
			if openErr == nil {
				t.Fatalf("Open succeeded, NewReader refused: %v", err)
			}
			return
		}
		got, err := io.ReadAll(r)
		if (err == nil) != (openErr == nil) {
			t.Fatalf("Reader and Open disagree: %v vs %v", err, openErr)
		}
		if err == nil && !bytes.Equal(got, pt) {
			t.Fatal("Reader and Open return different plaintexts")
		}
		// WriteTo opens straight out of a bytes.Reader's slices.
		r, err = envelope.NewReader(bytes.NewReader(b), ad, opts, kek.id)
		if err != nil {
			t.Fatalf("NewReader refused what it accepted: %v", err)
		}
		var out bytes.Buffer
		_, err = r.WriteTo(&out)
		if (err == nil) != (openErr == nil) {
			t.Fatalf("Reader.WriteTo and Open disagree: %v vs %v", err, openErr)
		}
		if !bytes.HasPrefix(want, out.Bytes()) || err == nil && !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("Reader.WriteTo released %d unexpected bytes", out.Len())
		}
	})
}

// FuzzReaderAt reads a golden envelope at random offsets and lengths and
// checks each read against the plaintext.
func FuzzReaderAt(f *testing.F) {
	vf := loadVectors(f)
	v := findVector(f, vf, "kek-suite2") // the suite that also works under fips140=only
	env, pt := unhex(f, v.Envelope), unhex(f, v.Plaintext)
	kek := testPairs(f)[2]
	for _, s := range [][2]int64{{0, 10}, {63, 2}, {64, 64}, {299, 5}, {250, 100}} {
		f.Add(s[0], s[1])
	}
	ra, err := envelope.NewReaderAt(bytes.NewReader(env), int64(len(env)), unhex(f, v.AssociatedData), nil, kek.id)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, off, n int64) {
		if n < 0 || n > 1<<16 {
			return
		}
		buf := make([]byte, n)
		k, err := ra.ReadAt(buf, off)
		if off < 0 {
			if err == nil {
				t.Fatal("negative offset accepted")
			}
			return
		}
		if off >= int64(len(pt)) {
			if k != 0 || (n > 0 && err != io.EOF) {
				t.Fatalf("read past end: %d, %v", k, err)
			}
			return
		}
		want := pt[off:min(off+n, int64(len(pt)))]
		if !bytes.Equal(buf[:k], want) {
			t.Fatal("wrong bytes")
		}
		if k < int(n) && err != io.EOF {
			t.Fatalf("short read without EOF: %v", err)
		}
	})
}

// FuzzUnwrapKey: wrapped-key records never panic the parser or identities.
func FuzzUnwrapKey(f *testing.F) {
	seedEnvelopes(f, true)
	ids := []envelope.Identity{}
	for _, p := range testPairs(f) {
		ids = append(ids, p.id)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := envelope.UnwrapKey(b, ids...)
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
		if err != nil && !errors.Is(err, envelope.ErrCorrupt) && !errors.Is(err, envelope.ErrIncorrectIdentity) && !errors.Is(err, envelope.ErrUnsupported) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// FuzzParseKeys feeds arbitrary bytes to every key parser.
func FuzzParseKeys(f *testing.F) {
	vf := loadVectors(f)
	n := 0
	for _, k := range vf.Keys {
		for _, h := range []string{k.Private, k.Public} {
			if h != "" {
				f.Add(unhex(f, h))
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := envelope.ParseRSARecipient(b); err == nil {
			if _, err := envelope.ParseRSARecipient(r.MarshalPKIX()); err != nil {
				t.Fatal("RSA SPKI does not round-trip")
			}
		}
		if id, err := envelope.ParseRSAIdentity(b); err == nil && id.Recipient() == nil {
			t.Fatal("RSA identity without recipient")
		}
		envelope.ParseHybridRecipient(b)
		if id, err := envelope.ParseHybridIdentity(b); err == nil && !bytes.Equal(id.Bytes(), b) {
			t.Fatal("hybrid seed does not round-trip")
		}
		if !fipsEnforced() {
			if r, err := envelope.ParseX25519Recipient(b); err == nil && len(r.Bytes()) != 32 {
				t.Fatal("X25519 key of the wrong size")
			}
			envelope.ParseX25519Identity(b)
		}
	})
}

// FuzzMetadata seals arbitrary metadata plaintexts into an authentic header
// and opens them: never a panic; what is accepted is valid UTF-8 and JSON,
// and re-sealing what was read reads back the same.
func FuzzMetadata(f *testing.F) {
	for _, c := range metadataCases {
		f.Add([]byte(c.json))
	}
	env, kek := metadataEnvelope(f, nil)
	h, err := envelope.ParseHeader(env)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		if len(js) > envelope.MaxMetadataSize-28 {
			return
		}
		_, m, err := envelope.OpenWithMetadata(reheader(t, env, metadataFileKey, nil, h.Stanzas(), js), nil, nil, kek)
		if err != nil {
			if !errors.Is(err, envelope.ErrCorrupt) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !utf8.Valid(js) || !json.Valid(js) {
			t.Fatalf("accepted %q", js)
		}
		again, err := envelope.Seal(nil, nil, &envelope.SealOptions{Metadata: m}, kek)
		if err != nil {
			t.Fatalf("accepted %q, cannot seal it back: %v", js, err)
		}
		_, m2, err := envelope.OpenWithMetadata(again, nil, nil, kek)
		if err != nil || !metadataEqual(m, m2) {
			t.Fatalf("accepted %q, re-sealed reads %+v, %v", js, m2, err)
		}
	})
}

// timeProfile is SPEC.md §2's time grammar; the range checks are left to
// time.Parse and to the offset test below.
var timeProfile = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-]([0-9]{2}):([0-9]{2}))$`)

// FuzzMetadataTime checks the time reader against an independent oracle:
// the grammar as a regular expression, time.Parse for the field ranges, and
// offsets within ±23:59.
func FuzzMetadataTime(f *testing.F) {
	for _, c := range metadataCases {
		var m map[string]any
		json.Unmarshal([]byte(c.json), &m)
		for _, k := range []string{"created", "modified"} {
			if s, ok := m[k].(string); ok {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := readTime(t, s)
		want := false
		var ref time.Time
		if g := timeProfile.FindStringSubmatch(s); g != nil && (g[2] == "Z" || g[3] <= "23" && g[4] <= "59") {
			_, err2 := time.Parse(time.RFC3339Nano, s)
			want = err2 == nil
		}
		if want != (err == nil) {
			t.Fatalf("%q: accepted %v, oracle says %v", s, err == nil, want)
		}
		if want {
			ref, _ = time.Parse(time.RFC3339Nano, s)
			if !ref.Equal(got) {
				t.Fatalf("%q: read %v, time.Parse %v", s, got, ref)
			}
		}
	})
}
