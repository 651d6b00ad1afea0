package share_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/share"
)

// FuzzDecodeRecord: every record decoder, selected by the first byte, on
// any bytes either returns a record that validates and re-encodes to a
// record that decodes again, or fails with ErrInvalid or ErrTooLarge; it
// never panics. Seeded from every record vector.
func FuzzDecodeRecord(f *testing.F) {
	vf := loadVectors(f)
	n := 0
	for _, v := range vf.Records {
		for i, k := range kinds {
			if k == v.Kind {
				f.Add(byte(i), []byte(v.Record))
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, sel byte, b []byte) {
		kind := kinds[int(sel)%len(kinds)]
		err := decoders[kind](b)
		if err != nil {
			if !errors.Is(err, share.ErrInvalid) && !errors.Is(err, share.ErrTooLarge) {
				t.Fatalf("%s: unexpected error class: %v", kind, err)
			}
			return
		}
	})
}

// FuzzDecodeLink: a decoded link always satisfies the limits the Service
// relies on, and survives a round trip.
func FuzzDecodeLink(f *testing.F) {
	seedKind(f, "link")
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := share.DecodeLink(b)
		if err != nil {
			if !errors.Is(err, share.ErrInvalid) && !errors.Is(err, share.ErrTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if l.Remaining > l.MaxDownloads || l.Remaining < 0 || len(l.Salt) != share.SaltSize ||
			l.Iterations < 1 || l.Iterations > 10_000_000 || len(l.VerifierHash) != 32 || !share.ValidID(l.ID) {
			t.Fatalf("decoded link outside limits: %+v", l)
		}
		re, _ := json.Marshal(l)
		if _, err := share.DecodeLink(re); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecodeShare: a decoded share names well-formed IDs (they name files
// and routes) and a known mode.
func FuzzDecodeShare(f *testing.F) {
	seedKind(f, "share")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := share.DecodeShare(b)
		if err != nil {
			return
		}
		for _, id := range []string{s.ID, s.Item, s.Owner, s.Recipient} {
			if !share.ValidID(id) {
				t.Fatalf("invalid ID %q accepted", id)
			}
		}
		switch s.Mode {
		case share.ModeDirect, share.ModeWrap, share.ModeReencrypt:
		default:
			t.Fatalf("mode %q accepted", s.Mode)
		}
	})
}

// FuzzVerifyAudit: a mutated chain never verifies unless it is the
// original, and verification never panics.
func FuzzVerifyAudit(f *testing.F) {
	vf := loadVectors(f)
	pub := ed25519.PublicKey(unhex(f, vf.AuditPublicKey))
	for _, c := range vf.Audit {
		b, _ := json.Marshal(c.Entries)
		f.Add(b)
	}
	valid, _ := json.Marshal(vf.Audit[0].Entries)
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := share.DecodeAuditChain(b)
		if err != nil {
			return
		}
		err = share.VerifyAudit(vf.AuditItem, entries, nil, func(string) (ed25519.PublicKey, error) { return pub, nil })
		if err != nil && !errors.Is(err, share.ErrAudit) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if err == nil && len(entries) == len(vf.Audit[0].Entries) {
			re, _ := json.Marshal(entries)
			var a, b []share.AuditEntry
			json.Unmarshal(re, &a)
			json.Unmarshal(valid, &b)
			for i := range a {
				if string(a[i].Hash) != string(b[i].Hash) {
					t.Fatal("a different full chain verified")
				}
			}
		}
	})
}

func seedKind(f *testing.F, kind string) {
	n := 0
	for _, v := range loadVectors(f).Records {
		if v.Kind == kind {
			f.Add([]byte(v.Record))
			n++
		}
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
}

// FuzzParseManifest: on any bytes ParseManifest either fails with
// ErrBadManifest (and ErrCorrupt) or returns a manifest that re-encodes to
// exactly those bytes and parses again to the same hash; it never panics
// and never verifies under the vectors' owner key unless the bytes are one
// of the valid vectors. Seeded from every manifest vector.
func FuzzParseManifest(f *testing.F) {
	mf := loadManifests(f)
	owner := ed25519.PublicKey(unhex(f, mf.OwnerKey))
	valid := map[string]bool{}
	for _, c := range mf.Cases {
		f.Add(unhex(f, c.Manifest))
		if c.Result == "ok" || c.Result == "describes" {
			valid[c.Manifest] = true
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := share.ParseManifest(b)
		if err != nil {
			if !errors.Is(err, share.ErrBadManifest) || !errors.Is(err, share.ErrCorrupt) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !bytes.Equal(m.Bytes(), b) {
			t.Fatal("does not re-encode to its bytes")
		}
		again, err := share.ParseManifest(m.Bytes())
		if err != nil || !bytes.Equal(again.Hash(), m.Hash()) {
			t.Fatalf("round trip: %v", err)
		}
		if m.Verify(owner) == nil && !valid[hex.EncodeToString(b)] {
			t.Fatal("a manifest the owner never signed verifies")
		}
	})
}
