package keylog

import (
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Per-request caps of the server side; each request does at most this
// much work (SPEC.md, "Bounded work").
const (
	// MaxEntriesPerRequest caps the entries one [Source.Entries] returns.
	MaxEntriesPerRequest = 256
	// MaxUserEntriesPerRequest caps the entries (each with its inclusion
	// proof) one [Source.UserEntries] returns.
	MaxUserEntriesPerRequest = 32
	// appendAttempts bounds how often Append retries after another writer
	// committed first.
	appendAttempts = 8
)

// Source is the read side of a log as a client sees it: a [*Log] in the
// same process, an [HTTPSource] across the network, or anything a test
// puts in between. Nothing it returns is trusted: [Client], [Monitor] and
// the witness verify all of it.
type Source interface {
	// Checkpoint returns the newest signed checkpoint.
	Checkpoint(ctx context.Context) ([]byte, error)
	// Entries returns the entries at [start, start+count), 1 ≤ count ≤
	// [MaxEntriesPerRequest].
	Entries(ctx context.Context, start uint64, count int) ([]Entry, error)
	// InclusionProof proves the entry at index in the tree of size.
	InclusionProof(ctx context.Context, index, size uint64) (*InclusionProof, error)
	// ConsistencyProof proves the tree of old a prefix of the tree of new.
	ConsistencyProof(ctx context.Context, old, new uint64) (*ConsistencyProof, error)
	// UserEntries returns up to limit (≤ [MaxUserEntriesPerRequest])
	// entries of user at or after index start and below size, each with
	// its inclusion proof in the tree of size.
	UserEntries(ctx context.Context, user string, start uint64, limit int, size uint64) ([]UserEntry, error)
}

// UserEntry is an entry found by user, with its index and its inclusion
// proof.
type UserEntry struct {
	Index uint64          `json:"index"`
	Entry Entry           `json:"entry"`
	Proof *InclusionProof `json:"proof"`
}

// Log is the server side of a key transparency log: it appends entries to
// a [Store], signs a checkpoint after each append, and answers proofs.
// Several Logs (in several processes) may share one Store: appends are
// serialised by the store's compare-and-swap.
type Log struct {
	store  Store
	origin string
	signer note.Signer
	rf     compact.RangeFactory
}

var _ Source = (*Log)(nil)

// New returns the log named origin (its checkpoints' first line, by
// convention the signer's name) over store, signing with signer (from
// note.NewSigner; Ed25519).
func New(store Store, origin string, signer note.Signer) (*Log, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	return &Log{store: store, origin: origin, signer: signer, rf: compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}}, nil
}

// Append adds e to the log and returns its index, once the entry, its
// nodes and the new checkpoint are committed together. Its work is
// O(log n): at most 53 node reads, one leaf hash, at most 53 more hashes
// and one signature.
func (l *Log) Append(ctx context.Context, e Entry) (uint64, error) {
	if err := e.Check(); err != nil {
		return 0, err
	}
	leaf := e.LeafHash()
	for range appendAttempts {
		head, err := l.store.Head(ctx)
		if err != nil {
			return 0, err
		}
		if head.Size >= MaxSize {
			return 0, fmt.Errorf("%w: the log is full", ErrRange)
		}
		r, err := l.compactRange(ctx, head.Size)
		if err != nil {
			return 0, err
		}
		c := &Commit{Size: head.Size, Entry: e}
		if err := r.Append(leaf, func(id compact.NodeID, h []byte) {
			c.Nodes = append(c.Nodes, Node{ID: NodeID{Level: uint8(id.Level), Index: id.Index}, Hash: h})
		}); err != nil {
			return 0, fmt.Errorf("keylog: stored tree is corrupt: %v", err)
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			return 0, fmt.Errorf("keylog: stored tree is corrupt: %v", err)
		}
		if c.Checkpoint, err = signCheckpoint(l.signer, l.origin, head.Size+1, root); err != nil {
			return 0, err
		}
		err = l.store.Commit(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return head.Size, nil
	}
	return 0, fmt.Errorf("%w: %d appends lost the race to other writers", ErrConflict, appendAttempts)
}

// compactRange reads the perfect subtrees that make up the tree of size.
func (l *Log) compactRange(ctx context.Context, size uint64) (*compact.Range, error) {
	hashes, err := l.nodes(ctx, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := l.rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("keylog: stored tree is corrupt: %v", err)
	}
	return r, nil
}

func (l *Log) nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	nids := make([]NodeID, len(ids))
	for i, id := range ids {
		nids[i] = NodeID{Level: uint8(id.Level), Index: id.Index}
	}
	return l.store.Nodes(ctx, nids)
}

// Checkpoint returns the newest signed checkpoint (for an empty log, one
// of size 0 signed now).
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	head, err := l.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	if head.Size == 0 {
		return signCheckpoint(l.signer, l.origin, 0, EmptyRoot)
	}
	return head.Checkpoint, nil
}

// size returns the committed size, with ErrRange unless n ≤ it.
func (l *Log) sizeAtLeast(ctx context.Context, n uint64) error {
	head, err := l.store.Head(ctx)
	if err != nil {
		return err
	}
	if n > head.Size {
		return fmt.Errorf("%w: size %d past the log's %d", ErrRange, n, head.Size)
	}
	return nil
}

// Entries implements [Source].
func (l *Log) Entries(ctx context.Context, start uint64, count int) ([]Entry, error) {
	if count < 1 || count > MaxEntriesPerRequest || start > MaxSize {
		return nil, fmt.Errorf("%w: %d entries, want 1 to %d", ErrRange, count, MaxEntriesPerRequest)
	}
	if err := l.sizeAtLeast(ctx, start+uint64(count)); err != nil {
		return nil, err
	}
	return l.store.Entries(ctx, start, count)
}

// InclusionProof implements [Source]: index < size ≤ the log's size, at
// most 53 node reads and as many hashes.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) (*InclusionProof, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: index %d not below size %d", ErrRange, index, size)
	}
	if err := l.sizeAtLeast(ctx, size); err != nil {
		return nil, err
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRange, err)
	}
	hs, err := l.rehash(ctx, n)
	if err != nil {
		return nil, err
	}
	return &InclusionProof{Index: index, Size: size, Hashes: hs}, nil
}

// ConsistencyProof implements [Source]: old ≤ new ≤ the log's size, at
// most 54 node reads and as many hashes.
func (l *Log) ConsistencyProof(ctx context.Context, old, new uint64) (*ConsistencyProof, error) {
	if old > new {
		return nil, fmt.Errorf("%w: old size %d past new size %d", ErrRange, old, new)
	}
	if err := l.sizeAtLeast(ctx, new); err != nil {
		return nil, err
	}
	n, err := proof.Consistency(old, new)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRange, err)
	}
	hs, err := l.rehash(ctx, n)
	if err != nil {
		return nil, err
	}
	return &ConsistencyProof{Old: old, New: new, Hashes: hs}, nil
}

func (l *Log) rehash(ctx context.Context, n proof.Nodes) ([][]byte, error) {
	hs, err := l.nodes(ctx, n.IDs)
	if err != nil {
		return nil, err
	}
	hs, err = n.Rehash(hs, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("keylog: stored tree is corrupt: %v", err)
	}
	if hs == nil {
		hs = [][]byte{}
	}
	return hs, nil
}

// UserEntries implements [Source]. It is a convenience for lookups: a
// server can leave entries out of it, so self-monitoring scans the whole
// log with [Monitor] instead.
func (l *Log) UserEntries(ctx context.Context, user string, start uint64, limit int, size uint64) ([]UserEntry, error) {
	if err := (Entry{User: user}).Check(); err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxUserEntriesPerRequest {
		return nil, fmt.Errorf("%w: %d entries, want 1 to %d", ErrRange, limit, MaxUserEntriesPerRequest)
	}
	if err := l.sizeAtLeast(ctx, size); err != nil {
		return nil, err
	}
	idx, err := l.store.UserIndexes(ctx, user, start, limit)
	if err != nil {
		return nil, err
	}
	out := make([]UserEntry, 0, len(idx))
	for _, i := range idx {
		if i >= size {
			break
		}
		es, err := l.store.Entries(ctx, i, 1)
		if err != nil {
			return nil, err
		}
		p, err := l.InclusionProof(ctx, i, size)
		if err != nil {
			return nil, err
		}
		out = append(out, UserEntry{Index: i, Entry: es[0], Proof: p})
	}
	return out, nil
}
