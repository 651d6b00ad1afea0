package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.ChunkStore = chunks{}

// PutBlob stores r as a new generation, a chunk per transaction, and names
// it in one last transaction (records.PutChunked): a stalled source holds
// no lock. A failed put deletes its chunks; chunks a crash leaves are
// swept at Open and, at most once per records.PendingBlobTTL, from PutBlob,
// once they have gone PendingBlobTTL without a new chunk.
func (db *DB) PutBlob(ctx context.Context, id string, r io.Reader) (int64, error) {
	db.sweeper.MaybeSweep(ctx, chunks{db})
	n, err := records.PutChunked(ctx, chunks{db}, id, r)
	return n, wrap("put blob", err)
}

// StatBlob implements [driver.Blobs.StatBlob].
func (db *DB) StatBlob(ctx context.Context, id string) (driver.BlobStat, error) {
	var st driver.BlobStat
	err := db.sql.QueryRowContext(ctx, `SELECT b.id, b.size FROM blob_names n JOIN blobs b ON b.id = n.gen WHERE n.name = ?`, id).
		Scan(&st.Gen, &st.Size)
	if errors.Is(err, sql.ErrNoRows) {
		return st, driver.ErrNotFound
	}
	return st, wrap("stat blob", err)
}

// ReadBlobChunk implements [driver.Blobs.ReadBlobChunk].
func (db *DB) ReadBlobChunk(ctx context.Context, id, gen string, seq int64) ([]byte, error) {
	var b []byte
	err := db.sql.QueryRowContext(ctx, `SELECT c.data FROM blob_names n JOIN blob_chunks c ON c.id = n.gen
		WHERE n.name = ? AND n.gen = ? AND c.seq = ?`, id, gen, seq).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, driver.ErrNotFound
	}
	return records.Body(b), wrap("read blob", err)
}

// DeleteBlob implements [driver.Blobs.DeleteBlob]: it unnames the blob in
// one transaction and frees its chunks 16 at a time.
func (db *DB) DeleteBlob(ctx context.Context, id string) error {
	return wrap("delete blob", records.DeleteChunked(ctx, chunks{db}, id))
}

// sweepBlobs purges the garbage generations a crash or a failed cleanup
// left behind.
func (db *DB) sweepBlobs(ctx context.Context) error {
	return wrap("sweep blobs", db.sweeper.Sweep(ctx, chunks{db}))
}

// chunks is the database as a records.ChunkStore: each method one short
// write transaction.
type chunks struct{ db *DB }

func (c chunks) CreatePending(ctx context.Context, gen string, exp int64) error {
	_, err := c.db.sql.ExecContext(ctx, `INSERT INTO blobs (id, size, expires) VALUES (?, 0, ?)`, gen, exp)
	return err
}

func (c chunks) WriteChunk(ctx context.Context, gen string, seq int64, data []byte, now, exp int64) error {
	return c.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE blobs SET expires = ? WHERE id = ? AND expires > ?`, exp, gen, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return records.ErrPendingGone
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO blob_chunks (id, seq, data) VALUES (?, ?, ?)`, gen, seq, data)
		return err
	})
}

func (c chunks) CommitPending(ctx context.Context, id, gen string, size, n, now int64) (string, error) {
	var old string
	err := c.db.tx(ctx, func(tx *sql.Tx) error {
		var have int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blob_chunks WHERE id = ?`, gen).Scan(&have); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE blobs SET size = ?, expires = 0 WHERE id = ? AND expires > ?`, size, gen, now)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 || have != n {
			return records.ErrPendingGone
		}
		err = tx.QueryRowContext(ctx, `SELECT gen FROM blob_names WHERE name = ?`, id).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blob_names (name, gen) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET gen = excluded.gen`, id, gen); err != nil {
			return err
		}
		return c.garbage(ctx, tx, old)
	})
	if err != nil {
		return "", err
	}
	return old, nil
}

// garbage makes generation gen (none if "") garbage.
func (c chunks) garbage(ctx context.Context, tx *sql.Tx, gen string) error {
	if gen == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE blobs SET expires = 1 WHERE id = ?`, gen)
	return err
}

func (c chunks) Abandon(ctx context.Context, gen string) error {
	_, err := c.db.sql.ExecContext(ctx, `UPDATE blobs SET expires = 1
		WHERE id = ? AND NOT EXISTS (SELECT 1 FROM blob_names WHERE gen = ?)`, gen, gen)
	return err
}

func (c chunks) Unname(ctx context.Context, id string) (string, error) {
	var gen string
	err := c.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM blob_names WHERE name = ? RETURNING gen`, id).Scan(&gen)
		if errors.Is(err, sql.ErrNoRows) {
			return driver.ErrNotFound
		}
		if err != nil {
			return err
		}
		return c.garbage(ctx, tx, gen)
	})
	return gen, err
}

func (c chunks) PurgeChunks(ctx context.Context, gen string, now int64, limit int) (int, error) {
	var k int64
	err := c.db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE id = ? AND expires <> 0 AND expires < ?
			AND NOT EXISTS (SELECT 1 FROM blob_names WHERE gen = ?)`, gen, now, gen).Scan(&n)
		if err != nil || n == 0 {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM blob_chunks WHERE id = ? AND seq IN
			(SELECT seq FROM blob_chunks WHERE id = ? ORDER BY seq LIMIT ?)`, gen, gen, limit)
		if err != nil {
			return err
		}
		if k, _ = res.RowsAffected(); k == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM blobs WHERE id = ?`, gen)
		}
		return err
	})
	return int(k), err
}

func (c chunks) Garbage(ctx context.Context, now int64, limit int) ([]string, error) {
	rows, err := c.db.sql.QueryContext(ctx, `SELECT id FROM blobs WHERE expires <> 0 AND expires < ? LIMIT ?`, now, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gens []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		gens = append(gens, g)
	}
	return gens, rows.Err()
}
