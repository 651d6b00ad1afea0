package keylog_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keylog"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// vectorFile holds the log's golden vectors (SPEC.md, "Golden vectors").
const vectorFile = "testdata/vectors.json"

// vectorSet is the layout of vectorFile. Bytes are hex; notes are their
// text. Every negative case names the error it must produce in expect,
// one of the keys of vectorCodes ("ok" when it must pass).
type vectorSet struct {
	Comment string `json:"comment"`
	Origin  string `json:"origin"`
	// LogKey is the log's signed-note verifier key; LogPrivateKey its
	// signer key (a test key), so a test can rebuild the log and compare
	// every byte it signs.
	LogKey        string `json:"log_key"`
	LogPrivateKey string `json:"log_private_key"`
	// Entries are the log's entries, in order: entry i has index i.
	Entries      []entryVector       `json:"entries"`
	BadEntries   []badEntryVector    `json:"bad_entries"`
	Leaves       []leafVector        `json:"leaves"`
	TreeHeads    []treeHeadVector    `json:"tree_heads"`
	Inclusion    []inclusionVector   `json:"inclusion"`
	Consistency  []consistencyVector `json:"consistency"`
	Checkpoints  []checkpointVector  `json:"checkpoints"`
	ClientChecks []clientVector      `json:"client"`
}

// entryVector: kind says what Data is ("bundle", "revocation" — a later
// bundle that drops a key —, "key-change", "raw"); leaf is Entry.Leaf,
// leaf_hash Entry.LeafHash.
type entryVector struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	User     string `json:"user"`
	Data     string `json:"data"`
	Leaf     string `json:"leaf"`
	LeafHash string `json:"leaf_hash"`
}

// badEntryVector is an entry Entry.Check refuses: user is hex (it may
// not be UTF-8); data is data_len zero bytes.
type badEntryVector struct {
	Name    string `json:"name"`
	UserHex string `json:"user_hex"`
	DataLen int    `json:"data_len"`
	Expect  string `json:"expect"`
}

// leafVector is an input of ParseLeaf: leaf followed by zeros zero
// bytes.
type leafVector struct {
	Name   string `json:"name"`
	Leaf   string `json:"leaf"`
	Zeros  int    `json:"zeros,omitempty"`
	Expect string `json:"expect"`
}

// treeHeadVector is the RFC 6962 root of the first size entries.
type treeHeadVector struct {
	Size uint64 `json:"size"`
	Root string `json:"root"`
}

// inclusionVector proves entries[entry] at index in the tree of size
// whose root is root.
type inclusionVector struct {
	Name   string   `json:"name"`
	Entry  int      `json:"entry"`
	Index  uint64   `json:"index"`
	Size   uint64   `json:"size"`
	Root   string   `json:"root"`
	Hashes []string `json:"hashes"`
	Expect string   `json:"expect"`
}

// consistencyVector proves the tree (old, old_root) a prefix of (new,
// new_root).
type consistencyVector struct {
	Name    string   `json:"name"`
	Old     uint64   `json:"old"`
	New     uint64   `json:"new"`
	OldRoot string   `json:"old_root"`
	NewRoot string   `json:"new_root"`
	Hashes  []string `json:"hashes"`
	Expect  string   `json:"expect"`
}

// checkpointVector is an input of Verifier.ParseCheckpoint; size and root
// are what it must return when expect is "ok".
type checkpointVector struct {
	Name   string `json:"name"`
	Note   string `json:"note"`
	Size   uint64 `json:"size,omitempty"`
	Root   string `json:"root,omitempty"`
	Expect string `json:"expect"`
}

// clientVector: a Client that accepted the checkpoint accepted is shown
// next with proof (nil when none is sent), and must answer expect.
type clientVector struct {
	Name     string       `json:"name"`
	Accepted string       `json:"accepted"`
	Next     string       `json:"next"`
	Proof    *proofVector `json:"proof"`
	Expect   string       `json:"expect"`
}

type proofVector struct {
	Old    uint64   `json:"old"`
	New    uint64   `json:"new"`
	Hashes []string `json:"hashes"`
}

// vectorCodes names the errors of the vectors. "fork_bad_proof" is a
// fork found by a consistency proof that failed: it matches both.
var vectorCodes = map[string][]error{
	"ok":             nil,
	"malformed":      {keylog.ErrMalformed},
	"bad_signature":  {keylog.ErrBadSignature},
	"wrong_origin":   {keylog.ErrWrongOrigin},
	"bad_proof":      {keylog.ErrBadProof},
	"fork":           {keylog.ErrFork},
	"fork_bad_proof": {keylog.ErrFork, keylog.ErrBadProof},
	"rollback":       {keylog.ErrRollback},
}

func loadVectors(t testing.TB) *vectorSet {
	t.Helper()
	b, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatalf("the golden vectors are missing: %v", err)
	}
	var vs vectorSet
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&vs); err != nil {
		t.Fatalf("%s: %v", vectorFile, err)
	}
	if len(vs.Entries) == 0 || len(vs.Inclusion) == 0 || len(vs.Consistency) == 0 || len(vs.Checkpoints) == 0 || len(vs.ClientChecks) == 0 {
		t.Fatalf("%s has an empty section", vectorFile)
	}
	return &vs
}

// checkOutcome fails t unless err is what expect names.
func checkOutcome(t *testing.T, expect string, err error) {
	t.Helper()
	want, ok := vectorCodes[expect]
	if !ok {
		t.Fatalf("unknown expect %q", expect)
	}
	if want == nil {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want %s, got success", expect)
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Fatalf("want %s, got %v", expect, err)
		}
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("vector hex %q: %v", s, err)
	}
	return b
}

func unhexAll(t testing.TB, ss []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = unhex(t, s)
	}
	return out
}

func (vs *vectorSet) entry(t testing.TB, i int) keylog.Entry {
	t.Helper()
	if i < 0 || i >= len(vs.Entries) {
		t.Fatalf("vector names entry %d of %d", i, len(vs.Entries))
	}
	return keylog.Entry{User: vs.Entries[i].User, Data: unhex(t, vs.Entries[i].Data)}
}

func (vs *vectorSet) verifier(t testing.TB) *keylog.Verifier {
	t.Helper()
	v, err := keylog.NewVerifier(vs.Origin, vs.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorsEntries(t *testing.T) {
	vs := loadVectors(t)
	for i, ev := range vs.Entries {
		t.Run(ev.Name, func(t *testing.T) {
			e := vs.entry(t, i)
			if err := e.Check(); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(e.Leaf()); got != ev.Leaf {
				t.Errorf("Leaf = %s, want %s", got, ev.Leaf)
			}
			if got := hex.EncodeToString(e.LeafHash()); got != ev.LeafHash {
				t.Errorf("LeafHash = %s, want %s", got, ev.LeafHash)
			}
			p, err := keylog.ParseLeaf(unhex(t, ev.Leaf))
			if err != nil || p.User != e.User || !bytes.Equal(p.Data, e.Data) {
				t.Errorf("ParseLeaf = %+v, %v; want the entry back", p, err)
			}
		})
	}
	for _, bv := range vs.BadEntries {
		t.Run(bv.Name, func(t *testing.T) {
			e := keylog.Entry{User: string(unhex(t, bv.UserHex)), Data: make([]byte, bv.DataLen)}
			checkOutcome(t, bv.Expect, e.Check())
			l, err := keylog.New(&keylog.MemStore{}, vs.Origin, mustSigner(t, vs.LogPrivateKey))
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Append(context.Background(), e)
			checkOutcome(t, bv.Expect, err)
		})
	}
	for _, lv := range vs.Leaves {
		t.Run(lv.Name, func(t *testing.T) {
			b := append(unhex(t, lv.Leaf), make([]byte, lv.Zeros)...)
			e, err := keylog.ParseLeaf(b)
			checkOutcome(t, lv.Expect, err)
			if err == nil && !bytes.Equal(e.Leaf(), b) {
				t.Error("the leaf does not round-trip")
			}
		})
	}
}

func mustSigner(t testing.TB, skey string) note.Signer {
	t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVectorsRebuild appends the entries to a new log with the vectors'
// key and checks that every tree head, proof and signed checkpoint it
// produces is the one in the file: the vectors are what the code does.
func TestVectorsRebuild(t *testing.T) {
	vs := loadVectors(t)
	ctx := context.Background()
	l, err := keylog.New(&keylog.MemStore{}, vs.Origin, mustSigner(t, vs.LogPrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	v := vs.verifier(t)
	notes := map[uint64]string{}
	for i := range vs.Entries {
		if _, err := l.Append(ctx, vs.entry(t, i)); err != nil {
			t.Fatal(err)
		}
		b, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		notes[uint64(i+1)] = string(b)
	}
	if len(vs.TreeHeads) != len(vs.Entries)+1 {
		t.Fatalf("%d tree heads for %d entries, want sizes 0 to %d", len(vs.TreeHeads), len(vs.Entries), len(vs.Entries))
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for _, th := range vs.TreeHeads {
		for r.End() < th.Size {
			if err := r.Append(vs.entry(t, int(r.End())).LeafHash(), nil); err != nil {
				t.Fatal(err)
			}
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if th.Size == 0 {
			root = keylog.EmptyRoot
		}
		if got := hex.EncodeToString(root); got != th.Root {
			t.Errorf("root of size %d = %s, want %s", th.Size, got, th.Root)
		}
		if th.Size == 0 {
			continue
		}
		cp, err := v.ParseCheckpoint([]byte(notes[th.Size]))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(cp.Hash) != th.Root {
			t.Errorf("the log's checkpoint of size %d has root %x, want %s", th.Size, cp.Hash, th.Root)
		}
	}
	for _, iv := range vs.Inclusion {
		if iv.Expect != "ok" {
			continue
		}
		p, err := l.InclusionProof(ctx, iv.Index, iv.Size)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexAll(p.Hashes); strings.Join(got, ",") != strings.Join(iv.Hashes, ",") {
			t.Errorf("%s: the log's proof is %v, want %v", iv.Name, got, iv.Hashes)
		}
	}
	for _, cv := range vs.Consistency {
		if cv.Expect != "ok" || cv.New > uint64(len(vs.Entries)) || cv.NewRoot != vs.TreeHeads[cv.New].Root {
			continue
		}
		p, err := l.ConsistencyProof(ctx, cv.Old, cv.New)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexAll(p.Hashes); strings.Join(got, ",") != strings.Join(cv.Hashes, ",") {
			t.Errorf("%s: the log's proof is %v, want %v", cv.Name, got, cv.Hashes)
		}
	}
	found := 0
	for _, cv := range vs.Checkpoints {
		if cv.Expect == "ok" && notes[cv.Size] == cv.Note {
			found++
		}
	}
	if found == 0 {
		t.Error("no valid checkpoint vector is byte for byte one the rebuilt log signs")
	}
}

func hexAll(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = hex.EncodeToString(b)
	}
	return out
}

func TestVectorsInclusion(t *testing.T) {
	vs := loadVectors(t)
	v := vs.verifier(t)
	for _, iv := range vs.Inclusion {
		t.Run(iv.Name, func(t *testing.T) {
			cp := &keylog.Checkpoint{Origin: vs.Origin, Size: iv.Size, Hash: unhex(t, iv.Root)}
			p := &keylog.InclusionProof{Index: iv.Index, Size: iv.Size, Hashes: unhexAll(t, iv.Hashes)}
			checkOutcome(t, iv.Expect, v.VerifyInclusion(cp, vs.entry(t, iv.Entry), p))
			// The JSON form goes through the parser to the same answer.
			q, err := keylog.ParseInclusionProof(p.Marshal())
			if err == nil {
				err = v.VerifyInclusion(cp, vs.entry(t, iv.Entry), q)
			}
			checkOutcome(t, iv.Expect, err)
		})
	}
}

func TestVectorsConsistency(t *testing.T) {
	vs := loadVectors(t)
	v := vs.verifier(t)
	for _, cv := range vs.Consistency {
		t.Run(cv.Name, func(t *testing.T) {
			old := &keylog.Checkpoint{Origin: vs.Origin, Size: cv.Old, Hash: unhex(t, cv.OldRoot)}
			nw := &keylog.Checkpoint{Origin: vs.Origin, Size: cv.New, Hash: unhex(t, cv.NewRoot)}
			p := &keylog.ConsistencyProof{Old: cv.Old, New: cv.New, Hashes: unhexAll(t, cv.Hashes)}
			checkOutcome(t, cv.Expect, v.VerifyConsistency(old, nw, p))
			q, err := keylog.ParseConsistencyProof(p.Marshal())
			if err == nil {
				err = v.VerifyConsistency(old, nw, q)
			}
			checkOutcome(t, cv.Expect, err)
		})
	}
}

func TestVectorsCheckpoints(t *testing.T) {
	vs := loadVectors(t)
	v := vs.verifier(t)
	for _, cv := range vs.Checkpoints {
		t.Run(cv.Name, func(t *testing.T) {
			cp, err := v.ParseCheckpoint([]byte(cv.Note))
			checkOutcome(t, cv.Expect, err)
			if err != nil {
				return
			}
			if cp.Size != cv.Size || hex.EncodeToString(cp.Hash) != cv.Root || cp.Origin != vs.Origin || string(cp.Note) != cv.Note {
				t.Errorf("parsed size %d root %x, want %d %s", cp.Size, cp.Hash, cv.Size, cv.Root)
			}
			// A client starting from it accepts it again.
			c, err := keylog.NewClient(v, nil, []byte(cv.Note))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Accept(cp, nil); err != nil {
				t.Errorf("Accept of the checkpoint the client starts from: %v", err)
			}
		})
	}
}

// staticSource is a Source that serves one consistency proof.
type staticSource struct {
	keylog.Source
	p *keylog.ConsistencyProof
}

func (s staticSource) ConsistencyProof(context.Context, uint64, uint64) (*keylog.ConsistencyProof, error) {
	if s.p == nil {
		return nil, keylog.ErrNotFound
	}
	return s.p, nil
}

func TestVectorsClient(t *testing.T) {
	vs := loadVectors(t)
	v := vs.verifier(t)
	for _, cv := range vs.ClientChecks {
		t.Run(cv.Name, func(t *testing.T) {
			var p *keylog.ConsistencyProof
			if cv.Proof != nil {
				p = &keylog.ConsistencyProof{Old: cv.Proof.Old, New: cv.Proof.New, Hashes: unhexAll(t, cv.Proof.Hashes)}
			}
			c, err := keylog.NewClient(v, staticSource{p: p}, []byte(cv.Accepted))
			if err != nil {
				t.Fatal(err)
			}
			before := c.Latest()
			next, err := v.ParseCheckpoint([]byte(cv.Next))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Accept(next, p)
			checkOutcome(t, cv.Expect, err)
			want := before
			if err == nil {
				want = next
			}
			if !c.Latest().Equal(want) {
				t.Errorf("accepted checkpoint is of size %d, want %d", c.Latest().Size, want.Size)
			}
			if fe := (*keylog.ForkError)(nil); errors.As(err, &fe) && (!fe.Old.Equal(before) || !fe.New.Equal(next)) {
				t.Error("the fork error does not carry both checkpoints")
			}
		})
	}
}
