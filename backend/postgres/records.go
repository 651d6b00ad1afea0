package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.Store = (*DB)(nil)

const recordColumns = `kind, id, owner, ref, version, data, expires`

func (db *DB) Create(ctx context.Context, r records.Record) (records.Record, error) {
	r.Version = 1
	_, err := db.pool.Exec(ctx, `INSERT INTO records (`+recordColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		r.Kind, r.ID, r.Owner, r.Ref, r.Version, records.Body(r.Data), records.ExpiresNanos(r.Expires))
	if isUniqueViolation(err) {
		return records.Record{}, records.ErrExists
	}
	if err != nil {
		return records.Record{}, wrap("create", err)
	}
	return r, nil
}

func (db *DB) Update(ctx context.Context, r records.Record, expect int64) (records.Record, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE records SET owner = $1, ref = $2, version = version + 1, data = $3, expires = $4
		WHERE kind = $5 AND id = $6 AND version = $7`,
		r.Owner, r.Ref, records.Body(r.Data), records.ExpiresNanos(r.Expires), r.Kind, r.ID, expect)
	if err != nil {
		return records.Record{}, wrap("update", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := db.Get(ctx, r.Kind, r.ID); err != nil {
			return records.Record{}, err
		}
		return records.Record{}, records.ErrConflict
	}
	r.Version = expect + 1
	return r, nil
}

func (db *DB) Get(ctx context.Context, kind, id string) (records.Record, error) {
	r, err := scan(db.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = $1 AND id = $2`, kind, id))
	return r, wrap("get", err)
}

func (db *DB) List(ctx context.Context, kind string, field records.Field, value string) ([]records.Record, error) {
	col := "owner"
	if field == records.ByRef {
		col = "ref"
	}
	rows, err := db.pool.Query(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = $1 AND `+col+` = $2 ORDER BY id COLLATE "C"`, kind, value)
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
	tag, err := db.pool.Exec(ctx, `DELETE FROM records WHERE kind = $1 AND id = $2`, kind, id)
	if err != nil {
		return wrap("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return records.ErrNotFound
	}
	return nil
}

func (db *DB) Modify(ctx context.Context, kind, id string, fn func(*records.Record) error) (records.Record, error) {
	var out records.Record
	err := db.tx(ctx, func(tx pgx.Tx) error {
		r, err := scan(tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM records WHERE kind = $1 AND id = $2 FOR UPDATE`, kind, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		r.Kind, r.ID, r.Version = kind, id, r.Version+1
		if _, err := tx.Exec(ctx, `UPDATE records SET owner = $1, ref = $2, version = $3, data = $4, expires = $5
			WHERE kind = $6 AND id = $7`, r.Owner, r.Ref, r.Version, records.Body(r.Data), records.ExpiresNanos(r.Expires), kind, id); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, wrap("modify", err)
}

func (db *DB) Purge(ctx context.Context, kind string, t time.Time) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM records WHERE kind = $1 AND expires <> 0 AND expires < $2`, kind, t.UnixNano())
	return wrap("purge", err)
}

func scan(row pgx.Row) (records.Record, error) {
	var r records.Record
	var exp int64
	err := row.Scan(&r.Kind, &r.ID, &r.Owner, &r.Ref, &r.Version, &r.Data, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return records.Record{}, records.ErrNotFound
	}
	if err != nil {
		return records.Record{}, err
	}
	r.Expires = records.ExpiresFrom(exp)
	if r.Data == nil {
		r.Data = []byte{}
	}
	return r, nil
}

// wrap keeps the store's sentinel errors and the context's errors as they
// are and prefixes anything else.
func wrap(op string, err error) error {
	if err == nil || records.Passthrough(err) {
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
