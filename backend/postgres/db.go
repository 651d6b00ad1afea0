// Package postgres is sealkit's PostgreSQL backend, for deployments that
// outgrow one machine. It uses a pgx connection pool; compare-and-swap is a
// conditional UPDATE on the version, counters are read-modify-write
// transactions holding the row with SELECT … FOR UPDATE, and blobs are
// stored in 1 MiB chunks so a large blob streams in constant memory, each
// chunk in its own transaction so a stalled upload holds none open.
//
// A DB is a [driver.Driver]; its stores are those package backend maps
// onto it ([DB.Stores]), and [DB.Atomic] is one PostgreSQL transaction.
//
// Blobs may instead live in S3-compatible object storage: implement the
// share package's BlobStore over it (for example with gocloud.dev/blob)
// and keep only records here.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/internal/records"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// DSNEnv is the environment variable the tests (and the examples) read a
// PostgreSQL connection string from, e.g.
// postgres://user@127.0.0.1:5432/db?sslmode=disable.
const DSNEnv = "SEALKIT_POSTGRES_DSN"

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrators.
const migrationLock = 0x5ea1_c17

// DB is an open sealkit PostgreSQL database.
type DB struct {
	pool    *pgxpool.Pool
	sweeper records.Sweeper
}

// Open connects to the database named by dsn, applies any pending schema
// and record migrations ([backend.Migrate]) and sweeps garbage blob chunks
// (see PutBlob).
func Open(ctx context.Context, dsn string) (*DB, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		// pgx's parse errors can echo the DSN, password included.
		return nil, errors.New("postgres: invalid connection string")
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := backend.Migrate(ctx, db); err != nil {
		pool.Close()
		return nil, wrap("migrate records", err)
	}
	if err := db.sweepBlobs(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close() }

func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("postgres: migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY)`); err != nil {
			return fmt.Errorf("postgres: migrations table: %w", err)
		}
		for _, name := range names {
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			name = strings.TrimPrefix(name, "migrations/")
			tag, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", name, err)
			}
		}
		return nil
	})
}

// tx runs fn in a transaction, committing if it returns nil and ctx is not
// done.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := ctx.Err(); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

// Stores returns every store of the SDK on the database; its Atomic is one
// transaction.
func (db *DB) Stores() *backend.Stores { return backend.New(db) }

// Keystore returns the database as a keystore.Store.
func (db *DB) Keystore() keystore.Store { return backend.Keystore(db) }

// StorageAuth returns the database as a storageauth.Store.
func (db *DB) StorageAuth() storageauth.Store { return backend.StorageAuth(db) }

// KeyRegistry returns the database as an identity.KeyRegistry.
func (db *DB) KeyRegistry() identity.KeyRegistry { return backend.KeyRegistry(db) }

// ReplayStore returns the database as an identity.ReplayStore.
func (db *DB) ReplayStore() identity.ReplayStore { return backend.ReplayStore(db) }

// Share returns the database as every registry a share.Service runs on;
// its Tx is one transaction.
func (db *DB) Share() share.Stores { return backend.Share(db) }

// Blobs returns the database as a share.BlobStore (1 MiB chunks, streamed).
func (db *DB) Blobs() share.BlobStore { return backend.Blobs(db) }
