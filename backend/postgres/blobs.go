package postgres

import (
	"context"
	"errors"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.Blobs = (*DB)(nil)

func (db *DB) PutBlob(ctx context.Context, id string, r io.Reader) (int64, error) {
	var size int64
	buf := make([]byte, records.ChunkSize)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// The old chunks go with the old row (ON DELETE CASCADE).
		if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blobs (id, size) VALUES ($1, 0)`, id); err != nil {
			return err
		}
		for seq := int64(0); ; seq++ {
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (id, seq, data) VALUES ($1, $2, $3)`, id, seq, buf[:n]); err != nil {
					return err
				}
				size += int64(n)
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE blobs SET size = $1 WHERE id = $2`, size, id)
		return err
	})
	if err != nil {
		return 0, wrap("put blob", err)
	}
	return size, nil
}

func (db *DB) BlobSize(ctx context.Context, id string) (int64, error) {
	var size int64
	err := db.pool.QueryRow(ctx, `SELECT size FROM blobs WHERE id = $1`, id).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, records.ErrNotFound
	}
	return size, wrap("blob size", err)
}

func (db *DB) ReadBlobChunk(ctx context.Context, id string, seq int64) ([]byte, error) {
	var b []byte
	err := db.pool.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE id = $1 AND seq = $2`, id, seq).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, records.ErrNotFound
	}
	return b, wrap("read blob", err)
}

func (db *DB) DeleteBlob(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM blobs WHERE id = $1`, id)
	if err != nil {
		return wrap("delete blob", err)
	}
	if tag.RowsAffected() == 0 {
		return records.ErrNotFound
	}
	return nil
}
