package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.Store = (*DB)(nil)

const recordColumns = `kind, id, owner, ref, version, data, expires`

func (db *DB) Create(ctx context.Context, r records.Record) (records.Record, error) {
	r.Version = 1
	_, err := db.sql.ExecContext(ctx, `INSERT INTO records (`+recordColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.Kind, r.ID, r.Owner, r.Ref, r.Version, records.Body(r.Data), records.ExpiresNanos(r.Expires))
	if isConstraint(err) {
		return records.Record{}, records.ErrExists
	}
	if err != nil {
		return records.Record{}, fmt.Errorf("sqlite: create: %w", err)
	}
	return r, nil
}

func (db *DB) Update(ctx context.Context, r records.Record, expect int64) (records.Record, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE records SET owner = ?, ref = ?, version = version + 1, data = ?, expires = ?
			WHERE kind = ? AND id = ? AND version = ?`,
			r.Owner, r.Ref, records.Body(r.Data), records.ExpiresNanos(r.Expires), r.Kind, r.ID, expect)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		if _, err := get(ctx, tx, r.Kind, r.ID); err != nil {
			return err
		}
		return records.ErrConflict
	})
	if err != nil {
		return records.Record{}, wrap("update", err)
	}
	r.Version = expect + 1
	return r, nil
}

func (db *DB) Get(ctx context.Context, kind, id string) (records.Record, error) {
	r, err := get(ctx, db.sql, kind, id)
	return r, wrap("get", err)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func get(ctx context.Context, q querier, kind, id string) (records.Record, error) {
	row := q.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = ? AND id = ?`, kind, id)
	r, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return records.Record{}, records.ErrNotFound
	}
	return r, err
}

func (db *DB) List(ctx context.Context, kind string, field records.Field, value string) ([]records.Record, error) {
	col := "owner"
	if field == records.ByRef {
		col = "ref"
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = ? AND `+col+` = ? ORDER BY id`, kind, value)
	if err != nil {
		return nil, wrap("list", err)
	}
	defer rows.Close()
	var out []records.Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, wrap("list", err)
		}
		out = append(out, r)
	}
	return out, wrap("list", rows.Err())
}

func (db *DB) Delete(ctx context.Context, kind, id string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND id = ?`, kind, id)
	if err != nil {
		return wrap("delete", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return records.ErrNotFound
	}
	return nil
}

func (db *DB) Modify(ctx context.Context, kind, id string, fn func(*records.Record) error) (records.Record, error) {
	var out records.Record
	// The transaction begins IMMEDIATE: it holds the write lock from the
	// read on, so no other writer can slip in between read and write.
	err := db.tx(ctx, func(tx *sql.Tx) error {
		r, err := get(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		r.Kind, r.ID, r.Version = kind, id, r.Version+1
		if _, err := tx.ExecContext(ctx, `UPDATE records SET owner = ?, ref = ?, version = ?, data = ?, expires = ?
			WHERE kind = ? AND id = ?`, r.Owner, r.Ref, r.Version, records.Body(r.Data), records.ExpiresNanos(r.Expires), kind, id); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, wrap("modify", err)
}

func (db *DB) Purge(ctx context.Context, kind string, t time.Time) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND expires <> 0 AND expires < ?`, kind, t.UnixNano())
	return wrap("purge", err)
}

type scanner interface{ Scan(dest ...any) error }

func scan(s scanner) (records.Record, error) {
	var r records.Record
	var exp int64
	if err := s.Scan(&r.Kind, &r.ID, &r.Owner, &r.Ref, &r.Version, &r.Data, &exp); err != nil {
		return records.Record{}, err
	}
	r.Expires = records.ExpiresFrom(exp)
	return r, nil
}

func isConstraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}

// wrap keeps the store's sentinel errors and the context's errors as they
// are and prefixes anything else.
func wrap(op string, err error) error {
	if err == nil || records.Passthrough(err) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
