package share_test

import (
	"context"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
)

// fDriver counts, and can fail, every record write of a driver — inside
// its transactions too — through f: the write points below the share
// stores, where one store call may be several writes (an item and its
// owner index, a usage record created or modified).
type fDriver struct {
	driver.Driver
	f *faults
}

func (d fDriver) Create(ctx context.Context, r driver.Record) (driver.Record, error) {
	return fStore{d.Driver, d.f}.Create(ctx, r)
}

func (d fDriver) Update(ctx context.Context, r driver.Record, expect int64) (driver.Record, error) {
	return fStore{d.Driver, d.f}.Update(ctx, r, expect)
}

func (d fDriver) Delete(ctx context.Context, kind, id string) error {
	return fStore{d.Driver, d.f}.Delete(ctx, kind, id)
}

func (d fDriver) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (driver.Record, error) {
	return fStore{d.Driver, d.f}.Modify(ctx, kind, id, fn)
}

func (d fDriver) Purge(ctx context.Context, kind string, t time.Time) error {
	return fStore{d.Driver, d.f}.Purge(ctx, kind, t)
}

func (d fDriver) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	return fStore{d.Driver, d.f}.Atomic(ctx, fn)
}

// fStore is fDriver's record half, also for the stores a transaction
// hands out.
type fStore struct {
	driver.Store
	f *faults
}

func (s fStore) Create(ctx context.Context, r driver.Record) (driver.Record, error) {
	if err := s.f.hit(); err != nil {
		return driver.Record{}, err
	}
	return s.Store.Create(ctx, r)
}

func (s fStore) Update(ctx context.Context, r driver.Record, expect int64) (driver.Record, error) {
	if err := s.f.hit(); err != nil {
		return driver.Record{}, err
	}
	return s.Store.Update(ctx, r, expect)
}

func (s fStore) Delete(ctx context.Context, kind, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, kind, id)
}

func (s fStore) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (driver.Record, error) {
	if err := s.f.hit(); err != nil {
		return driver.Record{}, err
	}
	return s.Store.Modify(ctx, kind, id, fn)
}

func (s fStore) Purge(ctx context.Context, kind string, t time.Time) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.Store.Purge(ctx, kind, t)
}

func (s fStore) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	return s.Store.Atomic(ctx, func(tx driver.Store) error { return fn(fStore{tx, s.f}) })
}
