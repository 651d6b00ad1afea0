package keylog

import "context"

// NodeID names a node of the tree that covers a perfect subtree: Level 0
// is leaves, and the node at (Level, Index) covers the entries
// [Index·2^Level, (Index+1)·2^Level).
type NodeID struct {
	Level uint8
	Index uint64
}

// Node is a stored node hash.
type Node struct {
	ID   NodeID
	Hash []byte
}

// Head is the committed state of a log: its size and the signed
// checkpoint of that size. An empty store's Head is the zero value.
type Head struct {
	Size       uint64
	Checkpoint []byte
}

// Commit is one append, which a [Store] applies atomically: the entry
// gets index Size, Nodes are the perfect-subtree hashes it completes (the
// leaf hash first), and Checkpoint is signed for Size+1.
type Commit struct {
	Size       uint64
	Entry      Entry
	Nodes      []Node
	Checkpoint []byte
}

// Store is a log's durable state. It is shaped for a key-value record
// driver (SPEC.md gives the records): Commit is one transaction of
// create-only puts plus a compare-and-swap of the head; everything else
// reads records below the committed size. A Store does not check what it
// stores: the [Log] computes it. Methods are safe for concurrent use.
//
// Run keylogtest.TestStore against an implementation.
type Store interface {
	// Head returns the committed size and checkpoint.
	Head(ctx context.Context) (Head, error)
	// Commit applies c if the committed size is c.Size, else it returns
	// [ErrConflict] and changes nothing. Readers see all of c or none.
	Commit(ctx context.Context, c *Commit) error
	// Entries returns the entries at [start, start+count), which must all
	// be committed ([ErrNotFound] otherwise).
	Entries(ctx context.Context, start uint64, count int) ([]Entry, error)
	// Nodes returns the hashes of ids, in order ([ErrNotFound] if one is
	// missing).
	Nodes(ctx context.Context, ids []NodeID) ([][]byte, error)
	// UserIndexes returns, ascending, up to limit indexes at or after start
	// of committed entries whose User is user.
	UserIndexes(ctx context.Context, user string, start uint64, limit int) ([]uint64, error)
}
