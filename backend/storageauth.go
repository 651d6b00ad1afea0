package backend

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/storageauth"
)

const kindStorageAuth = "storageauth.slot"

// StorageAuth returns a storageauth.Store over s. Slots are stored in
// their JSON wire form and re-validated with storageauth.ParseRecord when
// read, so a damaged row is an error, not a record.
func StorageAuth(s driver.Store) storageauth.Store { return storageAuthStore{s} }

type storageAuthStore struct{ s driver.Store }

var _ storageauth.Store = storageAuthStore{}

func (a storageAuthStore) Get(ctx context.Context, id string) (*storageauth.Record, error) {
	r, err := a.s.Get(ctx, kindStorageAuth, id)
	if err != nil {
		return nil, err
	}
	return storageauth.ParseRecord(r.Data)
}

func (a storageAuthStore) CompareAndSwap(ctx context.Context, rec *storageauth.Record, prev uint64) error {
	if rec.Version <= prev {
		return fmt.Errorf("storageauth: version %d not above %d: %w", rec.Version, prev, storageauth.ErrConflict)
	}
	data, err := rec.MarshalJSON()
	if err != nil {
		return err
	}
	if prev == 0 {
		_, err := a.s.Create(ctx, driver.Record{Kind: kindStorageAuth, ID: rec.ID, Data: data})
		if errors.Is(err, driver.ErrExists) {
			return fmt.Errorf("storageauth: slot already holds a record: %w", storageauth.ErrConflict)
		}
		return err
	}
	_, err = a.s.Modify(ctx, kindStorageAuth, rec.ID, func(r *driver.Record) error {
		cur, err := storageauth.ParseRecord(r.Data)
		if err != nil {
			return err
		}
		if cur.Version != prev {
			return fmt.Errorf("storageauth: stored version changed: %w", storageauth.ErrConflict)
		}
		r.Data = data
		return nil
	})
	if errors.Is(err, driver.ErrNotFound) {
		return fmt.Errorf("storageauth: slot is empty, expected version %d: %w", prev, storageauth.ErrConflict)
	}
	return err
}
