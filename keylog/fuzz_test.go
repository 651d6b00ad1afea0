package keylog_test

import (
	"context"
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
	f.Fuzz(func(t *testing.T, b []byte) {
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
