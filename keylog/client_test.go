package keylog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/keylog"
)

// switchSource answers from one log until switched to another: a server
// that shows a client one history, then a different one (a fork).
type switchSource struct {
	keylog.Source
}

func TestClientAcceptsAnExtendingLog(t *testing.T) {
	ctx := context.Background()
	l := newTestLog(t, 1)
	l.appendN(t, 5, "e")
	c, err := keylog.NewClient(l.v, l, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 7, 16} {
		l.appendN(t, n, "e")
		cp, err := c.Refresh(ctx)
		if err != nil {
			t.Fatalf("Refresh after %d more: %v", n, err)
		}
		if cp.Size != uint64(len(l.entries)) {
			t.Fatalf("accepted size %d, want %d", cp.Size, len(l.entries))
		}
	}
	for i, e := range l.entries {
		if err := c.VerifyEntry(ctx, uint64(i), e); err != nil {
			t.Errorf("VerifyEntry(%d): %v", i, err)
		}
	}
	if err := c.VerifyEntry(ctx, 3, keylog.Entry{User: "u0", Data: []byte("forged")}); !errors.Is(err, keylog.ErrBadProof) {
		t.Errorf("VerifyEntry of a forged entry: %v, want ErrBadProof", err)
	}
	if err := c.VerifyEntry(ctx, uint64(len(l.entries)), l.entries[0]); !errors.Is(err, keylog.ErrRange) {
		t.Errorf("VerifyEntry past the checkpoint: %v, want ErrRange", err)
	}
	// A restarted client resumes from the persisted checkpoint.
	c2, err := keylog.NewClient(l.v, l, c.Latest().Note)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.Latest().Equal(c.Latest()) {
		t.Error("restored client has another checkpoint")
	}
}

// TestClientDetectsFork: two logs under one key share a prefix and then
// diverge. A client that saw one refuses the other, whether it is the same
// size, larger (the consistency proof fails) or smaller.
func TestClientDetectsFork(t *testing.T) {
	ctx := context.Background()
	honest, forked := newTestLog(t, 1), newTestLog(t, 1)
	honest.appendN(t, 6, "e")
	forked.appendN(t, 6, "e")
	honest.appendN(t, 4, "honest")
	forked.appendN(t, 4, "forged")

	src := &switchSource{Source: honest}
	c, err := keylog.NewClient(honest.v, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	seen := c.Latest()

	src.Source = forked
	_, err = c.Refresh(ctx)
	var fe *keylog.ForkError
	if !errors.Is(err, keylog.ErrFork) || !errors.As(err, &fe) {
		t.Fatalf("same-size fork: %v, want a *ForkError", err)
	}
	if !fe.Old.Equal(seen) || fe.New.Size != seen.Size || fe.New.Equal(seen) {
		t.Errorf("ForkError carries the wrong checkpoints")
	}

	forked.appendN(t, 3, "forged")
	_, err = c.Refresh(ctx)
	if !errors.Is(err, keylog.ErrFork) || !errors.Is(err, keylog.ErrBadProof) {
		t.Fatalf("larger fork: %v, want ErrFork and ErrBadProof", err)
	}
	if !c.Latest().Equal(seen) {
		t.Fatal("a refused checkpoint replaced the accepted one")
	}

	// Compare: a forked checkpoint carried in a share, smaller than ours.
	small := newTestLog(t, 1)
	small.appendN(t, 6, "e")
	small.appendN(t, 2, "forged")
	src.Source = honest
	if err := c.Compare(ctx, small.checkpoint(t).Note); !errors.Is(err, keylog.ErrFork) {
		t.Errorf("Compare of a smaller forked checkpoint: %v, want ErrFork", err)
	}
	prefix := newTestLog(t, 1)
	prefix.appendN(t, 6, "e")
	if err := c.Compare(ctx, prefix.checkpoint(t).Note); err != nil {
		t.Errorf("Compare of an honest older checkpoint: %v", err)
	}
	if !c.Latest().Equal(seen) {
		t.Error("Compare of an older checkpoint moved the accepted one back")
	}
}

func TestClientRefusesRollback(t *testing.T) {
	ctx := context.Background()
	l := newTestLog(t, 1)
	l.appendN(t, 3, "e")
	old := l.checkpoint(t)
	l.appendN(t, 3, "e")
	c, _ := keylog.NewClient(l.v, l, nil)
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Accept(old, nil); !errors.Is(err, keylog.ErrRollback) {
		t.Errorf("Accept of an older checkpoint: %v, want ErrRollback", err)
	}
}

func TestClientNeedsAProof(t *testing.T) {
	l := newTestLog(t, 1)
	l.appendN(t, 3, "e")
	a := l.checkpoint(t)
	l.appendN(t, 3, "e")
	b := l.checkpoint(t)
	c, _ := keylog.NewClient(l.v, l, nil)
	if err := c.Accept(a, nil); err != nil {
		t.Fatal(err)
	}
	p, err := l.ConsistencyProof(context.Background(), 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]*keylog.ConsistencyProof{
		"nil":        nil,
		"wrong-size": {Old: 2, New: 6, Hashes: p.Hashes},
	} {
		if err := c.Accept(b, q); !errors.Is(err, keylog.ErrBadProof) || errors.Is(err, keylog.ErrFork) {
			t.Errorf("%s proof: %v, want ErrBadProof and no fork", name, err)
		}
	}
	bad := &keylog.ConsistencyProof{Old: 3, New: 6, Hashes: [][]byte{p.Hashes[0], make([]byte, 32)}}
	bad.Hashes = append(bad.Hashes, p.Hashes[2:]...)
	if err := c.Accept(b, bad); !errors.Is(err, keylog.ErrFork) {
		t.Errorf("tampered proof: %v, want ErrFork", err)
	}
	if err := c.Accept(b, p); err != nil {
		t.Errorf("valid proof: %v", err)
	}
}

func TestCheckpointOfAnotherLog(t *testing.T) {
	l := newTestLog(t, 1)
	other := newTestLog(t, 2)
	other.appendN(t, 1, "e")
	b, _ := other.Checkpoint(context.Background())
	if _, err := l.v.ParseCheckpoint(b); !errors.Is(err, keylog.ErrBadSignature) {
		t.Errorf("checkpoint signed by another key: %v, want ErrBadSignature", err)
	}
}
