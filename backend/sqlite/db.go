// Package sqlite is sealkit's embedded durable backend: one file, no cgo
// (modernc.org/sqlite), safe for concurrent writers in one process and
// across processes.
//
// The file runs in WAL mode with synchronous=FULL, so a record is on disk
// before a write returns, and a killed process never leaves a half-written
// record. Writers take the write lock when their transaction begins
// (BEGIN IMMEDIATE) and wait up to BusyTimeout for it, so concurrent
// read-modify-write transactions queue instead of failing. No transaction
// waits on anything but the database: a blob is written a chunk per
// transaction (see PutBlob), so a stalled upload holds no lock.
//
// A DB is a [driver.Driver]; its stores are those package backend maps
// onto it ([DB.Stores]), and [DB.Atomic] is one SQLite transaction.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/internal/records"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// BusyTimeout is how long a writer waits for another writer's lock.
const BusyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open sealkit SQLite database.
type DB struct {
	sql     *sql.DB
	sweeper records.Sweeper
}

// Open opens (creating if needed) the database file at path, applies any
// pending schema and record migrations ([backend.Migrate]) and sweeps
// garbage blob chunks (see PutBlob).
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path; use OpenMemory for a throwaway database")
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	return open(ctx, "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode(), 0)
}

// OpenMemory opens a private in-memory database, for tests. It lives until
// Close.
func OpenMemory(ctx context.Context) (*DB, error) {
	var name [8]byte
	rand.Read(name[:])
	q := url.Values{}
	q.Set("mode", "memory")
	q.Set("cache", "shared")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	// One connection: a shared-cache memory database has table-level locks
	// that would otherwise fail concurrent writers instead of queueing them.
	return open(ctx, "file:sealkit-"+hex.EncodeToString(name[:])+"?"+q.Encode(), 1)
}

func open(ctx context.Context, dsn string, maxConns int) (*DB, error) {
	s, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if maxConns > 0 {
		s.SetMaxOpenConns(maxConns)
	}
	// Keep one connection open so a memory database is not dropped when
	// the pool goes idle.
	s.SetMaxIdleConns(max(maxConns, 2))
	s.SetConnMaxIdleTime(0)
	db := &DB{sql: s}
	if err := db.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := backend.Migrate(ctx, db); err != nil {
		s.Close()
		return nil, wrap("migrate records", err)
	}
	if err := db.sweepBlobs(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// migrate applies, in order and each in its own transaction, every
// embedded migration not yet recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		name = strings.TrimPrefix(name, "migrations/")
		err = db.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction, committing if it returns nil and ctx
// is not done.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
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
