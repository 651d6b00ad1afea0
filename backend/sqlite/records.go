package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/internal/records"
)

var (
	_ driver.Driver = (*DB)(nil)
	_ driver.Store  = recs{}
)

// conn is what both the database and one of its transactions run.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// recs is the record store over the database (tx false) or over one of its
// transactions (tx true). The methods of DB are those of recs over the
// database.
type recs struct {
	db *DB
	q  conn
	tx bool
}

func (db *DB) recs() recs { return recs{db: db, q: db.sql} }

// Create implements [driver.Store.Create].
func (db *DB) Create(ctx context.Context, r driver.Record) (driver.Record, error) {
	return db.recs().Create(ctx, r)
}

// Update implements [driver.Store.Update].
func (db *DB) Update(ctx context.Context, r driver.Record, expect int64) (driver.Record, error) {
	return db.recs().Update(ctx, r, expect)
}

// Get implements [driver.Store.Get].
func (db *DB) Get(ctx context.Context, kind, id string) (driver.Record, error) {
	return db.recs().Get(ctx, kind, id)
}

// List implements [driver.Store.List].
func (db *DB) List(ctx context.Context, kind string, field driver.Field, value string) ([]driver.Record, error) {
	return db.recs().List(ctx, kind, field, value)
}

// Range implements [driver.Store.Range].
func (db *DB) Range(ctx context.Context, kind, after, before string, limit int) ([]driver.Record, error) {
	return db.recs().Range(ctx, kind, after, before, limit)
}

// Delete implements [driver.Store.Delete].
func (db *DB) Delete(ctx context.Context, kind, id string) error {
	return db.recs().Delete(ctx, kind, id)
}

// Modify implements [driver.Store.Modify].
func (db *DB) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (driver.Record, error) {
	return db.recs().Modify(ctx, kind, id, fn)
}

// Purge implements [driver.Store.Purge].
func (db *DB) Purge(ctx context.Context, kind string, t time.Time) error {
	return db.recs().Purge(ctx, kind, t)
}

// Atomic implements [driver.Store.Atomic] with one write transaction,
// which holds the database's write lock from its start (BEGIN IMMEDIATE):
// transactions never fail on each other, they queue.
func (db *DB) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	return db.recs().Atomic(ctx, fn)
}

func (s recs) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	return s.inTx(ctx, func(t recs) error { return fn(t) })
}

// inTx runs fn in s's transaction, or in a new one that commits if fn
// returns nil and ctx is not done.
func (s recs) inTx(ctx context.Context, fn func(t recs) error) error {
	if s.tx {
		return fn(s)
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error { return fn(recs{db: s.db, q: tx, tx: true}) })
}

const recordColumns = `kind, id, owner, ref, version, data, expires`

func (s recs) Create(ctx context.Context, r driver.Record) (driver.Record, error) {
	r.Version = 1
	// ON CONFLICT DO NOTHING: a taken ID is no statement error, so a
	// transaction goes on after a refused Create.
	res, err := s.q.ExecContext(ctx, `INSERT INTO records (`+recordColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO NOTHING`,
		r.Kind, r.ID, r.Owner, r.Ref, r.Version, records.Body(r.Data), records.ExpiresNanos(r.Expires))
	if err != nil {
		return driver.Record{}, wrap("create", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return driver.Record{}, wrap("create", or(err, driver.ErrExists))
	}
	r.Data = records.Body(r.Data)
	return r, nil
}

func (s recs) Update(ctx context.Context, r driver.Record, expect int64) (driver.Record, error) {
	err := s.inTx(ctx, func(t recs) error {
		res, err := t.q.ExecContext(ctx, `UPDATE records SET owner = ?, ref = ?, version = version + 1, data = ?, expires = ?
			WHERE kind = ? AND id = ? AND version = ?`,
			r.Owner, r.Ref, records.Body(r.Data), records.ExpiresNanos(r.Expires), r.Kind, r.ID, expect)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if _, err := t.get(ctx, r.Kind, r.ID); err != nil {
			return err
		}
		return driver.ErrConflict
	})
	if err != nil {
		return driver.Record{}, wrap("update", err)
	}
	r.Version, r.Data = expect+1, records.Body(r.Data)
	return r, nil
}

func (s recs) Get(ctx context.Context, kind, id string) (driver.Record, error) {
	r, err := s.get(ctx, kind, id)
	return r, wrap("get", err)
}

func (s recs) get(ctx context.Context, kind, id string) (driver.Record, error) {
	return scan(s.q.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = ? AND id = ?`, kind, id))
}

func (s recs) List(ctx context.Context, kind string, field driver.Field, value string) ([]driver.Record, error) {
	col := "owner"
	if field == driver.ByRef {
		col = "ref"
	}
	rs, err := s.query(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = ? AND `+col+` = ? ORDER BY id`, kind, value)
	return rs, wrap("list", err)
}

func (s recs) Range(ctx context.Context, kind, after, before string, limit int) ([]driver.Record, error) {
	if limit < 1 {
		return nil, wrap("range", ctx.Err())
	}
	q, args := `SELECT `+recordColumns+` FROM records WHERE kind = ? AND id > ?`, []any{kind, after}
	if before != "" {
		q, args = q+` AND id < ?`, append(args, before)
	}
	rs, err := s.query(ctx, q+` ORDER BY id LIMIT ?`, append(args, limit)...)
	return rs, wrap("range", err)
}

// query returns the records a SELECT of recordColumns finds.
func (s recs) query(ctx context.Context, q string, args ...any) ([]driver.Record, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []driver.Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s recs) Delete(ctx context.Context, kind, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND id = ?`, kind, id)
	if err != nil {
		return wrap("delete", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return wrap("delete", or(err, driver.ErrNotFound))
	}
	return nil
}

func (s recs) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (driver.Record, error) {
	var out driver.Record
	var fnErr error // returned as it is
	// The transaction begins IMMEDIATE: it holds the write lock from the
	// read on, so no other writer can slip in between read and write.
	err := s.inTx(ctx, func(t recs) error {
		r, err := t.get(ctx, kind, id)
		if err != nil {
			return err
		}
		if fnErr = fn(&r); fnErr != nil {
			return fnErr
		}
		r.Kind, r.ID, r.Version, r.Data = kind, id, r.Version+1, records.Body(r.Data)
		if _, err := t.q.ExecContext(ctx, `UPDATE records SET owner = ?, ref = ?, version = ?, data = ?, expires = ?
			WHERE kind = ? AND id = ?`, r.Owner, r.Ref, r.Version, r.Data, records.ExpiresNanos(r.Expires), kind, id); err != nil {
			return err
		}
		out = r
		return nil
	})
	if fnErr != nil {
		return driver.Record{}, fnErr
	}
	return out, wrap("modify", err)
}

func (s recs) Purge(ctx context.Context, kind string, t time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND expires <> 0 AND expires < ?`, kind, t.UnixNano())
	return wrap("purge", err)
}

type scanner interface{ Scan(dest ...any) error }

func scan(s scanner) (driver.Record, error) {
	var r driver.Record
	var exp int64
	err := s.Scan(&r.Kind, &r.ID, &r.Owner, &r.Ref, &r.Version, &r.Data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return driver.Record{}, driver.ErrNotFound
	}
	if err != nil {
		return driver.Record{}, err
	}
	r.Expires, r.Data = records.ExpiresFrom(exp), records.Body(r.Data)
	return r, nil
}

// or returns err if it is not nil, else sentinel.
func or(err, sentinel error) error {
	if err != nil {
		return err
	}
	return sentinel
}

// wrap keeps the store's sentinel errors and the context's errors as they
// are and prefixes anything else.
func wrap(op string, err error) error {
	if err == nil || records.Passthrough(err) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
