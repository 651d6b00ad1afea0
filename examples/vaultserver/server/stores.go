package server

import (
	"context"

	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// Stores are everything the server keeps. Records holds keystore accounts
// and key records, and the server's own per-user records (login verifier,
// file index) under IDs beginning "vault/", which keystore ignores.
type Stores struct {
	Records     keystore.Store
	Registry    identity.KeyRegistry
	Replay      identity.ReplayStore
	StorageAuth storageauth.Store
	Share       share.Stores
	Blobs       share.BlobStore
	close       func() error
}

// Close closes the database.
func (s *Stores) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// OpenSQLite opens (creating if needed) the embedded database at path.
func OpenSQLite(ctx context.Context, path string) (*Stores, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &Stores{
		Records: db.Keystore(), Registry: db.KeyRegistry(), Replay: db.ReplayStore(),
		StorageAuth: db.StorageAuth(), Share: db.Share(), Blobs: db.Blobs(),
		close: db.Close,
	}, nil
}

// OpenPostgres connects to the PostgreSQL database named by dsn.
func OpenPostgres(ctx context.Context, dsn string) (*Stores, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Stores{
		Records: db.Keystore(), Registry: db.KeyRegistry(), Replay: db.ReplayStore(),
		StorageAuth: db.StorageAuth(), Share: db.Share(), Blobs: db.Blobs(),
		close: func() error { db.Close(); return nil },
	}, nil
}
