package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/driver/drivertest"
	"github.com/sealkit/sealkit/backend/internal/records"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/share"
)

// writeDeadline bounds the writes made while an upload stalls: well under
// BusyTimeout, so that a write queued behind a stalled upload's lock fails
// instead of waiting; it is not a measurement.
const writeDeadline = sqlite.BusyTimeout / 2

// A bearer-token upload streams the client's payload into the blob store.
// While that client stalls, other users' signed requests (each a
// replay-store insert) and record writes must go through.
func TestStalledUploadBlocksNoWriter(t *testing.T) {
	ctx := context.Background()
	db := openFile(t)
	src := drivertest.NewStalled(driver.ChunkSize + driver.ChunkSize/2)
	t.Cleanup(src.Release)
	done := make(chan error, 1)
	go func() { _, err := db.Blobs().Put(ctx, "UPLOAD", src); done <- err }()
	<-src.Stalled()

	c, cancel := context.WithTimeout(ctx, writeDeadline)
	defer cancel()
	if err := db.ReplayStore().Remember(c, "bob-key", "nonce-1", time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("a signed request's replay insert while an upload stalls: %v", err)
	}
	if _, err := db.Create(c, driver.Record{Kind: "k", ID: "r", Data: []byte("x")}); err != nil {
		t.Fatalf("a record write while an upload stalls: %v", err)
	}
	if _, err := db.Blobs().Get(c, "UPLOAD"); !errors.Is(err, share.ErrNotFound) {
		t.Fatalf("a stalled upload is visible: %v", err)
	}
	src.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := blobSize(ctx, db, "UPLOAD"); err != nil || n != driver.ChunkSize*3/2 {
		t.Fatalf("the upload, once released: %d bytes, %v", n, err)
	}
}

// openRaw opens the database file without the backend, to look at (and
// age) what the backend stored.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func count(t *testing.T, raw *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A put whose source fails removes the chunks it wrote; one whose writer
// stops for good (here: its pending generation is made to look older than
// PendingBlobTTL) is swept when the database is next opened, and its
// writer, if it resumes, fails instead of naming a generation with chunks
// missing.
func TestBlobGarbage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "garbage.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw := openRaw(t, path)
	if _, err := db.PutBlob(ctx, "keep", bytes.NewReader(make([]byte, 2*driver.ChunkSize))); err != nil {
		t.Fatal(err)
	}

	failing := drivertest.NewStalled(3 * driver.ChunkSize)
	failing.Err = errors.New("client went away")
	failing.Release()
	if _, err := db.PutBlob(ctx, "keep", failing); err == nil {
		t.Fatal("a put from a failing source succeeded")
	}
	if n := count(t, raw, `SELECT count(*) FROM blob_chunks`); n != 2 {
		t.Fatalf("after a failed put %d chunks are stored, want the 2 of the kept blob", n)
	}

	stalled := drivertest.NewStalled(2*driver.ChunkSize + 1)
	t.Cleanup(stalled.Release)
	done := make(chan error, 1)
	go func() { _, err := db.PutBlob(ctx, "keep", stalled); done <- err }()
	<-stalled.Stalled()
	if n := count(t, raw, `SELECT count(*) FROM blob_chunks`); n != 4 {
		t.Fatalf("a stalled put wrote %d chunks beside the kept blob's 2, want 2", n-2)
	}
	if _, err := raw.Exec(`UPDATE blobs SET expires = 2 WHERE expires > 2`); err != nil {
		t.Fatal(err)
	}
	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if n := count(t, raw, `SELECT count(*) FROM blob_chunks`); n != 2 {
		t.Fatalf("after the sweep %d chunks are stored, want the 2 of the kept blob", n)
	}
	stalled.Release()
	if err := <-done; !errors.Is(err, records.ErrPendingGone) {
		t.Fatalf("a put whose pending chunks were swept: %v, want ErrPendingGone", err)
	}
	if n, err := blobSize(ctx, db, "keep"); err != nil || n != 2*driver.ChunkSize {
		t.Fatalf("the kept blob: %d bytes, %v", n, err)
	}
	if n := count(t, raw, `SELECT count(*) FROM blobs`); n != 1 {
		t.Fatalf("%d generations stored, want the kept one", n)
	}

	// Racing puts of one new name: every replaced generation is freed.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := db.PutBlob(ctx, "race", bytes.NewReader(make([]byte, driver.ChunkSize+1))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if chunks, gens := count(t, raw, `SELECT count(*) FROM blob_chunks`), count(t, raw, `SELECT count(*) FROM blobs`); chunks != 4 || gens != 2 {
		t.Fatalf("after racing puts %d chunks in %d generations are stored, want 4 in 2", chunks, gens)
	}
}

// A database whose blobs were written before blobs had generations: the
// migration names each blob's chunks by its key, and replacing the blob
// later frees them.
func TestMigrationBlobGenerations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw := openRaw(t, path)
	for _, q := range []string{
		`DROP TABLE blob_names`,
		`DROP INDEX blobs_expires`,
		`ALTER TABLE blobs DROP COLUMN expires`,
		`DELETE FROM schema_migrations WHERE name = '0003_blob_generations.sql'`,
		`INSERT INTO blobs (id, size) VALUES ('OLD', 5)`,
		`INSERT INTO blob_chunks (id, seq, data) VALUES ('OLD', 0, 'hello')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rc, err := db.Blobs().Get(ctx, "OLD")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "hello" {
		t.Fatalf("the old blob after migration: %q, %v", got, err)
	}
	if _, err := db.Blobs().Put(ctx, "OLD", bytes.NewReader([]byte("new"))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, raw, `SELECT count(*) FROM blob_chunks WHERE id = 'OLD'`); n != 0 {
		t.Fatalf("the replaced old blob keeps %d chunks", n)
	}
}

func blobSize(ctx context.Context, b driver.Blobs, id string) (int64, error) {
	st, err := b.StatBlob(ctx, id)
	return st.Size, err
}
