package backend_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/keystore"
)

// memDriver is a whole third-party backend: the dozen methods of
// driver.Driver over maps. backend.New turns it into every store of the
// SDK, and drivertest.Run checks it with the suites the SQLite and
// PostgreSQL backends pass (TestMemoryDriver).
//
// A transaction holds mu for its whole run and works on a copy of the
// records, which replaces them when it commits: simple, and atomic. Blobs
// have their own lock and are never part of a transaction. A real backend
// would index (Kind, ID) and the secondary keys instead of scanning, and
// stream blobs in chunks instead of keeping them whole.
type memDriver struct {
	mu   sync.Mutex // held by every record operation, and by a transaction until it ends
	recs table

	blobMu sync.Mutex
	blobs  map[string]memBlob // by blob ID
	gens   int64              // the last generation handed out
}

var _ driver.Driver = (*memDriver)(nil)

type recordKey struct{ kind, id string }

// table is the record store without locking: the driver's records, or a
// transaction's copy of them.
type table map[recordKey]driver.Record

type memBlob struct {
	gen  string
	data []byte
}

func newMemDriver() *memDriver {
	return &memDriver{recs: table{}, blobs: map[string]memBlob{}}
}

// locked runs fn on the records under the lock, if ctx is not done.
func (d *memDriver) locked(ctx context.Context, fn func(t table) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return fn(d.recs)
}

func (d *memDriver) Create(ctx context.Context, r driver.Record) (out driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.Create(ctx, r); return err })
	return out, err
}

func (d *memDriver) Update(ctx context.Context, r driver.Record, expect int64) (out driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.Update(ctx, r, expect); return err })
	return out, err
}

func (d *memDriver) Get(ctx context.Context, kind, id string) (out driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.Get(ctx, kind, id); return err })
	return out, err
}

func (d *memDriver) List(ctx context.Context, kind string, field driver.Field, value string) (out []driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.List(ctx, kind, field, value); return err })
	return out, err
}

func (d *memDriver) Range(ctx context.Context, kind, after, before string, limit int) (out []driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.Range(ctx, kind, after, before, limit); return err })
	return out, err
}

func (d *memDriver) Delete(ctx context.Context, kind, id string) error {
	return d.locked(ctx, func(t table) error { return t.Delete(ctx, kind, id) })
}

func (d *memDriver) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (out driver.Record, err error) {
	err = d.locked(ctx, func(t table) error { out, err = t.Modify(ctx, kind, id, fn); return err })
	return out, err
}

func (d *memDriver) Purge(ctx context.Context, kind string, before time.Time) error {
	return d.locked(ctx, func(t table) error { return t.Purge(ctx, kind, before) })
}

// Atomic runs fn on a copy of the records and keeps the copy if fn returns
// nil and ctx is not done.
func (d *memDriver) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	return d.locked(ctx, func(t table) error {
		tx := maps.Clone(t)
		if err := fn(tx); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		d.recs = tx
		return nil
	})
}

// clone returns r with its own copy of Data, never nil.
func clone(r driver.Record) driver.Record {
	r.Data = append([]byte{}, r.Data...)
	return r
}

func (t table) Create(ctx context.Context, r driver.Record) (driver.Record, error) {
	if err := ctx.Err(); err != nil {
		return driver.Record{}, err
	}
	k := recordKey{r.Kind, r.ID}
	if _, ok := t[k]; ok {
		return driver.Record{}, driver.ErrExists
	}
	r.Version = 1
	t[k] = clone(r)
	return clone(r), nil
}

func (t table) Update(ctx context.Context, r driver.Record, expect int64) (driver.Record, error) {
	old, err := t.Get(ctx, r.Kind, r.ID)
	if err != nil {
		return driver.Record{}, err
	}
	if old.Version != expect {
		return driver.Record{}, driver.ErrConflict
	}
	r.Version = expect + 1
	t[recordKey{r.Kind, r.ID}] = clone(r)
	return clone(r), nil
}

func (t table) Get(ctx context.Context, kind, id string) (driver.Record, error) {
	if err := ctx.Err(); err != nil {
		return driver.Record{}, err
	}
	r, ok := t[recordKey{kind, id}]
	if !ok {
		return driver.Record{}, driver.ErrNotFound
	}
	return clone(r), nil
}

// sorted returns the records of kind that keep reports true for, by ID in
// byte order (Go compares strings bytewise).
func (t table) sorted(kind string, keep func(driver.Record) bool) []driver.Record {
	var out []driver.Record
	for k, r := range t {
		if k.kind == kind && keep(r) {
			out = append(out, clone(r))
		}
	}
	slices.SortFunc(out, func(a, b driver.Record) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (t table) List(ctx context.Context, kind string, field driver.Field, value string) ([]driver.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t.sorted(kind, func(r driver.Record) bool {
		if field == driver.ByRef {
			return r.Ref == value
		}
		return r.Owner == value
	}), nil
}

func (t table) Range(ctx context.Context, kind, after, before string, limit int) ([]driver.Record, error) {
	if err := ctx.Err(); err != nil || limit < 1 {
		return nil, err
	}
	out := t.sorted(kind, func(r driver.Record) bool { return r.ID > after && (before == "" || r.ID < before) })
	return out[:min(limit, len(out))], nil
}

func (t table) Delete(ctx context.Context, kind, id string) error {
	if _, err := t.Get(ctx, kind, id); err != nil {
		return err
	}
	delete(t, recordKey{kind, id})
	return nil
}

func (t table) Modify(ctx context.Context, kind, id string, fn func(*driver.Record) error) (driver.Record, error) {
	r, err := t.Get(ctx, kind, id)
	if err != nil {
		return driver.Record{}, err
	}
	if err := fn(&r); err != nil {
		return driver.Record{}, err
	}
	r.Kind, r.ID, r.Version = kind, id, r.Version+1
	t[recordKey{kind, id}] = clone(r)
	return clone(r), nil
}

func (t table) Purge(ctx context.Context, kind string, before time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	maps.DeleteFunc(t, func(k recordKey, r driver.Record) bool {
		return k.kind == kind && !r.Expires.IsZero() && r.Expires.Before(before)
	})
	return nil
}

// Atomic on a transaction runs fn in that same transaction.
func (t table) Atomic(ctx context.Context, fn func(tx driver.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(t)
}

// PutBlob reads r a chunk at a time without any lock, checking ctx before
// each chunk, and names the new generation only once r is fully read.
func (d *memDriver) PutBlob(ctx context.Context, id string, r io.Reader) (int64, error) {
	var data []byte
	buf := make([]byte, driver.ChunkSize)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		k, err := io.ReadFull(r, buf)
		data = append(data, buf[:k]...)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.blobMu.Lock()
	defer d.blobMu.Unlock()
	d.gens++
	d.blobs[id] = memBlob{gen: strconv.FormatInt(d.gens, 10), data: data}
	return int64(len(data)), nil
}

func (d *memDriver) blob(ctx context.Context, id string) (memBlob, error) {
	if err := ctx.Err(); err != nil {
		return memBlob{}, err
	}
	d.blobMu.Lock()
	defer d.blobMu.Unlock()
	b, ok := d.blobs[id]
	if !ok {
		return memBlob{}, driver.ErrNotFound
	}
	return b, nil
}

func (d *memDriver) StatBlob(ctx context.Context, id string) (driver.BlobStat, error) {
	b, err := d.blob(ctx, id)
	return driver.BlobStat{Size: int64(len(b.data)), Gen: b.gen}, err
}

// ReadBlobChunk answers ErrNotFound once id names another generation: the
// reader of a replaced blob fails instead of mixing two blobs.
func (d *memDriver) ReadBlobChunk(ctx context.Context, id, gen string, seq int64) ([]byte, error) {
	b, err := d.blob(ctx, id)
	if err != nil {
		return nil, err
	}
	off := seq * driver.ChunkSize
	if b.gen != gen || seq < 0 || off >= int64(len(b.data)) {
		return nil, driver.ErrNotFound
	}
	return bytes.Clone(b.data[off:min(off+driver.ChunkSize, int64(len(b.data)))]), nil
}

func (d *memDriver) DeleteBlob(ctx context.Context, id string) error {
	if _, err := d.blob(ctx, id); err != nil {
		return err
	}
	d.blobMu.Lock()
	defer d.blobMu.Unlock()
	delete(d.blobs, id)
	return nil
}

// A backend implements the dozen methods of [driver.Driver] (memDriver
// above keeps records in a map) and gets every store of the SDK from
// [backend.New]; [backend.Stores.Atomic] spans them all in one transaction
// of the driver.
func ExampleNew() {
	ctx := context.Background()
	stores := backend.New(newMemDriver())

	err := stores.Atomic(ctx, func(tx *backend.Stores) error {
		if _, err := tx.Keystore.Put(ctx, "alice", "account", []byte("sealed account record")); err != nil {
			return err
		}
		_, err := tx.Keystore.Put(ctx, "alice", "account", []byte("again"))
		return err // ErrExists: the first Put is rolled back with it
	})
	fmt.Println(errors.Is(err, keystore.ErrExists))
	_, err = stores.Keystore.Get(ctx, "alice", "account")
	fmt.Println(errors.Is(err, keystore.ErrNotFound))

	if _, err := stores.Keystore.Put(ctx, "alice", "account", []byte("sealed account record")); err != nil {
		fmt.Println(err)
		return
	}
	e, err := stores.Keystore.Get(ctx, "alice", "account")
	fmt.Println(string(e.Data), e.Version, err)
	// Output:
	// true
	// true
	// sealed account record 1 <nil>
}
