package share_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// itemHeader returns the header of an empty envelope sealed for item id's
// version v under a fresh detached key.
func itemHeader(t *testing.T, id, owner string, v uint64) []byte {
	t.Helper()
	w, err := envelope.NewWriter(io.Discard, share.ItemAD(id, owner, v), &envelope.SealOptions{Key: envelope.NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Header().Bytes()
}

// newUpload is a version-1 upload of id by owner with header h.
func newUpload(id, owner string, h []byte) *share.Upload {
	return &share.Upload{
		Item: &share.Item{ID: id, Owner: owner, Version: 1, Header: h},
		Keys: []*share.WrappedKey{{Item: id, Recipient: owner, Version: 1, Record: []byte("wrapped")}},
	}
}

// The Service stores an item's header unopened, so it must at least be one
// envelope header, exactly: anything else is ErrInvalid and stores nothing.
func TestUploadHeaderMustParse(t *testing.T) {
	valid := itemHeader(t, "H1", "alice", 1)
	tests := []struct {
		name   string
		header []byte
		ok     bool
	}{
		{"envelope header", valid, true},
		{"not an envelope", []byte("sealkit header bytes"), false},
		{"one byte after", append(bytes.Clone(valid), 0), false},
		{"two headers", append(bytes.Clone(valid), valid...), false},
		{"truncated", valid[:len(valid)-1], false},
		{"magic only", valid[:4], false},
		{"padded to 1 MiB", append(bytes.Clone(valid), make([]byte, 1<<20-len(valid))...), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
			_, err := svc.Upload(ctx, "alice", newUpload("H1", "alice", tc.header), strings.NewReader("p"))
			if tc.ok {
				if err != nil {
					t.Fatalf("valid header refused: %v", err)
				}
				return
			}
			if !errors.Is(err, share.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if _, err := svc.Item(ctx, "alice", "H1"); !errors.Is(err, share.ErrNotFound) {
				t.Fatalf("refused upload left a record: %v", err)
			}
		})
	}
}

// stallFirstPut holds the first Put, before it writes, until release is
// closed: a second upload then runs start to finish while the first is in
// flight, so the first always loses its compare-and-swap.
type stallFirstPut struct {
	share.BlobStore
	once     sync.Once
	entered  chan struct{} // closed when the first Put has started
	release  chan struct{}
	firstKey string
}

func newStallFirstPut(inner share.BlobStore) *stallFirstPut {
	return &stallFirstPut{BlobStore: inner, entered: make(chan struct{}), release: make(chan struct{})}
}

func (s *stallFirstPut) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		s.firstKey = key
		close(s.entered)
		<-s.release
	}
	return s.BlobStore.Put(ctx, key, r)
}

// Two rotations of one item race to version 2. The one that wins the
// item's compare-and-swap keeps its blob: the item stays readable, and the
// loser's blob is gone.
func TestUploadRaceKeepsWinnersBlob(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	it, err := alice.Upload(ctx, strings.NewReader("the winner's content"), nil)
	if err != nil {
		t.Fatal(err)
	}
	inner := w.svc.Blobs
	stall := newStallFirstPut(inner)
	w.svc.Blobs = stall

	loser := make(chan error, 1)
	go func() {
		_, err := alice.Rotate(ctx, it.ID)
		loser <- err
	}()
	<-stall.entered
	won, err := alice.Rotate(ctx, it.ID)
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	close(stall.release)
	if err := <-loser; !errors.Is(err, share.ErrConflict) {
		t.Fatalf("stalled rotation: %v, want ErrConflict", err)
	}

	if won.Version != 2 {
		t.Fatalf("winner stored version %d", won.Version)
	}
	got, err := alice.ReadAll(ctx, it.ID)
	if err != nil || string(got) != "the winner's content" {
		t.Fatalf("after the race: %q, %v", got, err)
	}
	if _, err := inner.Get(ctx, stall.firstKey); !errors.Is(err, share.ErrNotFound) {
		t.Fatalf("the loser's blob %q is still stored: %v", stall.firstKey, err)
	}
}

// Two creates of one item ID race: the second to write its blob creates the
// record first; the other finds ErrExists and must not delete that blob.
func TestUploadCreateRaceKeepsWinnersBlob(t *testing.T) {
	inner := share.NewMemoryBlobs()
	stall := newStallFirstPut(inner)
	svc := share.NewService(share.NewMemoryStores(), stall)

	loser := make(chan error, 1)
	go func() {
		_, err := svc.Upload(ctx, "alice", newUpload("SAME", "alice", itemHeader(t, "SAME", "alice", 1)), strings.NewReader("loser"))
		loser <- err
	}()
	<-stall.entered
	if _, err := svc.Upload(ctx, "alice", newUpload("SAME", "alice", itemHeader(t, "SAME", "alice", 1)), strings.NewReader("winner")); err != nil {
		t.Fatalf("second create: %v", err)
	}
	close(stall.release)
	if err := <-loser; !errors.Is(err, share.ErrExists) {
		t.Fatalf("stalled create: %v, want ErrExists", err)
	}

	it, err := svc.Item(ctx, "alice", "SAME")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := inner.Get(ctx, it.BlobRef)
	if err != nil {
		t.Fatalf("the winner's blob: %v", err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "winner" {
		t.Fatalf("the winner's blob holds %q", b)
	}
}

// EncodeUploadFrame writes u32be(len(record)) || record, ReadUploadFrame
// reads it back, and Body gives the Handler the same bytes again.
func TestReadUploadFrame(t *testing.T) {
	up := newUpload("F1", "alice", []byte("header"))
	record, err := json.Marshal(up)
	if err != nil {
		t.Fatal(err)
	}
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(record)))
	frame = append(frame, record...)
	body := append(bytes.Clone(frame), "payload"...)
	if enc, err := sharehttp.EncodeUploadFrame(up); err != nil || !bytes.Equal(enc, frame) {
		t.Fatalf("EncodeUploadFrame: %q, %v; want %q", enc, err, frame)
	}

	r := bytes.NewReader(body)
	f, err := sharehttp.ReadUploadFrame(r)
	if err != nil {
		t.Fatal(err)
	}
	if f.Upload.Item.ID != "F1" || f.RecordLen() != int64(len(record)) || f.Len() != int64(len(frame)) {
		t.Fatalf("frame: item %q, record %d, len %d", f.Upload.Item.ID, f.RecordLen(), f.Len())
	}
	again, err := io.ReadAll(f.Body(r))
	if err != nil || !bytes.Equal(again, body) {
		t.Fatalf("Body: %q, %v", again, err)
	}

	t.Run("record over the cap", func(t *testing.T) {
		b := binary.BigEndian.AppendUint32(nil, share.MaxUploadRecord+1)
		if _, err := sharehttp.ReadUploadFrame(bytes.NewReader(b)); !errors.Is(err, share.ErrTooLarge) {
			t.Fatalf("got %v, want ErrTooLarge", err)
		}
	})
	t.Run("short record", func(t *testing.T) {
		if _, err := sharehttp.ReadUploadFrame(bytes.NewReader(frame[:len(frame)-1])); !errors.Is(err, share.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("declared length, nothing sent", func(t *testing.T) {
		b := binary.BigEndian.AppendUint32(nil, share.MaxUploadRecord)
		if _, err := sharehttp.ReadUploadFrame(bytes.NewReader(b)); !errors.Is(err, share.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
}
