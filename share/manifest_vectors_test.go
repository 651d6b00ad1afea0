package share_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/sealkit/sealkit/share"
)

var updateManifests = flag.Bool("update-manifests", false, "regenerate testdata/manifests.json (frozen once committed: only to add vectors)")

const manifestsPath = "testdata/manifests.json"

// manifestFile is testdata/manifests.json: manifests signed by one owner
// key, each with the outcome a verifier must reach (SPEC.md §11).
type manifestFile struct {
	Comment   string         `json:"comment"`
	OwnerSeed string         `json:"owner_seed"` // Ed25519 seed, hex
	OwnerKey  string         `json:"owner_key"`  // its public key, hex
	Cases     []manifestCase `json:"cases"`
}

type manifestCase struct {
	Name     string `json:"name"`
	Manifest string `json:"manifest"` // hex
	// Result is "ok" (parses, verifies under owner_key, describes item),
	// "malformed" (ParseManifest refuses), "signature" (parses, does not
	// verify) or "describes" (verifies, but is not about item).
	Result string        `json:"result"`
	Item   *manifestItem `json:"item,omitempty"`
	// For "ok": the fields and the ManifestHash, hex.
	Fields *manifestFields `json:"fields,omitempty"`
	Hash   string          `json:"hash,omitempty"`
}

type manifestItem struct {
	ID      string `json:"id"`
	Owner   string `json:"owner"`
	Version uint64 `json:"version"`
	Header  string `json:"header"` // hex
	SHA256  string `json:"sha256"` // hex
	Size    int64  `json:"size"`
}

type manifestFields struct {
	Seq        uint64         `json:"seq"`
	Previous   string         `json:"previous,omitempty"`
	Recipients []recipientVec `json:"recipients"`
}

type recipientVec struct {
	User          string `json:"user"`
	BundleVersion uint64 `json:"bundle_version"`
	Space         string `json:"space,omitempty"`
}

func recipientVecs(rs []share.ManifestRecipient) []recipientVec {
	out := []recipientVec{}
	for _, r := range rs {
		out = append(out, recipientVec(r))
	}
	return out
}

func (mi *manifestItem) record(t testing.TB) *share.Item {
	t.Helper()
	return &share.Item{ID: mi.ID, Owner: mi.Owner, Version: mi.Version, Header: unhex(t, mi.Header), SHA256: unhex(t, mi.SHA256), Size: mi.Size}
}

func loadManifests(t testing.TB) *manifestFile {
	t.Helper()
	b, err := os.ReadFile(manifestsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f manifestFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no manifest vectors")
	}
	return &f
}

func TestVectorsManifests(t *testing.T) {
	f := loadManifests(t)
	owner := ed25519.PublicKey(unhex(t, f.OwnerKey))
	if !bytes.Equal(ed25519.NewKeyFromSeed(unhex(t, f.OwnerSeed)).Public().(ed25519.PublicKey), owner) {
		t.Fatal("owner_key is not owner_seed's")
	}
	results := map[string]int{}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			results[c.Result]++
			b := unhex(t, c.Manifest)
			m, err := share.ParseManifest(b)
			if c.Result == "malformed" {
				if !errors.Is(err, share.ErrBadManifest) || !errors.Is(err, share.ErrCorrupt) {
					t.Fatalf("ParseManifest: %v, want ErrBadManifest", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseManifest: %v", err)
			}
			if !bytes.Equal(m.Bytes(), b) {
				t.Fatal("does not re-encode to its bytes")
			}
			err = m.Verify(owner)
			if c.Result == "signature" {
				if !errors.Is(err, share.ErrBadManifest) {
					t.Fatalf("Verify: %v, want ErrBadManifest", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			err = m.Describes(c.Item.record(t))
			if c.Result == "describes" {
				if !errors.Is(err, share.ErrBadManifest) {
					t.Fatalf("Describes: %v, want ErrBadManifest", err)
				}
				return
			}
			if err != nil || c.Result != "ok" {
				t.Fatalf("Describes: %v (result %q)", err, c.Result)
			}
			if hex.EncodeToString(m.Hash()) != c.Hash {
				t.Fatalf("hash %x, want %s", m.Hash(), c.Hash)
			}
			if m.Seq != c.Fields.Seq || hex.EncodeToString(m.Previous) != c.Fields.Previous || !equalRecipients(recipientVecs(m.Recipients), c.Fields.Recipients) {
				t.Fatalf("fields %+v, want %+v", m, c.Fields)
			}
			// The signer makes these very bytes (Ed25519 is deterministic).
			again, err := share.SignManifest(ed25519.NewKeyFromSeed(unhex(t, f.OwnerSeed)), *m)
			if err != nil || !bytes.Equal(again.Bytes(), b) {
				t.Fatalf("SignManifest gives other bytes: %v", err)
			}
		})
	}
	for _, r := range []string{"ok", "malformed", "signature", "describes"} {
		if results[r] == 0 {
			t.Errorf("no %q vector", r)
		}
	}
}

func equalRecipients(a, b []recipientVec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rawManifest encodes a manifest body as SPEC.md §11 lays it out, without
// share's checks, so that the vectors can hold bodies share would refuse.
type rawManifest struct {
	format          byte
	item, owner     string
	version, seq    uint64
	header, payload []byte
	size            uint64
	previous        []byte
	recipients      []share.ManifestRecipient
}

func (r rawManifest) body() []byte {
	str8 := func(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
	b := []byte{r.format}
	b = str8(b, r.item)
	b = str8(b, r.owner)
	b = binary.BigEndian.AppendUint64(b, r.version)
	b = binary.BigEndian.AppendUint64(b, r.seq)
	b = append(b, r.header...)
	b = append(b, r.payload...)
	b = binary.BigEndian.AppendUint64(b, r.size)
	b = str8(b, string(r.previous))
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.recipients)))
	for _, e := range r.recipients {
		b = str8(b, e.User)
		b = binary.BigEndian.AppendUint64(b, e.BundleVersion)
		b = str8(b, e.Space)
	}
	return b
}

func (r rawManifest) signed(key ed25519.PrivateKey) []byte {
	body := r.body()
	msg := append(append([]byte(share.LabelManifest), 0), body...)
	return append(body, ed25519.Sign(key, msg)...)
}

// TestGenerateManifestVectors writes testdata/manifests.json with
// -update-manifests.
func TestGenerateManifestVectors(t *testing.T) {
	if !*updateManifests {
		t.Skip("run with -update-manifests to regenerate testdata/manifests.json")
	}
	seed := bytes.Repeat([]byte{0x4d}, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x6f}, ed25519.SeedSize))
	f := &manifestFile{
		Comment:   "sealkit share item manifests (share/SPEC.md §11), hex. Frozen: never regenerate to make a test pass.",
		OwnerSeed: hex.EncodeToString(seed), OwnerKey: hex.EncodeToString(key.Public().(ed25519.PublicKey)),
	}
	header := bytes.Repeat([]byte{0x48}, 61)
	payload := bytes.Repeat([]byte{0x50}, 32)
	item := &manifestItem{ID: "ITEM1", Owner: "alice", Version: 2, Header: hex.EncodeToString(header),
		SHA256: hex.EncodeToString(sha256Of(payload)), Size: 32}
	base := rawManifest{format: 1, item: "ITEM1", owner: "alice", version: 2, seq: 1,
		header: sha256Of(header), payload: sha256Of(payload), size: 32}
	add := func(name, result string, m []byte) {
		c := manifestCase{Name: name, Manifest: hex.EncodeToString(m), Result: result, Item: item}
		if result == "ok" {
			pm, err := share.ParseManifest(m)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			c.Hash = hex.EncodeToString(pm.Hash())
			c.Fields = &manifestFields{Seq: pm.Seq, Previous: hex.EncodeToString(pm.Previous), Recipients: recipientVecs(pm.Recipients)}
		}
		f.Cases = append(f.Cases, c)
	}
	first := base.signed(key)
	add("first manifest, no recipients", "ok", first)
	prev, _ := share.ParseManifest(first)
	three := base
	three.seq, three.previous = 2, prev.Hash()
	three.recipients = []share.ManifestRecipient{{User: "bob", BundleVersion: 1}, {User: "carol@example.com", Space: "SPACE1"}, {User: "dave", BundleVersion: 7}}
	add("second manifest, a direct, a space and a direct recipient", "ok", three.signed(key))
	long := base
	long.item, long.owner = string(bytes.Repeat([]byte("i"), 64)), string(bytes.Repeat([]byte("o"), 64))
	item2 := *item
	item2.ID, item2.Owner = long.item, long.owner
	long.recipients = []share.ManifestRecipient{{User: string(bytes.Repeat([]byte("r"), 64)), Space: string(bytes.Repeat([]byte("s"), 64))}}
	add("64-character IDs", "ok", long.signed(key))
	f.Cases[len(f.Cases)-1].Item = &item2

	good := three.signed(key)
	add("truncated signature", "malformed", good[:len(good)-1])
	add("a trailing byte", "malformed", append(bytes.Clone(good), 0))
	add("empty", "malformed", nil)
	mut := func(fn func(*rawManifest)) []byte { r := three; fn(&r); return r.signed(key) }
	add("format 2", "malformed", mut(func(r *rawManifest) { r.format = 2 }))
	add("version 0", "malformed", mut(func(r *rawManifest) { r.version = 0 }))
	add("seq 0", "malformed", mut(func(r *rawManifest) { r.seq = 0 }))
	add("seq 1 naming a previous manifest", "malformed", mut(func(r *rawManifest) { r.seq = 1 }))
	add("seq 2 without a previous manifest", "malformed", mut(func(r *rawManifest) { r.previous = nil }))
	add("recipients out of order", "malformed", mut(func(r *rawManifest) {
		r.recipients = []share.ManifestRecipient{r.recipients[1], r.recipients[0], r.recipients[2]}
	}))
	add("a recipient twice", "malformed", mut(func(r *rawManifest) {
		r.recipients = []share.ManifestRecipient{r.recipients[0], r.recipients[0]}
	}))
	add("the owner as a recipient", "malformed", mut(func(r *rawManifest) {
		r.recipients = []share.ManifestRecipient{{User: "alice", BundleVersion: 1}}
	}))
	add("a space recipient with a bundle version", "malformed", mut(func(r *rawManifest) {
		r.recipients = []share.ManifestRecipient{{User: "bob", BundleVersion: 1, Space: "SPACE1"}}
	}))
	add("an invalid recipient ID", "malformed", mut(func(r *rawManifest) {
		r.recipients = []share.ManifestRecipient{{User: ".bob", BundleVersion: 1}}
	}))
	add("size over 2^62", "malformed", mut(func(r *rawManifest) { r.size = 1<<62 + 1 }))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	add("a flipped signature bit", "signature", flipped)
	add("signed by another key", "signature", three.signed(other))
	add("another header", "describes", mut(func(r *rawManifest) { r.header = sha256Of([]byte("another header")) }))
	add("another version", "describes", mut(func(r *rawManifest) { r.version = 3 }))
	add("another payload size", "describes", mut(func(r *rawManifest) { r.size = 33 }))
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifestsPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha256Of(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
