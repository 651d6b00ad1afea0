package postgres

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.ChunkStore = chunks{}

// PutBlob stores r as a new generation, a chunk per transaction, and names
// it in one last transaction (records.PutChunked): a stalled source holds
// no transaction open. A failed put deletes its chunks; chunks a crash leaves are
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
	err := db.pool.QueryRow(ctx, `SELECT b.id, b.size FROM blob_names n JOIN blobs b ON b.id = n.gen WHERE n.name = $1`, id).
		Scan(&st.Gen, &st.Size)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, driver.ErrNotFound
	}
	return st, wrap("stat blob", err)
}

// ReadBlobChunk implements [driver.Blobs.ReadBlobChunk].
func (db *DB) ReadBlobChunk(ctx context.Context, id, gen string, seq int64) ([]byte, error) {
	var b []byte
	err := db.pool.QueryRow(ctx, `SELECT c.data FROM blob_names n JOIN blob_chunks c ON c.id = n.gen
		WHERE n.name = $1 AND n.gen = $2 AND c.seq = $3`, id, gen, seq).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
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
// transaction.
type chunks struct{ db *DB }

func (c chunks) CreatePending(ctx context.Context, gen string, exp int64) error {
	_, err := c.db.pool.Exec(ctx, `INSERT INTO blobs (id, size, expires) VALUES ($1, 0, $2)`, gen, exp)
	return err
}

func (c chunks) WriteChunk(ctx context.Context, gen string, seq int64, data []byte, now, exp int64) error {
	// One statement, so one round trip and atomic without BEGIN/COMMIT.
	tag, err := c.db.pool.Exec(ctx, `WITH g AS (UPDATE blobs SET expires = $1 WHERE id = $2 AND expires > $3 RETURNING id)
		INSERT INTO blob_chunks (id, seq, data) SELECT id, $4, $5 FROM g`, exp, gen, now, seq, data)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return records.ErrPendingGone
	}
	return nil
}

func (c chunks) CommitPending(ctx context.Context, id, gen string, size, n, now int64) (string, error) {
	var old string
	err := c.db.tx(ctx, func(tx pgx.Tx) error {
		// The row lock orders this against a concurrent purge of gen.
		tag, err := tx.Exec(ctx, `UPDATE blobs SET size = $1, expires = 0 WHERE id = $2 AND expires > $3`, size, gen, now)
		if err != nil {
			return err
		}
		var have int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM blob_chunks WHERE id = $1`, gen).Scan(&have); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 || have != n {
			return records.ErrPendingGone
		}
		// Name gen, learning which generation the name showed before:
		// FOR UPDATE waits for a concurrent put of the same name and then
		// reads the generation it named. If the name is new and another put
		// creates it first, the insert does nothing and the loop locks it.
		for {
			err := tx.QueryRow(ctx, `SELECT gen FROM blob_names WHERE name = $1 FOR UPDATE`, id).Scan(&old)
			if err == nil {
				if _, err := tx.Exec(ctx, `UPDATE blob_names SET gen = $1 WHERE name = $2`, gen, id); err != nil {
					return err
				}
				break
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO blob_names (name, gen) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, id, gen)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				break
			}
		}
		return garbage(ctx, tx, old)
	})
	if err != nil {
		return "", err
	}
	return old, nil
}

// garbage makes generation gen (none if "") garbage.
func garbage(ctx context.Context, tx pgx.Tx, gen string) error {
	if gen == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE blobs SET expires = 1 WHERE id = $1`, gen)
	return err
}

func (c chunks) Abandon(ctx context.Context, gen string) error {
	_, err := c.db.pool.Exec(ctx, `UPDATE blobs SET expires = 1
		WHERE id = $1 AND expires <> 0 AND NOT EXISTS (SELECT 1 FROM blob_names WHERE gen = $1)`, gen)
	return err
}

func (c chunks) Unname(ctx context.Context, id string) (string, error) {
	var gen string
	err := c.db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `DELETE FROM blob_names WHERE name = $1 RETURNING gen`, id).Scan(&gen)
		if errors.Is(err, pgx.ErrNoRows) {
			return driver.ErrNotFound
		}
		if err != nil {
			return err
		}
		return garbage(ctx, tx, gen)
	})
	return gen, err
}

func (c chunks) PurgeChunks(ctx context.Context, gen string, now int64, limit int) (int, error) {
	var k int64
	err := c.db.tx(ctx, func(tx pgx.Tx) error {
		// FOR UPDATE holds gen's row, so a commit of gen waits for this
		// purge and then finds a chunk missing.
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM blobs WHERE id = $1 AND expires <> 0 AND expires < $2
			AND NOT EXISTS (SELECT 1 FROM blob_names WHERE gen = $1) FOR UPDATE) g`, gen, now).Scan(&n)
		if err != nil || n == 0 {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM blob_chunks WHERE id = $1 AND seq IN
			(SELECT seq FROM blob_chunks WHERE id = $1 ORDER BY seq LIMIT $2)`, gen, limit)
		if err != nil {
			return err
		}
		if k = tag.RowsAffected(); k == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM blobs WHERE id = $1`, gen)
		}
		return err
	})
	return int(k), err
}

func (c chunks) Garbage(ctx context.Context, now int64, limit int) ([]string, error) {
	rows, err := c.db.pool.Query(ctx, `SELECT id FROM blobs WHERE expires <> 0 AND expires < $1 LIMIT $2`, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
