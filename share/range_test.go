package share_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"math"
	mrand "math/rand/v2"
	"testing"

	"github.com/sealkit/sealkit/share"
)

// rangedPlaintext is five full 64 KiB segments and part of a sixth.
const rangedPlaintext = 5<<16 + 123

func uploadRanged(t *testing.T, owner *share.Client, recipients ...string) (*share.Item, []byte) {
	t.Helper()
	pt := make([]byte, rangedPlaintext)
	rand.Read(pt)
	it, err := owner.Upload(ctx, bytes.NewReader(pt), nil, recipients...)
	if err != nil {
		t.Fatal(err)
	}
	return it, pt
}

// DownloadRange serves the bytes asked for, cut at the end, under the same
// access check and event check as Download; a range past the end is a
// RangeError with the size and chains nothing.
func TestServiceDownloadRange(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	bob := w.addUser(t, "bob", "rsa", 1)
	w.addUser(t, "carol", "rsa", 2)
	it, _ := uploadRanged(t, alice, "bob")
	blob, err := w.svc.Blobs.Get(ctx, it.BlobRef)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := io.ReadAll(blob)
	size := int64(len(payload))
	var served []int64
	w.svc.Notify = func(_ context.Context, c *share.Change) {
		if c.Op == share.OpDownload {
			served = append(served, c.Size)
		}
	}
	ev := func(c *share.Client) *share.Event {
		return share.NewEvent(c.SigningKey, share.ActionDownload, c.User, it.ID, "")
	}
	for _, tc := range []struct{ off, n, wantOff, wantN int64 }{
		{0, 10, 0, 10},
		{100, 1, 100, 1},
		{size - 5, 100, size - 5, 5},
		{7, math.MaxInt64, 7, size - 7},
		{-9, math.MaxInt64, size - 9, 9},
		{-size - 100, 3, 0, 3},
	} {
		rc, sp, err := w.svc.DownloadRange(ctx, "bob", it.ID, tc.off, tc.n, ev(bob))
		if err != nil {
			t.Fatalf("(%d, %d): %v", tc.off, tc.n, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if sp != (share.Span{Off: tc.wantOff, N: tc.wantN, Size: size}) || !bytes.Equal(got, payload[tc.wantOff:tc.wantOff+tc.wantN]) {
			t.Errorf("(%d, %d): span %+v and %d bytes, want %d at %d of %d", tc.off, tc.n, sp, len(got), tc.wantN, tc.wantOff, size)
		}
		if len(served) == 0 || served[len(served)-1] != tc.wantN {
			t.Errorf("(%d, %d): the download change reports sizes %v, want %d last", tc.off, tc.n, served, tc.wantN)
		}
	}
	for _, off := range []int64{size, size + 1, math.MaxInt64} {
		_, _, err := w.svc.DownloadRange(ctx, "bob", it.ID, off, 1, ev(bob))
		var re *share.RangeError
		if !errors.Is(err, share.ErrRange) || !errors.As(err, &re) || re.Size != size {
			t.Errorf("range from %d of %d: %v, want a RangeError with the size", off, size, err)
		}
	}
	for _, tc := range []struct {
		name     string
		actor    string
		off, n   int64
		ev       *share.Event
		want     error
		wantNone bool
	}{
		{"stranger", "carol", 0, 1, ev(w.clients["carol"]), share.ErrPermission, false},
		{"no event", "bob", 0, 1, nil, share.ErrInvalid, false},
		{"someone else's event", "bob", 0, 1, ev(alice), share.ErrInvalid, false},
		{"empty", "bob", 0, 0, ev(bob), share.ErrInvalid, false},
		{"negative length", "bob", 0, -1, ev(bob), share.ErrInvalid, false},
		{"suffix of MinInt64", "bob", math.MinInt64, 1, ev(bob), share.ErrInvalid, false},
	} {
		if _, _, err := w.svc.DownloadRange(ctx, tc.actor, it.ID, tc.off, tc.n, tc.ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Audit as for Download: a range past the end chains nothing, the first
// served range of the window chains one download entry, and the rest of
// the window's ranges none.
func TestDownloadRangeAudit(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	bob := w.addUser(t, "bob", "rsa", 1)
	it, _ := uploadRanged(t, alice, "bob")
	downloads := func() int {
		entries, err := w.svc.Stores.Audit.AuditEntries(ctx, it.ID, 0, share.MaxAuditPage)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Event.Action == share.ActionDownload {
				n++
			}
		}
		return n
	}
	ev := share.NewEvent(bob.SigningKey, share.ActionDownload, "bob", it.ID, "")
	if _, _, err := w.svc.DownloadRange(ctx, "bob", it.ID, it.Size, 1, ev); !errors.Is(err, share.ErrRange) {
		t.Fatal(err)
	}
	if n := downloads(); n != 0 {
		t.Fatalf("a refused range chained %d entries", n)
	}
	r, err := bob.OpenRange(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for off := int64(0); off < r.Size(); off += 50000 {
		if _, err := r.ReadAt(make([]byte, 1000), off); err != nil {
			t.Fatal(err)
		}
	}
	if n := downloads(); n != 1 {
		t.Fatalf("%d download entries after ranged reads, want 1", n)
	}
}

// Random ranges of a multi-segment item read through OpenRange equal the
// plaintext's slices, over every transport; reads at and past the end
// behave as io.ReaderAt says.
func TestOpenRange(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		it, pt := uploadRanged(t, alice, "bob")
		for _, c := range []*share.Client{alice, bob} {
			r, err := c.OpenRange(ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Size() != int64(len(pt)) || r.Item().Version != it.Version {
				t.Fatalf("size %d, want %d", r.Size(), len(pt))
			}
			rng := mrand.New(mrand.NewPCG(1, 2))
			for range 40 {
				off := rng.Int64N(int64(len(pt)))
				n := 1 + rng.IntN(3<<16)
				got := make([]byte, n)
				k, err := r.ReadAt(got, off)
				want := pt[off:min(off+int64(n), int64(len(pt)))]
				if k != len(want) || !bytes.Equal(got[:k], want) {
					t.Fatalf("ReadAt(%d bytes, %d): %d bytes, equal %v", n, off, k, bytes.Equal(got[:k], want))
				}
				if (k < n) != (err == io.EOF) || (err != nil && err != io.EOF) {
					t.Fatalf("ReadAt(%d bytes, %d): %d bytes and %v", n, off, k, err)
				}
			}
			if n, err := r.ReadAt(make([]byte, 1), int64(len(pt))); n != 0 || err != io.EOF {
				t.Fatalf("at the end: %d, %v", n, err)
			}
			if n, err := r.ReadAt(nil, int64(len(pt))+5); n != 0 || err != nil {
				t.Fatalf("nothing past the end: %d, %v", n, err)
			}
			if _, err := r.ReadAt(make([]byte, 1), -1); !errors.Is(err, share.ErrInvalid) {
				t.Fatalf("negative offset: %v", err)
			}
			all, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
			if err != nil || !bytes.Equal(all, pt) {
				t.Fatalf("whole item through a SectionReader: %v", err)
			}
		}
	})
}

// tamperRanges is a Transport whose ranged downloads a hostile server edits.
type tamperRanges struct {
	share.Transport
	edit func(b []byte, sp share.Span) ([]byte, share.Span)
	// after this many ranged downloads untouched (the final segment at open)
	after int
}

func (t *tamperRanges) DownloadRange(ctx context.Context, id string, off, n int64, ev *share.Event) (io.ReadCloser, share.Span, error) {
	rc, sp, err := t.Transport.DownloadRange(ctx, id, off, n, ev)
	if err != nil {
		return nil, sp, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, sp, err
	}
	if t.after--; t.after < 0 {
		b, sp = t.edit(b, sp)
	}
	return io.NopCloser(bytes.NewReader(b)), sp, nil
}

// A server that changes a ranged answer's bytes, or answers another range
// than the one asked, or a short one, is refused with ErrCorrupt, at open
// (the final segment) or at the read, which returns only the authenticated
// bytes before the first segment that fails.
func TestOpenRangeTampered(t *testing.T) {
	cases := map[string]func(b []byte, sp share.Span) ([]byte, share.Span){
		"byte flipped": func(b []byte, sp share.Span) ([]byte, share.Span) {
			b[len(b)/2] ^= 1
			return b, sp
		},
		"other range": func(b []byte, sp share.Span) ([]byte, share.Span) {
			sp.Off -= 65536 + 16
			return b, sp
		},
		"other size": func(b []byte, sp share.Span) ([]byte, share.Span) {
			sp.Size++
			return b, sp
		},
		"short": func(b []byte, sp share.Span) ([]byte, share.Span) {
			return b[:len(b)-1], sp
		},
		"segments swapped": func(b []byte, sp share.Span) ([]byte, share.Span) {
			const full = 65536 + 16
			if len(b) < 2*full {
				b[0] ^= 1
				return b, sp
			}
			s := append(append(append([]byte(nil), b[full:2*full]...), b[:full]...), b[2*full:]...)
			return s, sp
		},
	}
	for name, edit := range cases {
		for _, after := range []int{0, 1} {
			t.Run(name, func(t *testing.T) {
				w := newWorld(t, "local")
				alice := w.addUser(t, "alice", "rsa", 0)
				it, pt := uploadRanged(t, alice)
				alice.Transport = &tamperRanges{Transport: alice.Transport, edit: edit, after: after}
				r, err := alice.OpenRange(ctx, it.ID)
				if after == 0 {
					if !errors.Is(err, share.ErrCorrupt) {
						t.Fatalf("open with the final segment tampered: %v, want ErrCorrupt", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				p := make([]byte, 3<<16)
				n, err := r.ReadAt(p, 1000)
				if !errors.Is(err, share.ErrCorrupt) || n == len(p) || !bytes.Equal(p[:n], pt[1000:1000+n]) {
					t.Fatalf("read of a tampered range: %d bytes, %v, want ErrCorrupt after only authenticated bytes", n, err)
				}
			})
		}
	}
}

// A reader open on one version fails with ErrConflict, not ErrCorrupt,
// once the item has a new one.
func TestOpenRangeNewVersion(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	it, _ := uploadRanged(t, alice)
	r, err := alice.OpenRange(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Rotate(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 70000); !errors.Is(err, share.ErrConflict) {
		t.Fatalf("read after a new version: %v, want ErrConflict", err)
	}
}

// countRanges counts a Transport's ranged downloads.
type countRanges struct {
	share.Transport
	n int
}

func (c *countRanges) DownloadRange(ctx context.Context, id string, off, n int64, ev *share.Event) (io.ReadCloser, share.Span, error) {
	c.n++
	return c.Transport.DownloadRange(ctx, id, off, n, ev)
}

// Reading an item front to back in reads smaller than a segment (an
// io.SectionReader under io.Copy) fetches each segment once, plus the
// final one at open.
func TestOpenRangeSequentialFetches(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	it, pt := uploadRanged(t, alice)
	count := &countRanges{Transport: alice.Transport}
	alice.Transport = count
	r, err := alice.OpenRange(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	onlyWrite := struct{ io.Writer }{&out} // no ReadFrom: reads of 10,000 bytes
	if _, err := io.CopyBuffer(onlyWrite, io.NewSectionReader(r, 0, r.Size()), make([]byte, 10000)); err != nil || !bytes.Equal(out.Bytes(), pt) {
		t.Fatalf("sequential read: %v", err)
	}
	segments := (rangedPlaintext + 1<<16 - 1) >> 16
	if count.n > segments+1 {
		t.Fatalf("%d ranged downloads for %d segments", count.n, segments)
	}
}
