package backend

import (
	"context"
	"errors"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// Stores is every store of the SDK over one driver.
type Stores struct {
	Keystore    keystore.Store
	KeyRegistry identity.KeyRegistry
	Replay      identity.ReplayStore
	StorageAuth storageauth.Store
	Share       share.Stores // Share.Tx spans the share stores only; use [Stores.Atomic] to span them all
	// Blobs is nil in the Stores a transaction hands to its function: a
	// blob is never written inside a transaction.
	Blobs share.BlobStore

	d driver.Store
}

// New returns every store over d.
func New(d driver.Driver) *Stores {
	s := over(d)
	s.Blobs = Blobs(d)
	return s
}

// over returns the record stores over s, without blobs.
func over(s driver.Store) *Stores {
	return &Stores{Keystore: Keystore(s), KeyRegistry: KeyRegistry(s), Replay: ReplayStore(s),
		StorageAuth: StorageAuth(s), Share: Share(s), d: s}
}

// Atomic runs fn with every store bound to one transaction of the driver:
// all of fn's writes to the keystore, identity, storageauth and share stores
// commit together when fn returns nil, or none do (see
// [driver.Store.Atomic]). fn must use the Stores it is given and no others
// of the same backend. Atomic on those Stores, or Atomic of their
// Share.Tx, runs in the same transaction.
func (s *Stores) Atomic(ctx context.Context, fn func(tx *Stores) error) error {
	return s.d.Atomic(ctx, func(tx driver.Store) error { return fn(over(tx)) })
}

// kindMigration records the data migrations Migrate has finished.
const kindMigration = "backend.migration"

// migrationOwnedItems names the migration that indexes the items stored
// before items had an owner index.
const migrationOwnedItems = "owned-items"

// migrateBatch is the number of items indexed per transaction.
const migrateBatch = 100

// Migrate brings records an older version of this package stored up to
// this version's model: today, it adds the owner index ([share.ItemStore]
// OwnedItems) of items stored before it existed. Backends call it from
// their Open after their schema migrations. It is idempotent and safe to
// run from several processes at once, and costs one Get once done.
func Migrate(ctx context.Context, d driver.Store) error {
	_, err := d.Get(ctx, kindMigration, migrationOwnedItems)
	if err == nil || !errors.Is(err, driver.ErrNotFound) {
		return err
	}
	after := ""
	for {
		page, err := d.Range(ctx, kindItem, after, "", migrateBatch)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		err = d.Atomic(ctx, func(tx driver.Store) error {
			for _, r := range page {
				if err := indexStoredItem(ctx, tx, r.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	_, err = d.Create(ctx, driver.Record{Kind: kindMigration, ID: migrationOwnedItems})
	if errors.Is(err, driver.ErrExists) {
		return nil
	}
	return err
}
