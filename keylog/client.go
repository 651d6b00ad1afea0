package keylog

import (
	"context"
	"fmt"
	"sync"
)

// Client is a log's client state: the newest checkpoint it has accepted.
// It accepts a checkpoint of the same size only with the same root, a
// larger one only with a consistency proof from the accepted one, and
// never a smaller one, so once it has seen a checkpoint the log cannot
// show it a different history without [ErrFork]. Persist [Client.Latest]
// and pass it back to [NewClient] so this holds across restarts.
// Methods are safe for concurrent use.
type Client struct {
	v   *Verifier
	src Source

	mu     sync.Mutex
	latest *Checkpoint
}

// NewClient returns a client of the log v verifies, reading from src.
// latest is the signed checkpoint a previous Client accepted (its
// Latest().Note), or nil the first time: the first checkpoint is then
// trusted on first use, and comparing it with other clients' or a
// witness's is what catches a log that forked before it.
func NewClient(v *Verifier, src Source, latest []byte) (*Client, error) {
	c := &Client{v: v, src: src}
	if latest != nil {
		cp, err := v.ParseCheckpoint(latest)
		if err != nil {
			return nil, err
		}
		c.latest = cp
	}
	return c, nil
}

// Latest returns the newest accepted checkpoint, or nil.
func (c *Client) Latest() *Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// Accept makes cp the newest checkpoint if it extends the accepted one:
// an equal one is a no-op; a larger one needs p, a consistency proof from
// the accepted size to cp's (nil is fine for the first checkpoint or an
// equal one). A smaller one is [ErrRollback]; one of the same size with
// another root, or a larger one whose proof does not verify, is a
// [*ForkError] (errors.Is matches [ErrFork], and [ErrBadProof] when a
// proof failed). The accepted checkpoint is unchanged on any error.
func (c *Client) Accept(cp *Checkpoint, p *ConsistencyProof) error {
	if cp.Origin != c.v.origin {
		return fmt.Errorf("%w: origin %q, want %q", ErrWrongOrigin, cp.Origin, c.v.origin)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.latest
	switch {
	case old == nil:
	case cp.Size < old.Size:
		return fmt.Errorf("%w: size %d, accepted %d", ErrRollback, cp.Size, old.Size)
	case cp.Size == old.Size:
		if !cp.Equal(old) {
			return &ForkError{Old: old, New: cp}
		}
		return nil
	case p == nil || p.Old != old.Size || p.New != cp.Size:
		// No evidence of a fork, only a useless proof (or one fetched
		// before another call moved the accepted checkpoint): retry.
		return fmt.Errorf("%w: no consistency proof from size %d to %d", ErrBadProof, old.Size, cp.Size)
	default:
		if err := c.v.VerifyConsistency(old, cp, p); err != nil {
			return &ForkError{Old: old, New: cp, Err: err}
		}
	}
	c.latest = cp
	return nil
}

// Compare checks a checkpoint that came from elsewhere (carried in a share
// or a connection, or a witness's) against the accepted one, fetching a
// consistency proof for whichever is larger, and accepts it if it is
// newer. An older one is only checked: it is no rollback, since it came
// from someone else.
func (c *Client) Compare(ctx context.Context, signed []byte) error {
	cp, err := c.v.ParseCheckpoint(signed)
	if err != nil {
		return err
	}
	old := c.Latest()
	if old == nil || cp.Size >= old.Size {
		return c.acceptFetching(ctx, cp)
	}
	p, err := c.src.ConsistencyProof(ctx, cp.Size, old.Size)
	if err != nil {
		return err
	}
	if err := c.v.VerifyConsistency(cp, old, p); err != nil {
		return &ForkError{Old: old, New: cp, Err: err}
	}
	return nil
}

// Refresh fetches the log's newest checkpoint and accepts it (see
// [Client.Accept]); it returns the newest accepted checkpoint.
func (c *Client) Refresh(ctx context.Context) (*Checkpoint, error) {
	signed, err := c.src.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := c.v.ParseCheckpoint(signed)
	if err != nil {
		return nil, err
	}
	if err := c.acceptFetching(ctx, cp); err != nil {
		return nil, err
	}
	return c.Latest(), nil
}

// acceptFetching accepts cp, fetching the consistency proof it needs.
func (c *Client) acceptFetching(ctx context.Context, cp *Checkpoint) error {
	var p *ConsistencyProof
	if old := c.Latest(); old != nil && cp.Size > old.Size {
		var err error
		if p, err = c.src.ConsistencyProof(ctx, old.Size, cp.Size); err != nil {
			return err
		}
	}
	return c.Accept(cp, p)
}

// VerifyEntry checks that e is the entry at index in the log, with an
// inclusion proof to the newest accepted checkpoint (call
// [Client.Refresh] first for an entry newer than it). A proof that does
// not verify is [ErrBadProof].
func (c *Client) VerifyEntry(ctx context.Context, index uint64, e Entry) error {
	cp := c.Latest()
	if cp == nil || index >= cp.Size {
		return fmt.Errorf("%w: entry %d is not in the accepted checkpoint", ErrRange, index)
	}
	p, err := c.src.InclusionProof(ctx, index, cp.Size)
	if err != nil {
		return err
	}
	if p.Index != index {
		return fmt.Errorf("%w: proof for entry %d, want %d", ErrBadProof, p.Index, index)
	}
	return c.v.VerifyInclusion(cp, e, p)
}
