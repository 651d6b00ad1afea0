// Package keylogtest is the conformance suite of keylog.Store: run
// TestStore against any implementation (memory, SQLite, PostgreSQL, a
// third party's), as testing/fstest checks an fs.FS. Fill builds large
// logs for a store's benchmarks.
package keylogtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/keylog"
	tlog "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// TestStore runs the conformance suite; newStore returns a new, empty
// store for each subtest (cleaning it up with t.Cleanup if needed).
func TestStore(t *testing.T, newStore func(t *testing.T) keylog.Store) {
	t.Run("Empty", func(t *testing.T) { testEmpty(t, newStore(t)) })
	t.Run("CommitAndRead", func(t *testing.T) { testCommitAndRead(t, newStore(t)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, newStore(t)) })
	t.Run("ConcurrentCommits", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	t.Run("UserIndexes", func(t *testing.T) { testUserIndexes(t, newStore(t)) })
	t.Run("Copies", func(t *testing.T) { testCopies(t, newStore(t)) })
	t.Run("LogOverStore", func(t *testing.T) { testLogOverStore(t, newStore(t)) })
}

func commitOf(size uint64, user string) *keylog.Commit {
	e := keylog.Entry{User: user, Data: fmt.Appendf(nil, "entry %d", size)}
	return &keylog.Commit{
		Size:       size,
		Entry:      e,
		Nodes:      []keylog.Node{{ID: keylog.NodeID{Level: 0, Index: size}, Hash: e.LeafHash()}},
		Checkpoint: fmt.Appendf(nil, "checkpoint %d\n", size+1),
	}
}

func mustCommit(t *testing.T, s keylog.Store, c *keylog.Commit) {
	t.Helper()
	if err := s.Commit(context.Background(), c); err != nil {
		t.Fatalf("Commit(size %d): %v", c.Size, err)
	}
}

func testEmpty(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size != 0 || len(h.Checkpoint) != 0 {
		t.Errorf("empty store's head is size %d, checkpoint %q", h.Size, h.Checkpoint)
	}
	if _, err := s.Entries(ctx, 0, 1); !errors.Is(err, keylog.ErrNotFound) {
		t.Errorf("Entries(0, 1) of an empty store: %v, want ErrNotFound", err)
	}
	if _, err := s.Nodes(ctx, []keylog.NodeID{{Level: 0, Index: 0}}); !errors.Is(err, keylog.ErrNotFound) {
		t.Errorf("Nodes of an empty store: %v, want ErrNotFound", err)
	}
	idx, err := s.UserIndexes(ctx, "alice", 0, 10)
	if err != nil || len(idx) != 0 {
		t.Errorf("UserIndexes of an empty store: %v, %v; want none", idx, err)
	}
}

func testCommitAndRead(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	var cs []*keylog.Commit
	for i := range uint64(3) {
		c := commitOf(i, "alice")
		if i == 1 {
			c.Nodes = append(c.Nodes, keylog.Node{ID: keylog.NodeID{Level: 1, Index: 0}, Hash: bytes.Repeat([]byte{7}, 32)})
		}
		mustCommit(t, s, c)
		cs = append(cs, c)
	}
	h, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size != 3 || !bytes.Equal(h.Checkpoint, cs[2].Checkpoint) {
		t.Errorf("head is size %d, checkpoint %q; want 3, %q", h.Size, h.Checkpoint, cs[2].Checkpoint)
	}
	es, err := s.Entries(ctx, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].User != "alice" || !bytes.Equal(es[0].Data, cs[1].Entry.Data) || !bytes.Equal(es[1].Data, cs[2].Entry.Data) {
		t.Errorf("Entries(1, 2) = %+v", es)
	}
	for _, r := range [][2]uint64{{3, 1}, {2, 2}, {0, 4}} {
		if _, err := s.Entries(ctx, r[0], int(r[1])); !errors.Is(err, keylog.ErrNotFound) {
			t.Errorf("Entries(%d, %d) past the size: %v, want ErrNotFound", r[0], r[1], err)
		}
	}
	ids := []keylog.NodeID{{Level: 1, Index: 0}, {Level: 0, Index: 2}}
	hs, err := s.Nodes(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hs[0], cs[1].Nodes[1].Hash) || !bytes.Equal(hs[1], cs[2].Nodes[0].Hash) {
		t.Errorf("Nodes returned the wrong hashes or order")
	}
	if _, err := s.Nodes(ctx, append(ids, keylog.NodeID{Level: 1, Index: 1})); !errors.Is(err, keylog.ErrNotFound) {
		t.Errorf("Nodes with a missing node: %v, want ErrNotFound", err)
	}
}

func testConflict(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	mustCommit(t, s, commitOf(0, "alice"))
	for _, size := range []uint64{0, 2, 5} {
		if err := s.Commit(ctx, commitOf(size, "mallory")); !errors.Is(err, keylog.ErrConflict) {
			t.Errorf("Commit at size %d of a store of 1: %v, want ErrConflict", size, err)
		}
	}
	h, _ := s.Head(ctx)
	if h.Size != 1 {
		t.Errorf("size %d after refused commits, want 1", h.Size)
	}
	if idx, _ := s.UserIndexes(ctx, "mallory", 0, 10); len(idx) != 0 {
		t.Errorf("a refused commit left user indexes %v", idx)
	}
	if es, err := s.Entries(ctx, 0, 1); err != nil || es[0].User != "alice" {
		t.Errorf("a refused commit changed entry 0: %+v, %v", es, err)
	}
}

func testConcurrent(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { errs[i] = s.Commit(ctx, commitOf(0, fmt.Sprintf("user%d", i))) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, keylog.ErrConflict):
			t.Errorf("a losing commit: %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d commits at size 0 succeeded, want exactly 1", won)
	}
	if h, _ := s.Head(ctx); h.Size != 1 {
		t.Errorf("size %d, want 1", h.Size)
	}
}

func testUserIndexes(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	users := []string{"alice", "bob", "alice", "alice", "bob", "alice"}
	for i, u := range users {
		mustCommit(t, s, commitOf(uint64(i), u))
	}
	for _, tc := range []struct {
		user  string
		start uint64
		limit int
		want  []uint64
	}{
		{"alice", 0, 10, []uint64{0, 2, 3, 5}},
		{"alice", 1, 2, []uint64{2, 3}},
		{"alice", 3, 10, []uint64{3, 5}},
		{"alice", 6, 10, nil},
		{"bob", 0, 1, []uint64{1}},
		{"carol", 0, 10, nil},
		{"alic", 0, 10, nil},
	} {
		got, err := s.UserIndexes(ctx, tc.user, tc.start, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("UserIndexes(%q, %d, %d) = %v, want %v", tc.user, tc.start, tc.limit, got, tc.want)
		}
	}
}

func testCopies(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	c := commitOf(0, "alice")
	want := bytes.Clone(c.Entry.Data)
	mustCommit(t, s, c)
	c.Entry.Data[0] ^= 1
	c.Nodes[0].Hash[0] ^= 1
	es, _ := s.Entries(ctx, 0, 1)
	if !bytes.Equal(es[0].Data, want) {
		t.Fatal("the store kept the caller's entry slice")
	}
	es[0].Data[0] ^= 1
	es2, _ := s.Entries(ctx, 0, 1)
	if !bytes.Equal(es2[0].Data, want) {
		t.Fatal("the store returned its own entry slice")
	}
	hs, _ := s.Nodes(ctx, []keylog.NodeID{{Level: 0, Index: 0}})
	if !bytes.Equal(hs[0], keylog.Entry{User: "alice", Data: want}.LeafHash()) {
		t.Fatal("the store kept the caller's node hash slice")
	}
}

// testLogOverStore appends through a keylog.Log and checks every
// inclusion and consistency proof it then serves.
func testLogOverStore(t *testing.T, s keylog.Store) {
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "keylogtest.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := keylog.New(s, "keylogtest.example/log", signer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keylog.NewVerifier("keylogtest.example/log", vkey)
	if err != nil {
		t.Fatal(err)
	}
	const n = 21
	var entries []keylog.Entry
	var cps []*keylog.Checkpoint
	for i := range n {
		e := keylog.Entry{User: fmt.Sprintf("user%d", i%3), Data: fmt.Appendf(nil, "bundle %d", i)}
		idx, err := l.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if idx != uint64(i) {
			t.Fatalf("Append returned index %d, want %d", idx, i)
		}
		signed, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := v.ParseCheckpoint(signed)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size != uint64(i+1) {
			t.Fatalf("checkpoint size %d after %d appends", cp.Size, i+1)
		}
		entries = append(entries, e)
		cps = append(cps, cp)
	}
	for size := 1; size <= n; size++ {
		for i := range size {
			p, err := l.InclusionProof(ctx, uint64(i), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.VerifyInclusion(cps[size-1], entries[i], p); err != nil {
				t.Errorf("entry %d in size %d: %v", i, size, err)
			}
		}
		for old := 1; old <= size; old++ {
			p, err := l.ConsistencyProof(ctx, uint64(old), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.VerifyConsistency(cps[old-1], cps[size-1], p); err != nil {
				t.Errorf("consistency %d to %d: %v", old, size, err)
			}
		}
	}
}

// FillEntry is the entry [Fill] logs at index i: user "user<i>" (so each
// user has one entry) and 64 bytes of data.
func FillEntry(i uint64) keylog.Entry {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	return keylog.Entry{User: fmt.Sprintf("user%d", i), Data: append(h[:], h[:]...)}
}

// Fill appends n entries ([FillEntry]) to s as a [keylog.Log] would, but
// without signing a checkpoint for each: only the last commit carries one,
// signed by signer for the log named origin. It builds the large logs of
// benchmarks quickly; call it inside a transaction to batch the commits.
func Fill(tb testing.TB, s keylog.Store, origin string, signer note.Signer, n int) {
	tb.Helper()
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ids := compact.RangeNodes(0, head.Size, nil)
	nids := make([]keylog.NodeID, len(ids))
	for i, id := range ids {
		nids[i] = keylog.NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	var hashes [][]byte
	if len(nids) > 0 {
		if hashes, err = s.Nodes(ctx, nids); err != nil {
			tb.Fatal(err)
		}
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r, err := rf.NewRange(0, head.Size, hashes)
	if err != nil {
		tb.Fatal(err)
	}
	for k := range n {
		size := r.End()
		c := &keylog.Commit{Size: size, Entry: FillEntry(size)}
		if err := r.Append(c.Entry.LeafHash(), func(id compact.NodeID, h []byte) {
			c.Nodes = append(c.Nodes, keylog.Node{ID: keylog.NodeID{Level: uint8(id.Level), Index: id.Index}, Hash: h})
		}); err != nil {
			tb.Fatal(err)
		}
		if k == n-1 {
			root, err := r.GetRootHash(nil)
			if err != nil {
				tb.Fatal(err)
			}
			text := tlog.Checkpoint{Origin: origin, Size: size + 1, Hash: root}.Marshal()
			if c.Checkpoint, err = note.Sign(&note.Note{Text: string(text)}, signer); err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.Commit(ctx, c); err != nil {
			tb.Fatal(err)
		}
	}
}

// BareAppend returns what a [keylog.Log.Append] to s builds on, for a
// benchmark to run beside it: each call appends the next [FillEntry] to a
// compact range over s's tree as it is now, in memory, and signs the
// checkpoint of the new size with signer for the log named origin.
func BareAppend(tb testing.TB, s keylog.Store, origin string, signer note.Signer) func() {
	tb.Helper()
	ctx := context.Background()
	head, err := s.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var nids []keylog.NodeID
	for _, id := range compact.RangeNodes(0, head.Size, nil) {
		nids = append(nids, keylog.NodeID{Level: uint8(id.Level), Index: id.Index})
	}
	var hashes [][]byte
	if len(nids) > 0 {
		if hashes, err = s.Nodes(ctx, nids); err != nil {
			tb.Fatal(err)
		}
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r, err := rf.NewRange(0, head.Size, hashes)
	if err != nil {
		tb.Fatal(err)
	}
	return func() {
		if err := r.Append(FillEntry(r.End()).LeafHash(), func(compact.NodeID, []byte) {}); err != nil {
			tb.Fatal(err)
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			tb.Fatal(err)
		}
		text := tlog.Checkpoint{Origin: origin, Size: r.End(), Hash: root}.Marshal()
		if _, err := note.Sign(&note.Note{Text: string(text)}, signer); err != nil {
			tb.Fatal(err)
		}
	}
}
