package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sealkit/sealkit/keystore"
)

// CounterOwner is the keystore owner of the durable counters: no user can
// have it (keystore and share refuse an empty owner), so a counter never
// mixes with an account's records.
//
// A counter is the keystore entry (CounterOwner, name) holding the count in
// decimal ASCII; a missing entry is zero. The layout is that of the counts
// the reference server kept before this type existed ("vault/users",
// "vault/storageauth/slots"), so those databases go on counting.
const CounterOwner = ""

var (
	// ErrCounterFull is returned by [Stores.Increment] at the maximum.
	ErrCounterFull = errors.New("backend: counter at its maximum")
	// ErrCounterBusy is returned by [Stores.Increment] when another writer
	// changed the counter between its read and its write: retry later.
	ErrCounterBusy = errors.New("backend: counter changed concurrently")
)

// Increment adds one to the durable counter name, or returns
// [ErrCounterFull] if it already holds max (so max <= 0 refuses every
// increment). Counters only grow: they bound what is never given back
// (accounts, storage-authorisation slots), and are shared by every process
// over one database.
//
// Called on the Stores of [Stores.Atomic], the increment commits with the
// transaction's other writes or not at all; a refusal should end the
// transaction. The write is optimistic: a concurrent increment that wins
// makes this one [ErrCounterBusy].
func (s *Stores) Increment(ctx context.Context, name string, max int64) error {
	e, n, err := s.count(ctx, name)
	if err != nil {
		return err
	}
	if n >= max {
		return ErrCounterFull
	}
	next := []byte(strconv.FormatInt(n+1, 10))
	if e.Version == 0 {
		_, err = s.Keystore.Put(ctx, CounterOwner, name, next)
	} else {
		_, err = s.Keystore.Update(ctx, CounterOwner, name, e.Version, next)
	}
	if errors.Is(err, keystore.ErrExists) || errors.Is(err, keystore.ErrConflict) {
		return ErrCounterBusy
	}
	return err
}

// Count returns the durable counter name (zero if it was never incremented).
func (s *Stores) Count(ctx context.Context, name string) (int64, error) {
	_, n, err := s.count(ctx, name)
	return n, err
}

// count reads the counter's entry (Version 0 if there is none) and value.
func (s *Stores) count(ctx context.Context, name string) (keystore.Entry, int64, error) {
	e, err := s.Keystore.Get(ctx, CounterOwner, name)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return keystore.Entry{}, 0, nil
	case err != nil:
		return e, 0, err
	}
	n, err := strconv.ParseInt(string(e.Data), 10, 64)
	if err != nil || n < 0 {
		return e, 0, fmt.Errorf("backend: counter record %q is damaged", name)
	}
	return e, n, nil
}
