package keylog_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keylog"
)

// FuzzParsers: no input makes a parser panic, and whatever parses is
// within the caps.
func FuzzParsers(f *testing.F) {
	ctx := context.Background()
	l := newTestLog(f, 1)
	l.appendN(f, 7, "e")
	cp, _ := l.Checkpoint(ctx)
	ip, _ := l.InclusionProof(ctx, 3, 7)
	cq, _ := l.ConsistencyProof(ctx, 3, 7)
	for _, b := range [][]byte{cp, ip.Marshal(), cq.Marshal(), l.entries[0].Leaf(), []byte(`{"entries":[{"user":"a","data":"AA=="}]}`)} {
		f.Add(b)
	}
	vs := loadVectors(f)
	for _, c := range vs.Checkpoints {
		f.Add([]byte(c.Note))
	}
	for _, lv := range vs.Leaves {
		f.Add(unhex(f, lv.Leaf))
	}
	for _, ev := range vs.Entries {
		f.Add(unhex(f, ev.Leaf))
	}
	v := vs.verifier(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := v.ParseCheckpoint(b); err == nil && (len(c.Hash) != keylog.HashSize || c.Origin != vs.Origin || c.Size > keylog.MaxSize) {
			t.Fatal("parsed a checkpoint outside its caps")
		}
		if c, err := l.v.ParseCheckpoint(b); err == nil && len(c.Hash) != keylog.HashSize {
			t.Fatal("parsed a checkpoint with a short root")
		}
		if p, err := keylog.ParseInclusionProof(b); err == nil && (p.Index >= p.Size || len(p.Hashes) > keylog.MaxProofHashes) {
			t.Fatal("inclusion proof over its caps")
		}
		if p, err := keylog.ParseConsistencyProof(b); err == nil && (p.Old > p.New || len(p.Hashes) > keylog.MaxProofHashes) {
			t.Fatal("consistency proof over its caps")
		}
		if e, err := keylog.ParseLeaf(b); err == nil && string(e.Leaf()) != string(b) {
			t.Fatal("leaf does not round-trip")
		}
		if es, err := keylog.ParseEntries(b); err == nil && len(es) > keylog.MaxEntriesPerRequest {
			t.Fatal("too many entries")
		}
	})
}

// FuzzVerifyProofs: proofs cut from any bytes never make the verifiers
// panic, and no tampering of a golden proof verifies against its root.
func FuzzVerifyProofs(f *testing.F) {
	vs := loadVectors(f)
	v := vs.verifier(f)
	for _, iv := range vs.Inclusion {
		f.Add(true, iv.Index, iv.Size, bytes.Join(unhexAll(f, iv.Hashes), nil))
	}
	for _, cv := range vs.Consistency {
		f.Add(false, cv.Old, cv.New, bytes.Join(unhexAll(f, cv.Hashes), nil))
	}
	n := uint64(len(vs.Entries))
	f.Fuzz(func(t *testing.T, inclusion bool, a, b uint64, hb []byte) {
		var hs [][]byte
		for len(hb) >= keylog.HashSize {
			hs, hb = append(hs, hb[:keylog.HashSize]), hb[keylog.HashSize:]
		}
		if inclusion {
			p := &keylog.InclusionProof{Index: a, Size: b, Hashes: hs}
			if b < 1 || b > n || a >= b {
				_ = v.VerifyInclusion(&keylog.Checkpoint{Size: b, Hash: keylog.EmptyRoot}, vs.entry(t, 0), p)
				return
			}
			cp := &keylog.Checkpoint{Size: b, Hash: unhex(t, vs.TreeHeads[b].Root)}
			err := v.VerifyInclusion(cp, vs.entry(t, int(a)), p)
			if want := goldenProof(vs, true, a, b); err == nil && want != strings.Join(hexAll(hs), ",") {
				t.Fatalf("a proof other than the golden one verifies entry %d in size %d", a, b)
			}
			return
		}
		p := &keylog.ConsistencyProof{Old: a, New: b, Hashes: hs}
		if a > b || b > n {
			_ = v.VerifyConsistency(&keylog.Checkpoint{Size: a}, &keylog.Checkpoint{Size: b}, p)
			return
		}
		old := &keylog.Checkpoint{Size: a, Hash: unhex(t, vs.TreeHeads[a].Root)}
		nw := &keylog.Checkpoint{Size: b, Hash: unhex(t, vs.TreeHeads[b].Root)}
		err := v.VerifyConsistency(old, nw, p)
		if want := goldenProof(vs, false, a, b); err == nil && want != strings.Join(hexAll(hs), ",") {
			t.Fatalf("a proof other than the golden one verifies size %d to %d", a, b)
		}
	})
}

// goldenProof returns the hashes of the valid vector proof of (a, b),
// joined by commas.
func goldenProof(vs *vectorSet, inclusion bool, a, b uint64) string {
	if inclusion {
		for _, iv := range vs.Inclusion {
			if iv.Expect == "ok" && iv.Index == a && iv.Size == b {
				return strings.Join(iv.Hashes, ",")
			}
		}
	} else {
		if a == 0 || a == b {
			// RFC 9162, 2.1.4: the consistency proof from the empty tree,
			// or between equal sizes, is empty; the vectors do not list
			// every such pair (0 to 0 among them).
			return ""
		}
		for _, cv := range vs.Consistency {
			if cv.Expect == "ok" && cv.Old == a && cv.New == b {
				return strings.Join(cv.Hashes, ",")
			}
		}
	}
	return "no golden proof"
}
