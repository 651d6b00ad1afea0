package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io"

	"github.com/sealkit/sealkit/backend/internal/records"
)

var _ records.Blobs = (*DB)(nil)

func (db *DB) PutBlob(ctx context.Context, id string, r io.Reader) (int64, error) {
	var size int64
	buf := make([]byte, records.ChunkSize)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// The old chunks go with the old row (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (id, size) VALUES (?, 0)`, id); err != nil {
			return err
		}
		for seq := int64(0); ; seq++ {
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (id, seq, data) VALUES (?, ?, ?)`, id, seq, buf[:n]); err != nil {
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
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET size = ? WHERE id = ?`, size, id)
		return err
	})
	if err != nil {
		return 0, wrap("put blob", err)
	}
	return size, nil
}

func (db *DB) BlobSize(ctx context.Context, id string) (int64, error) {
	var size int64
	err := db.sql.QueryRowContext(ctx, `SELECT size FROM blobs WHERE id = ?`, id).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, records.ErrNotFound
	}
	return size, wrap("blob size", err)
}

func (db *DB) ReadBlobChunk(ctx context.Context, id string, seq int64) ([]byte, error) {
	var b []byte
	err := db.sql.QueryRowContext(ctx, `SELECT data FROM blob_chunks WHERE id = ? AND seq = ?`, id, seq).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, records.ErrNotFound
	}
	return b, wrap("read blob", err)
}

func (db *DB) DeleteBlob(ctx context.Context, id string) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM blobs WHERE id = ?`, id)
	if err != nil {
		return wrap("delete blob", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return records.ErrNotFound
	}
	return nil
}
