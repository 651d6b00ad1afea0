package records

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
)

// A blob is stored as a generation: a set of chunks under a fresh name that
// no reader can see, written one chunk per short transaction, then named in
// one last short transaction. No transaction is open while PutChunked reads
// from its source, so a source that stalls (a slow or hostile client) holds
// no database lock and blocks no other writer.
//
// A generation row carries an expiry: 0 while a name refers to it, a time
// in the future while it is being written (extended with every chunk), and
// a time in the past once it is garbage (abandoned, replaced or deleted).
// Only garbage is purged, a few chunks per transaction, and a generation is
// never named unless it holds every chunk its writer wrote, so a crash at
// any point leaves the previous blob (or none) visible, never a partial one.

// PendingBlobTTL is how long a generation being written survives without a
// new chunk before a sweep may purge it. A writer that resumes later fails
// instead of naming a generation that may have lost chunks.
const PendingBlobTTL = time.Hour

// purgeBatch is the number of chunks purged per transaction (16 MiB), so
// that freeing a large blob never holds the write lock for long.
const purgeBatch = 16

// sweepLimit caps the garbage generations one sweep lists.
const sweepLimit = 1000

// cleanupTimeout bounds the cleanup after a failed or cancelled put, which
// runs even when the caller's context is done.
const cleanupTimeout = 30 * time.Second

// ErrPendingGone is returned by a put whose generation expired or was
// purged before it was named.
var ErrPendingGone = errors.New("records: pending blob expired before it was complete")

// ChunkStore is what a backend implements for PutChunked, DeleteChunked and
// Sweeper. Every method is one short transaction. Times are Unix
// nanoseconds.
type ChunkStore interface {
	// CreatePending adds generation gen, empty, expiring at exp.
	CreatePending(ctx context.Context, gen string, exp int64) error
	// WriteChunk stores chunk seq of gen and moves its expiry to exp, if
	// gen is pending (expiry after now); otherwise ErrPendingGone.
	WriteChunk(ctx context.Context, gen string, seq int64, data []byte, now, exp int64) error
	// CommitPending names gen as blob id if gen is pending and holds
	// exactly n chunks (else ErrPendingGone): gen's expiry becomes 0 with
	// size, and the generation id named before, if any, becomes garbage.
	// It returns that generation, or "".
	CommitPending(ctx context.Context, id, gen string, size, n, now int64) (old string, err error)
	// Abandon makes gen garbage if it is not named.
	Abandon(ctx context.Context, gen string) error
	// Unname removes name id, makes its generation garbage and returns it;
	// ErrNotFound if id names nothing.
	Unname(ctx context.Context, id string) (gen string, err error)
	// PurgeChunks deletes up to limit chunks of gen if gen is garbage (its
	// expiry is nonzero and before now, and no name refers to it), and gen
	// itself once it has no chunks left. It reports how many chunks it
	// deleted.
	PurgeChunks(ctx context.Context, gen string, now int64, limit int) (int, error)
	// Garbage lists up to limit garbage generations.
	Garbage(ctx context.Context, now int64, limit int) ([]string, error)
}

// PutChunked implements [driver.Blobs.PutBlob] over cs. It checks ctx
// before each chunk it writes.
func PutChunked(ctx context.Context, cs ChunkStore, id string, r io.Reader) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// A leading dot: never a blob key (share.ValidID), so a new generation
	// never collides with the generations older schemas named by their key.
	gen := "." + rand.Text()
	if err := cs.CreatePending(ctx, gen, pendingExpiry()); err != nil {
		return 0, err
	}
	size, n, err := writeChunks(ctx, cs, gen, r)
	var old string
	if err == nil {
		old, err = cs.CommitPending(ctx, id, gen, size, n, time.Now().UnixNano())
	}
	if err != nil {
		c, cancel := cleanupContext(ctx)
		defer cancel()
		// Abandon leaves a named generation alone, so a commit whose reply
		// was lost is not undone here.
		if cs.Abandon(c, gen) == nil {
			purge(c, cs, gen)
		}
		return 0, err
	}
	if old != "" {
		c, cancel := cleanupContext(ctx)
		defer cancel()
		purge(c, cs, old) // a failure leaves garbage for the next sweep
	}
	return size, nil
}

func writeChunks(ctx context.Context, cs ChunkStore, gen string, r io.Reader) (size, n int64, err error) {
	buf := make([]byte, driver.ChunkSize)
	for {
		k, rerr := io.ReadFull(r, buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return 0, 0, rerr
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		if k > 0 {
			if err := cs.WriteChunk(ctx, gen, n, buf[:k], time.Now().UnixNano(), pendingExpiry()); err != nil {
				return 0, 0, err
			}
			size += int64(k)
			n++
		}
		if rerr != nil {
			return size, n, nil
		}
	}
}

// DeleteChunked implements [driver.Blobs.DeleteBlob] over cs.
func DeleteChunked(ctx context.Context, cs ChunkStore, id string) error {
	gen, err := cs.Unname(ctx, id)
	if err != nil {
		return err
	}
	c, cancel := cleanupContext(ctx)
	defer cancel()
	purge(c, cs, gen) // a failure leaves garbage for the next sweep
	return nil
}

func pendingExpiry() int64 { return time.Now().Add(PendingBlobTTL).UnixNano() }

func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// purge deletes garbage generation gen, a batch of chunks at a time.
func purge(ctx context.Context, cs ChunkStore, gen string) error {
	for {
		k, err := cs.PurgeChunks(ctx, gen, time.Now().UnixNano(), purgeBatch)
		if err != nil || k == 0 {
			return err
		}
	}
}

// Sweeper purges the garbage that crashes and failed cleanups leave: the
// chunks of generations abandoned, replaced or deleted, and of puts whose
// writer stopped for longer than PendingBlobTTL. A backend sweeps when it
// opens a database and then, through MaybeSweep, at most once per
// PendingBlobTTL from PutBlob.
type Sweeper struct {
	last atomic.Int64 // Unix nanoseconds of the last sweep's start
}

// Sweep purges up to sweepLimit garbage generations of cs.
func (s *Sweeper) Sweep(ctx context.Context, cs ChunkStore) error {
	now := time.Now().UnixNano()
	s.last.Store(now)
	gens, err := cs.Garbage(ctx, now, sweepLimit)
	if err != nil {
		return err
	}
	for _, g := range gens {
		if err := purge(ctx, cs, g); err != nil {
			return err
		}
	}
	return nil
}

// MaybeSweep sweeps if the last sweep began more than PendingBlobTTL ago,
// in the background with its own deadline, so that no caller waits for it.
func (s *Sweeper) MaybeSweep(ctx context.Context, cs ChunkStore) {
	last := s.last.Load()
	if time.Now().UnixNano()-last < int64(PendingBlobTTL) || !s.last.CompareAndSwap(last, time.Now().UnixNano()) {
		return
	}
	go func() {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), PendingBlobTTL)
		defer cancel()
		s.Sweep(c, cs) // a failure is retried by the next sweep
	}()
}
