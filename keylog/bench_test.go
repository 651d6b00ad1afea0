package keylog_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/benchutil"
	"github.com/sealkit/sealkit/keylog"
	"github.com/sealkit/sealkit/keylog/keylogtest"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// benchLog is a log of n entries built with keylogtest.Fill, with a copy
// of its nodes in a plain map for the bare merkle operations.
type benchLog struct {
	*testLog
	store  keylog.Store
	size   uint64
	signed []byte
	cp     *keylog.Checkpoint
	nodes  map[compact.NodeID][]byte
}

func newBenchLog(b *testing.B, n int) *benchLog {
	b.Helper()
	signer, vkey := logKey(b, origin, 1)
	store := &keylog.MemStore{}
	keylogtest.Fill(b, store, origin, signer, n)
	l, err := keylog.New(store, origin, signer)
	if err != nil {
		b.Fatal(err)
	}
	v, err := keylog.NewVerifier(origin, vkey)
	if err != nil {
		b.Fatal(err)
	}
	bl := &benchLog{testLog: &testLog{Log: l, v: v}, store: store, size: uint64(n), nodes: map[compact.NodeID][]byte{}}
	if bl.signed, err = l.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	}
	if bl.cp, err = v.ParseCheckpoint(bl.signed); err != nil {
		b.Fatal(err)
	}
	// The nodes an inclusion proof reads, for the bare path: every level
	// of the tree, read back from the store once.
	for level := uint(0); level < 64 && uint64(1)<<level <= bl.size; level++ {
		var ids []keylog.NodeID
		for i := uint64(0); i < bl.size>>level; i++ {
			ids = append(ids, keylog.NodeID{Level: uint8(level), Index: i})
		}
		hs, err := store.Nodes(context.Background(), ids)
		if err != nil {
			b.Fatal(err)
		}
		for i, id := range ids {
			bl.nodes[compact.NewNodeID(uint(id.Level), id.Index)] = hs[i]
		}
	}
	return bl
}

// bareInclusion is the merkle library's proof of index in the tree of
// size, its node hashes read from a map: what Log.InclusionProof builds on.
func (bl *benchLog) bareInclusion(index, size uint64) [][]byte {
	n, err := proof.Inclusion(index, size)
	if err != nil {
		panic(err)
	}
	hs := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		hs[i] = bl.nodes[id]
	}
	hs, err = n.Rehash(hs, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		panic(err)
	}
	return hs
}

// next returns a spread of indexes below size, one per call.
func indexes(size uint64) func() uint64 {
	var i uint64
	return func() uint64 { i++; return (i * 0x9E3779B97F4A7C15) % size }
}

var benchSizes = []int{1e4, 1e5, 1e6}

// BenchmarkInclusionProof: Log.InclusionProof against a log of 10^6
// entries, beside the bare merkle proof (proof.Inclusion, the node hashes
// from a map, Rehash).
func BenchmarkInclusionProof(b *testing.B) {
	bl := newBenchLog(b, 1e6)
	ctx := context.Background()
	next := indexes(bl.size)
	var idx uint64
	benchutil.ComparePrepared(b, 0, func() { idx = next() },
		func() {
			if _, err := bl.InclusionProof(ctx, idx, bl.size); err != nil {
				b.Fatal(err)
			}
		},
		func() { bl.bareInclusion(idx, bl.size) })
}

// BenchmarkLookup: Log.UserEntries (the user's one entry with its
// inclusion proof) against a log of 10^6 entries, beside the bare merkle
// proof of that entry.
func BenchmarkLookup(b *testing.B) {
	bl := newBenchLog(b, 1e6)
	ctx := context.Background()
	next := indexes(bl.size)
	var idx uint64
	var user string
	benchutil.ComparePrepared(b, 0, func() { idx = next(); user = keylogtest.FillEntry(idx).User },
		func() {
			ues, err := bl.UserEntries(ctx, user, 0, 1, bl.size)
			if err != nil || len(ues) != 1 || ues[0].Index != idx {
				b.Fatalf("lookup of %s: %v, %v", user, ues, err)
			}
		},
		func() { bl.bareInclusion(idx, bl.size) })
}

// BenchmarkVerifyLookup is the client's cost of a lookup in a log of 10^6
// entries: parsing the signed checkpoint (one Ed25519 verification) and
// verifying the entry's inclusion proof, beside one bare ed25519.Verify
// of the checkpoint plus the merkle library's inclusion check of the
// proof (the leaf hash and the proof's hashes).
func BenchmarkVerifyLookup(b *testing.B) {
	bl := newBenchLog(b, 1e6)
	ctx := context.Background()
	_, vkey := logKey(b, origin, 1)
	pub := ed25519.PublicKey(mustB64(b, strings.Split(vkey, "+")[2])[1:])
	text, sigLine, _ := strings.Cut(string(bl.signed), "\n\n")
	text += "\n"
	sig := mustB64(b, sigLine[strings.LastIndexByte(strings.TrimSuffix(sigLine, "\n"), ' ')+1:len(sigLine)-1])[4:]
	next := indexes(bl.size)
	var e keylog.Entry
	var p *keylog.InclusionProof
	benchutil.ComparePrepared(b, 0, func() {
		idx := next()
		e = keylogtest.FillEntry(idx)
		var err error
		if p, err = bl.InclusionProof(ctx, idx, bl.size); err != nil {
			b.Fatal(err)
		}
	},
		func() {
			cp, err := bl.v.ParseCheckpoint(bl.signed)
			if err != nil {
				b.Fatal(err)
			}
			if err := bl.v.VerifyInclusion(cp, e, p); err != nil {
				b.Fatal(err)
			}
		},
		func() {
			if !ed25519.Verify(pub, []byte(text), sig) {
				b.Fatal("bare signature check failed")
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.Size, rfc6962.DefaultHasher.HashLeaf(e.Leaf()), p.Hashes, bl.cp.Hash); err != nil {
				b.Fatal(err)
			}
		})
}

func mustB64(b *testing.B, s string) []byte {
	b.Helper()
	out, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkAppend: Log.Append to a MemStore log of 10^4, 10^5 and 10^6
// entries, beside the bare merkle append it builds on (compact.Range
// Append and GetRootHash in memory) plus the checkpoint's signature.
func BenchmarkAppend(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			bl := newBenchLog(b, n)
			benchAppend(b, bl, n)
		})
	}
}

// benchAppend compares bl.Append, bl holding n entries, with the bare
// append it builds on.
func benchAppend(b *testing.B, bl *benchLog, n int) {
	b.Helper()
	ctx := context.Background()
	signer, _ := logKey(b, origin, 1)
	bare := keylogtest.BareAppend(b, bl.store, origin, signer)
	i := uint64(n)
	benchutil.Compare(b, 0,
		func() {
			if _, err := bl.Append(ctx, keylogtest.FillEntry(i)); err != nil {
				b.Fatal(err)
			}
			i++
		},
		bare)
}

// TestFillIsWhatLogAppends: a log filled by keylogtest.Fill serves
// proofs that verify, and appends after it with Log.Append.
func TestFillIsWhatLogAppends(t *testing.T) {
	ctx := context.Background()
	signer, vkey := logKey(t, origin, 1)
	store := &keylog.MemStore{}
	keylogtest.Fill(t, store, origin, signer, 5)
	keylogtest.Fill(t, store, origin, signer, 6)
	l, err := keylog.New(store, origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, keylogtest.FillEntry(11)); err != nil {
		t.Fatal(err)
	}
	v, err := keylog.NewVerifier(origin, vkey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := v.ParseCheckpoint(signed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(12) {
		p, err := l.InclusionProof(ctx, i, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.VerifyInclusion(cp, keylogtest.FillEntry(i), p); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
}
