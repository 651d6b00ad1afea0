package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/internal/records"
)

// RunDriver runs the checks of the record model alone (no public store on
// top) against drivers made by open.
func RunDriver(t *testing.T, open func(t *testing.T) driver.Driver) {
	t.Run("CreateGet", func(t *testing.T) { testCreateGet(t, open(t)) })
	t.Run("CompareAndSwap", func(t *testing.T) { testCAS(t, open(t)) })
	t.Run("ListDelete", func(t *testing.T) { testListDelete(t, open(t)) })
	t.Run("Range", func(t *testing.T) { testRange(t, open(t)) })
	t.Run("ConcurrentCAS", func(t *testing.T) { testConcurrentCAS(t, open(t)) })
	t.Run("ConcurrentModify", func(t *testing.T) { testConcurrentModify(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("Atomic", func(t *testing.T) { testAtomic(t, open) })
	t.Run("Blobs", func(t *testing.T) { testBlobs(t, open(t)) })
	t.Run("StalledPutBlob", func(t *testing.T) { testStalledPut(t, open(t)) })
	t.Run("ReaderKeepsGeneration", func(t *testing.T) { testReaderGeneration(t, open(t)) })
	t.Run("ConcurrentPutBlob", func(t *testing.T) { testConcurrentPut(t, open(t)) })
}

func openBlob(ctx context.Context, b driver.Blobs, id string, off, n int64) (io.ReadCloser, error) {
	return records.OpenBlob(ctx, b, id, off, n)
}

func blobSize(ctx context.Context, b driver.Blobs, id string) (int64, error) {
	st, err := b.StatBlob(ctx, id)
	return st.Size, err
}

var ctx = context.Background()

func testCreateGet(t *testing.T, s driver.Driver) {
	exp := time.Unix(1700000000, 123)
	r, err := s.Create(ctx, driver.Record{Kind: "k", ID: "a", Owner: "o", Ref: "r", Data: []byte("body"), Expires: exp})
	if err != nil || r.Version != 1 {
		t.Fatalf("Create = %v, %v; want version 1", r.Version, err)
	}
	got, err := s.Get(ctx, "k", "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != "o" || got.Ref != "r" || got.Version != 1 || string(got.Data) != "body" || !got.Expires.Equal(exp) {
		t.Errorf("Get = %+v", got)
	}
	if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: "a", Data: []byte("other")}); !errors.Is(err, driver.ErrExists) {
		t.Errorf("second Create: %v, want ErrExists", err)
	}
	if got, _ := s.Get(ctx, "k", "a"); string(got.Data) != "body" {
		t.Errorf("a refused Create changed the record: %q", got.Data)
	}
	if _, err := s.Get(ctx, "k", "missing"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "other-kind", "a"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Get across kinds: %v, want ErrNotFound", err)
	}
	if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: "empty"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "k", "empty"); err != nil || len(got.Data) != 0 || !got.Expires.IsZero() {
		t.Errorf("empty record = %+v, %v", got, err)
	}
}

func testCAS(t *testing.T, s driver.Driver) {
	if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: "a", Data: []byte("v1")}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Update(ctx, driver.Record{Kind: "k", ID: "a", Owner: "o2", Data: []byte("v2")}, 1)
	if err != nil || r.Version != 2 {
		t.Fatalf("Update = %v, %v", r.Version, err)
	}
	if _, err := s.Update(ctx, driver.Record{Kind: "k", ID: "a", Data: []byte("stale")}, 1); !errors.Is(err, driver.ErrConflict) {
		t.Errorf("stale Update: %v, want ErrConflict", err)
	}
	if _, err := s.Update(ctx, driver.Record{Kind: "k", ID: "nope", Data: []byte("x")}, 1); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Update missing: %v, want ErrNotFound", err)
	}
	got, _ := s.Get(ctx, "k", "a")
	if got.Version != 2 || string(got.Data) != "v2" || got.Owner != "o2" {
		t.Errorf("after CAS: %+v", got)
	}
}

func testListDelete(t *testing.T, s driver.Driver) {
	for i, owner := range []string{"alice", "bob", "alice", "carol"} {
		id := fmt.Sprintf("id%d", i)
		if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: id, Owner: owner, Ref: "ref-" + owner}); err != nil {
			t.Fatal(err)
		}
	}
	s.Create(ctx, driver.Record{Kind: "other", ID: "x", Owner: "alice"})
	list, err := s.List(ctx, "k", driver.ByOwner, "alice")
	if err != nil || len(list) != 2 || list[0].ID != "id0" || list[1].ID != "id2" {
		t.Fatalf("List by owner = %v, %v", list, err)
	}
	list, err = s.List(ctx, "k", driver.ByRef, "ref-bob")
	if err != nil || len(list) != 1 || list[0].ID != "id1" {
		t.Fatalf("List by ref = %v, %v", list, err)
	}
	if list, err := s.List(ctx, "k", driver.ByOwner, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("List empty = %v, %v", list, err)
	}
	if err := s.Delete(ctx, "k", "id0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k", "id0"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	if list, _ := s.List(ctx, "k", driver.ByOwner, "alice"); len(list) != 1 {
		t.Errorf("after Delete, List = %v", list)
	}
}

// testConcurrentCAS has writers increment a counter by read + CAS with
// retry: every increment must land exactly once.
func testConcurrentCAS(t *testing.T, s driver.Driver) {
	if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: "n", Data: []byte("0")}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range each {
				for {
					r, err := s.Get(ctx, "k", "n")
					if err != nil {
						errs <- err
						return
					}
					n, _ := strconv.Atoi(string(r.Data))
					r.Data = []byte(strconv.Itoa(n + 1))
					if _, err = s.Update(ctx, r, r.Version); err == nil {
						break
					} else if !errors.Is(err, driver.ErrConflict) {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, _ := s.Get(ctx, "k", "n")
	if string(r.Data) != strconv.Itoa(writers*each) || r.Version != writers*each+1 {
		t.Errorf("counter = %s at version %d, want %d at %d (a lost update)", r.Data, r.Version, writers*each, writers*each+1)
	}
}

// testConcurrentModify spends a budget from many goroutines: never more
// than the budget, and exactly the budget in total.
func testConcurrentModify(t *testing.T, s driver.Driver) {
	const budget, tries = 25, 60
	if _, err := s.Create(ctx, driver.Record{Kind: "k", ID: "budget", Data: []byte(strconv.Itoa(budget))}); err != nil {
		t.Fatal(err)
	}
	errSpent := errors.New("spent")
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for range tries {
		wg.Go(func() {
			_, err := s.Modify(ctx, "k", "budget", func(r *driver.Record) error {
				n, _ := strconv.Atoi(string(r.Data))
				if n == 0 {
					return errSpent
				}
				r.Data = []byte(strconv.Itoa(n - 1))
				return nil
			})
			switch {
			case err == nil:
				mu.Lock()
				granted++
				mu.Unlock()
			case !errors.Is(err, errSpent):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r, _ := s.Get(ctx, "k", "budget")
	if granted != budget || string(r.Data) != "0" {
		t.Errorf("granted %d with %s left, want exactly %d granted", granted, r.Data, budget)
	}
	if _, err := s.Modify(ctx, "k", "missing", func(*driver.Record) error { return nil }); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("Modify missing: %v, want ErrNotFound", err)
	}
}

func testPurge(t *testing.T, s driver.Driver) {
	now := time.Now()
	s.Create(ctx, driver.Record{Kind: "k", ID: "old", Expires: now.Add(-time.Minute)})
	s.Create(ctx, driver.Record{Kind: "k", ID: "new", Expires: now.Add(time.Minute)})
	s.Create(ctx, driver.Record{Kind: "k", ID: "never"})
	s.Create(ctx, driver.Record{Kind: "j", ID: "old", Expires: now.Add(-time.Minute)})
	if err := s.Purge(ctx, "k", now); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"old": false, "new": true, "never": true} {
		if _, err := s.Get(ctx, "k", id); (err == nil) != want {
			t.Errorf("after Purge, Get(%s) = %v", id, err)
		}
	}
	if _, err := s.Get(ctx, "j", "old"); err != nil {
		t.Errorf("Purge crossed kinds: %v", err)
	}
}

func testCancelled(t *testing.T, s driver.Driver) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Create(c, driver.Record{Kind: "k", ID: "a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context: %v", err)
	}
	if _, err := s.Get(ctx, "k", "a"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("a cancelled Create stored a record: %v", err)
	}
	if _, err := s.PutBlob(c, "b", bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
		t.Errorf("PutBlob with a cancelled context: %v", err)
	}
}

// failingReader fails after n bytes.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("source broke")
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func testBlobs(t *testing.T, s driver.Driver) {
	data := make([]byte, 2*driver.ChunkSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	n, err := s.PutBlob(ctx, "b", bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("PutBlob = %d, %v", n, err)
	}
	if _, err := s.PutBlob(ctx, "b", &failingReader{n: driver.ChunkSize + 10}); err == nil {
		t.Fatal("PutBlob from a failing reader succeeded")
	}
	if n, err := blobSize(ctx, s, "b"); err != nil || n != int64(len(data)) {
		t.Fatalf("a failed replacement changed the blob: size %d, %v", n, err)
	}
	for _, r := range []struct{ off, n int64 }{{0, -1}, {0, 0}, {1, 10}, {driver.ChunkSize - 3, 7}, {driver.ChunkSize, driver.ChunkSize}, {int64(len(data)) - 1, 1}, {int64(len(data)), -1}} {
		rc, err := openBlob(ctx, s, "b", r.off, r.n)
		if err != nil {
			t.Fatalf("OpenBlob(%d, %d): %v", r.off, r.n, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		end := int64(len(data))
		if r.n >= 0 {
			end = r.off + r.n
		}
		if err != nil || !bytes.Equal(got, data[r.off:end]) {
			t.Errorf("range (%d, %d): %d bytes, %v", r.off, r.n, len(got), err)
		}
	}
	if _, err := openBlob(ctx, s, "b", 5, int64(len(data))); err == nil {
		t.Error("a range past the end was accepted")
	}
	if _, err := s.PutBlob(ctx, "broken", &failingReader{n: driver.ChunkSize + 10}); err == nil {
		t.Fatal("PutBlob from a failing reader succeeded")
	}
	if _, err := blobSize(ctx, s, "broken"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("a failed PutBlob left a blob: %v", err)
	}
	if n, err := s.PutBlob(ctx, "empty", bytes.NewReader(nil)); err != nil || n != 0 {
		t.Errorf("empty PutBlob = %d, %v", n, err)
	}
	if n, err := s.PutBlob(ctx, "b", bytes.NewReader([]byte("new"))); err != nil || n != 3 {
		t.Fatalf("replacing PutBlob = %d, %v", n, err)
	}
	if rc, err := openBlob(ctx, s, "b", 0, -1); err != nil {
		t.Fatal(err)
	} else if got, _ := io.ReadAll(rc); string(got) != "new" {
		t.Errorf("after replacement read %q", got)
	}
	if err := s.DeleteBlob(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := openBlob(ctx, s, "b", 0, -1); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("deleted blob opens: %v", err)
	}
	if err := s.DeleteBlob(ctx, "b"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("second DeleteBlob: %v", err)
	}
}

// Stalled is a PutBlob source that yields Before bytes, then blocks until
// Release: it is closed once a Read found the bytes used up, and the
// source ends (or fails with Err) when Release is closed.
type Stalled struct {
	Before  int
	Err     error
	stalled chan struct{}
	release chan struct{}
	once    sync.Once
	relOnce sync.Once
}

// NewStalled returns a source of before bytes that then stalls.
func NewStalled(before int) *Stalled {
	return &Stalled{Before: before, stalled: make(chan struct{}), release: make(chan struct{})}
}

// Stalled is closed once the source blocks.
func (s *Stalled) Stalled() <-chan struct{} { return s.stalled }

// Release lets the blocked Read return: io.EOF, or Err if set.
func (s *Stalled) Release() { s.relOnce.Do(func() { close(s.release) }) }

func (s *Stalled) Read(p []byte) (int, error) {
	if s.Before > 0 {
		k := min(len(p), s.Before)
		for i := range p[:k] {
			p[i] = 's'
		}
		s.Before -= k
		return k, nil
	}
	s.once.Do(func() { close(s.stalled) })
	<-s.release
	if s.Err != nil {
		return 0, s.Err
	}
	return 0, io.EOF
}

// writeDeadline bounds each write made while puts are stalled: a bound that
// turns a write waiting for a stalled put's lock (or connection) into a
// failure instead of a hang, not a measurement.
const writeDeadline = 10 * time.Second

var errWentAway = errors.New("recordstest: client went away")

// testStalledPut stalls more puts than a connection pool holds by default
// (pgxpool: max(4, NumCPU)), each after a chunk and a half, and checks that
// other writes go through meanwhile, that the stalled puts show nothing,
// and that a stalled put that fails leaves the old blob.
func testStalledPut(t *testing.T, s driver.Driver) {
	if _, err := s.PutBlob(ctx, "old", bytes.NewReader([]byte("old blob"))); err != nil {
		t.Fatal(err)
	}
	n := runtime.NumCPU() + 4
	srcs := make([]*Stalled, n)
	errs := make(chan error, n)
	for i := range srcs {
		src := NewStalled(driver.ChunkSize * 3 / 2)
		srcs[i] = src
		t.Cleanup(src.Release) // a failing check must not leave puts blocked
		id := "stalled" + strconv.Itoa(i)
		if i == 0 {
			id, src.Err = "old", errWentAway
		}
		go func() { _, err := s.PutBlob(ctx, id, src); errs <- err }()
		select {
		case <-src.Stalled():
		case err := <-errs:
			t.Fatalf("put %d failed while %d puts stall: %v", i, i, err)
		case <-time.After(writeDeadline):
			t.Fatalf("put %d did not reach its source while %d puts stall", i, i)
		}
		if i == 0 {
			c, cancel := context.WithTimeout(ctx, writeDeadline)
			_, err := s.Create(c, driver.Record{Kind: "k", ID: "during", Data: []byte("x")})
			cancel()
			if err != nil {
				t.Fatalf("a record write while a put stalls: %v", err)
			}
		}
	}
	c, cancel := context.WithTimeout(ctx, writeDeadline)
	defer cancel()
	if _, err := s.Modify(c, "k", "during", func(r *driver.Record) error { r.Data = []byte("y"); return nil }); err != nil {
		t.Fatalf("a read-modify-write while puts stall: %v", err)
	}
	if _, err := s.PutBlob(c, "other", bytes.NewReader(make([]byte, driver.ChunkSize+1))); err != nil {
		t.Fatalf("a blob put while puts stall: %v", err)
	}
	if _, err := blobSize(c, s, "stalled1"); !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("a stalled put's chunks are visible: %v", err)
	}
	if n, err := blobSize(c, s, "old"); err != nil || n != int64(len("old blob")) {
		t.Errorf("a stalled replacement changed the blob: %d, %v", n, err)
	}
	for _, src := range srcs {
		src.Release()
	}
	for range srcs {
		if err := <-errs; err != nil && !errors.Is(err, errWentAway) {
			t.Errorf("a released put: %v", err)
		}
	}
	if got := readAll(t, s, "old"); string(got) != "old blob" {
		t.Errorf("a failed replacement left %d bytes", len(got))
	}
	if got := readAll(t, s, "stalled1"); !bytes.Equal(got, bytes.Repeat([]byte("s"), driver.ChunkSize*3/2)) {
		t.Errorf("a stalled put completed with %d bytes", len(got))
	}
}

func readAll(t *testing.T, s driver.Driver, id string) []byte {
	t.Helper()
	rc, err := openBlob(ctx, s, id, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

// testReaderGeneration replaces a blob while a reader is in its first
// chunk: the reader fails rather than go on with the new blob's chunks.
func testReaderGeneration(t *testing.T, s driver.Driver) {
	if _, err := s.PutBlob(ctx, "b", bytes.NewReader(bytes.Repeat([]byte("a"), 2*driver.ChunkSize))); err != nil {
		t.Fatal(err)
	}
	rc, err := openBlob(ctx, s, "b", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutBlob(ctx, "b", bytes.NewReader(bytes.Repeat([]byte("b"), 2*driver.ChunkSize))); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(rc)
	if err == nil || bytes.IndexByte(rest, 'b') >= 0 {
		t.Errorf("a reader of the replaced blob read on: %d bytes, %v", len(rest), err)
	}
}

// testConcurrentPut races puts of one new blob: each succeeds, and the blob
// is one of them, whole.
func testConcurrentPut(t *testing.T, s driver.Driver) {
	const n = 4
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, driver.ChunkSize*3/2) }
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.PutBlob(ctx, "same", bytes.NewReader(content(i))); err != nil {
				t.Errorf("put %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := readAll(t, s, "same")
	for i := range n {
		if bytes.Equal(got, content(i)) {
			return
		}
	}
	t.Errorf("after racing puts the blob is none of them: %d bytes", len(got))
}
