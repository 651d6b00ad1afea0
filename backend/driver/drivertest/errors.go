package drivertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/driver"
)

// call is one driver method, called with ctx.
type call struct {
	name string
	do   func(ctx context.Context, d driver.Driver) error
}

// calls are every method of a driver, on a record "k"/"a" and a blob "b".
var calls = []call{
	{"Create", func(c context.Context, d driver.Driver) error {
		_, err := d.Create(c, driver.Record{Kind: "k", ID: "new"})
		return err
	}},
	{"Update", func(c context.Context, d driver.Driver) error {
		_, err := d.Update(c, driver.Record{Kind: "k", ID: "a", Data: []byte("changed")}, 1)
		return err
	}},
	{"Get", func(c context.Context, d driver.Driver) error { _, err := d.Get(c, "k", "a"); return err }},
	{"List", func(c context.Context, d driver.Driver) error {
		_, err := d.List(c, "k", driver.ByOwner, "")
		return err
	}},
	{"Range", func(c context.Context, d driver.Driver) error { _, err := d.Range(c, "k", "", "", 10); return err }},
	{"Delete", func(c context.Context, d driver.Driver) error { return d.Delete(c, "k", "a") }},
	{"Modify", func(c context.Context, d driver.Driver) error {
		_, err := d.Modify(c, "k", "a", func(r *driver.Record) error { r.Data = []byte("changed"); return nil })
		return err
	}},
	{"Purge", func(c context.Context, d driver.Driver) error { return d.Purge(c, "k", time.Now().Add(time.Hour)) }},
	{"Atomic", func(c context.Context, d driver.Driver) error {
		return d.Atomic(c, func(tx driver.Store) error {
			_, err := tx.Create(c, driver.Record{Kind: "k", ID: "in-tx"})
			return err
		})
	}},
	{"PutBlob", func(c context.Context, d driver.Driver) error {
		_, err := d.PutBlob(c, "b", bytes.NewReader([]byte("changed")))
		return err
	}},
	{"StatBlob", func(c context.Context, d driver.Driver) error { _, err := d.StatBlob(c, "b"); return err }},
	{"ReadBlobChunk", func(c context.Context, d driver.Driver) error {
		st, _ := d.StatBlob(ctx, "b") // a closed driver fails this too; the chunk read must fail on its own
		_, err := d.ReadBlobChunk(c, "b", st.Gen, 0)
		return err
	}},
	{"DeleteBlob", func(c context.Context, d driver.Driver) error { return d.DeleteBlob(c, "b") }},
}

// testCancelled calls every method with a cancelled context: each returns
// the context's error (errors.Is) and nothing changes.
func testCancelled(t *testing.T, d driver.Driver) {
	if _, err := d.Create(ctx, driver.Record{Kind: "k", ID: "a", Expires: time.Now().Add(-time.Minute), Data: []byte("kept")}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutBlob(ctx, "b", bytes.NewReader([]byte("kept"))); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	for _, m := range calls {
		assert.ErrorIs(t, m.do(c, d), context.Canceled, "%s with a cancelled context", m.name)
	}
	r, err := d.Get(ctx, "k", "a")
	assert.NoError(t, err, "a cancelled Delete or Purge removed the record")
	assert.Equal(t, "kept", string(r.Data), "a cancelled Update or Modify changed the record")
	assert.Equal(t, int64(1), r.Version, "a cancelled write changed the record's version")
	for _, id := range []string{"new", "in-tx"} {
		_, err := d.Get(ctx, "k", id)
		assert.ErrorIs(t, err, driver.ErrNotFound, "a cancelled write stored %q", id)
	}
	assert.Equal(t, []byte("kept"), readAll(t, d, "b"), "a cancelled PutBlob or DeleteBlob changed the blob")
}

// RunBroken checks the errors of a driver whose database is gone: broken
// is a driver made by the backend's constructor, with a record "k"/"a" and
// a blob "b" stored, then closed (or otherwise cut off from its database).
// Every method must fail with an error that starts with prefix (the
// backend's name and a colon, e.g. "sqlite: ") and is none of the storage
// sentinels, so a caller can neither mistake an outage for "not found" nor
// lose which backend failed.
func RunBroken(t *testing.T, broken driver.Driver, prefix string) {
	for _, m := range calls {
		err := m.do(ctx, broken)
		if !assert.Error(t, err, "%s on a closed database", m.name) {
			continue
		}
		assert.True(t, strings.HasPrefix(err.Error(), prefix), "%s on a closed database: %q does not start with %q", m.name, err, prefix)
		for _, sentinel := range []error{driver.ErrNotFound, driver.ErrExists, driver.ErrConflict} {
			assert.False(t, errors.Is(err, sentinel), "%s on a closed database answers %v", m.name, sentinel)
		}
	}
}

// cancellingReader yields bytes of 'c' and cancels its context once it has
// yielded after bytes; read counts what it yielded.
type cancellingReader struct {
	after, read int
	cancel      context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	r.read += len(p)
	for i := range p {
		p[i] = 'c'
	}
	if r.read >= r.after {
		r.cancel()
	}
	return len(p), nil
}

// testCancelledMidStream cancels a put and a read once their first chunk
// has passed: each stops at the next chunk with the context's error, the
// put reads at most one chunk more of its (endless) source and stores
// nothing, and the reader returns no byte past the chunk it holds.
func testCancelledMidStream(t *testing.T, d driver.Driver) {
	c, cancel := context.WithCancel(ctx)
	src := &cancellingReader{after: driver.ChunkSize, cancel: cancel}
	_, err := d.PutBlob(c, "endless", src)
	require.ErrorIs(t, err, context.Canceled, "PutBlob whose context is cancelled after a chunk")
	assert.LessOrEqual(t, src.read, 2*driver.ChunkSize, "PutBlob read on after its context was cancelled")
	_, err = d.StatBlob(ctx, "endless")
	assert.ErrorIs(t, err, driver.ErrNotFound, "a cancelled put stored a blob")

	_, err = d.PutBlob(ctx, "b", bytes.NewReader(bytes.Repeat([]byte("r"), 3*driver.ChunkSize)))
	require.NoError(t, err)
	c, cancel = context.WithCancel(ctx)
	defer cancel()
	rc, err := backend.Blobs(d).Get(c, "b")
	require.NoError(t, err)
	defer rc.Close()
	_, err = io.ReadFull(rc, make([]byte, driver.ChunkSize))
	require.NoError(t, err)
	cancel()
	n, err := io.Copy(io.Discard, rc)
	assert.ErrorIs(t, err, context.Canceled, "a read whose context is cancelled after a chunk")
	assert.Zero(t, n, "a read went on past the chunk it held after its context was cancelled")
}
