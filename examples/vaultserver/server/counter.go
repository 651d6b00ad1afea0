package server

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/sealkit/sealkit/keystore"
)

// counterOwner owns the server's durable counters in Stores.Records: no
// user can have it (share.ValidID refuses ""), so the counters survive
// restarts and are shared by every process over one database.
const counterOwner = ""

// counterTries bounds compare-and-swap retries against other processes
// (this one serialises its own updates with the counter's mutex).
const counterTries = 8

// errCounterBusy reports that other processes kept winning the race.
var errCounterBusy = errors.New("vault: counter busy")

// counter is a durable count that only grows, up to a cap.
type counter struct {
	id string // record ID under counterOwner
	mu sync.Mutex
}

// add adds one to the count, or returns full at max. It returns
// errCounterBusy when other processes win every try.
func (c *counter) add(ctx context.Context, recs keystore.Store, max int64, full error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range counterTries {
		e, err := recs.Get(ctx, counterOwner, c.id)
		var n int64
		switch {
		case errors.Is(err, keystore.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.ParseInt(string(e.Data), 10, 64); err != nil || n < 0 {
				return errors.New("vault: count record " + c.id + " is damaged")
			}
		}
		if n >= max {
			return full
		}
		next := []byte(strconv.FormatInt(n+1, 10))
		if e.Version == 0 {
			_, err = recs.Put(ctx, counterOwner, c.id, next)
		} else {
			_, err = recs.Update(ctx, counterOwner, c.id, e.Version, next)
		}
		if !errors.Is(err, keystore.ErrExists) && !errors.Is(err, keystore.ErrConflict) {
			return err
		}
	}
	return errCounterBusy
}
