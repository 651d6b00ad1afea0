package server

import (
	"context"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/backend/sqlite"
)

// Stores are every store the server keeps, over one database: keystore
// holds accounts and key records, and the server's own records (login
// verifiers, durable counts) under IDs beginning "vault/", which keystore
// ignores. Stores.Atomic spans them all (registration uses it).
type Stores struct {
	*backend.Stores
	close func() error
}

// Close closes the database.
func (s *Stores) Close() error { return s.close() }

// OpenSQLite opens (creating if needed) the embedded database at path.
func OpenSQLite(ctx context.Context, path string) (*Stores, error) {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &Stores{Stores: db.Stores(), close: db.Close}, nil
}

// OpenPostgres connects to the PostgreSQL database named by dsn.
func OpenPostgres(ctx context.Context, dsn string) (*Stores, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &Stores{Stores: db.Stores(), close: func() error { db.Close(); return nil }}, nil
}
