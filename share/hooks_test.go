package share_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// Service.Items lists the owner's live items only, in each order, page by
// page, over every transport; cursors resume exactly where the last page
// ended, and bad pages are ErrInvalid.
func TestItemsListing(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			w := newWorld(t, tr)
			alice := w.addUser(t, "alice", "hybrid", 0)
			bob := w.addUser(t, "bob", "hybrid", 0)
			var live []*share.Item
			for i, n := range []int{5, 1, 3, 3, 0, 7} {
				w.clock.Advance(time.Duration(i%3) * time.Second) // some times tie
				it, err := alice.Upload(ctx, strings.NewReader(strings.Repeat("x", n)), nil)
				if err != nil {
					t.Fatal(err)
				}
				live = append(live, it)
			}
			if err := alice.Delete(ctx, live[2].ID); err != nil {
				t.Fatal(err)
			}
			live = slices.Delete(live, 2, 3)
			shared := upload(t, bob)
			if _, err := bob.Share(ctx, shared.ID, "alice"); err != nil {
				t.Fatal(err)
			}

			orders := map[share.ItemSort]func(a, b *share.Item) bool{
				share.SortByCreated: func(a, b *share.Item) bool {
					return a.Created.Before(b.Created) || a.Created.Equal(b.Created) && a.ID < b.ID
				},
				share.SortBySize: func(a, b *share.Item) bool { return a.Size < b.Size || a.Size == b.Size && a.ID < b.ID },
				share.SortByID:   func(a, b *share.Item) bool { return a.ID < b.ID },
			}
			for order, less := range orders {
				want := slices.Clone(live)
				sort.Slice(want, func(i, j int) bool { return less(want[i], want[j]) })
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					if pages > len(live) {
						t.Fatalf("%v: the listing does not end", order)
					}
					page, next, err := alice.Items(ctx, order, after, 2)
					if err != nil {
						t.Fatalf("%v: %v", order, err)
					}
					for _, it := range page {
						got = append(got, it.ID)
						if it.Owner != "alice" {
							t.Errorf("%v: listed %s of %s", order, it.ID, it.Owner)
						}
					}
					if next == "" {
						break
					}
					after = next
				}
				var wantIDs []string
				for _, it := range want {
					wantIDs = append(wantIDs, it.ID)
				}
				if !slices.Equal(got, wantIDs) {
					t.Errorf("%v: listed %v, want %v", order, got, wantIDs)
				}
			}

			for _, c := range []struct {
				sort  share.ItemSort
				after string
				limit int
			}{
				{share.SortByCreated, "", 0},
				{share.SortBySize, "not-a-cursor", 1},
				{share.SortByCreated, "../../x", 1},
				{share.ItemSort(9), "", 1},
			} {
				if _, _, err := alice.Items(ctx, c.sort, c.after, c.limit); !errors.Is(err, share.ErrInvalid) {
					t.Errorf("Items(%v, %q, %d): %v, want ErrInvalid", c.sort, c.after, c.limit, err)
				}
			}
		})
	}
}

func TestParseItemSort(t *testing.T) {
	for _, s := range []share.ItemSort{share.SortByCreated, share.SortBySize, share.SortByID} {
		got, err := share.ParseItemSort(s.String())
		if err != nil || got != s {
			t.Errorf("ParseItemSort(%q) = %v, %v", s.String(), got, err)
		}
	}
	for _, name := range []string{"", "Created", "name", "ItemSort(3)"} {
		if _, err := share.ParseItemSort(name); !errors.Is(err, share.ErrInvalid) {
			t.Errorf("ParseItemSort(%q): %v, want ErrInvalid", name, err)
		}
	}
}

// Usage reports the charges of the owner's items (ItemCharge of each live
// one, DeletedCharge of each deleted one) and the quota, over every
// transport; an upload past the quota is ErrQuota and one past the item
// cap ErrLimit, both with the wire codes, and neither stores anything.
func TestUsageAndQuota(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			w := newWorld(t, tr)
			alice := w.addUser(t, "alice", "hybrid", 0)
			quota := share.Usage{Bytes: 1 << 20, Items: 2}
			w.svc.Quota = func(_ context.Context, owner string) (share.Usage, error) { return quota, nil }

			one, two := upload(t, alice), upload(t, alice)
			if err := alice.Delete(ctx, two.ID); err != nil {
				t.Fatal(err)
			}
			key, err := w.svc.MyKey(ctx, "alice", one.ID)
			if err != nil {
				t.Fatal(err)
			}
			head, err := w.svc.Stores.Audit.AuditHead(ctx, two.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := share.Usage{Bytes: share.ItemCharge(one, key) + share.DeletedCharge(head.Seq), Items: 1}
			used, limit, err := alice.Usage(ctx)
			if err != nil || used != want || limit != quota {
				t.Fatalf("Usage = %+v, %+v, %v; want %+v, %+v", used, limit, err, want, quota)
			}

			upload(t, alice)
			_, err = alice.Upload(ctx, strings.NewReader("third"), nil)
			wantLimit(t, "an upload past the item cap", err)

			quota = share.Usage{Bytes: used.Bytes + 4096, Items: 10}
			_, err = alice.Upload(ctx, bytes.NewReader(make([]byte, 8192)), nil)
			if !errors.Is(err, share.ErrQuota) {
				t.Fatalf("an upload past the quota: %v, want ErrQuota", err)
			}
			if after, _, err := alice.Usage(ctx); err != nil || after.Items != 2 {
				t.Fatalf("refused uploads changed the usage: %+v, %v", after, err)
			}
			page, _, err := alice.Items(ctx, share.SortByID, "", 10)
			if err != nil || len(page) != 2 {
				t.Fatalf("refused uploads left items: %d, %v", len(page), err)
			}
		})
	}
}

// Admit sees each upload once it is checked and before any payload byte is
// read or written, with the owner's usage and the declared size; its error
// refuses the upload as it is, and the quota of a declared size is checked
// before the payload is read too.
func TestAdmitBeforePayload(t *testing.T) {
	w := newWorld(t, "local")
	blobs := &countingBlobs{BlobStore: w.svc.Blobs}
	w.svc.Blobs = blobs
	w.addUser(t, "alice", "hybrid", 0)
	errPolicy := fmt.Errorf("%w: uploads are closed", share.ErrPermission)
	var seen []share.Admission
	w.svc.Admit = func(_ context.Context, a *share.Admission) error {
		seen = append(seen, *a)
		if a.PayloadSize > 10 {
			return errPolicy
		}
		return nil
	}
	body := strings.NewReader("a payload of 25 bytes....")
	_, err := w.svc.Upload(ctx, "alice", newUpload("A", "alice", itemHeader(t, "A", "alice", 1)), body)
	if err != errPolicy {
		t.Fatalf("Upload = %v, want Admit's error as it is", err)
	}
	if len(seen) != 1 || seen[0].Actor != "alice" || !seen[0].New || seen[0].PayloadSize != 25 ||
		seen[0].Records != 2 || seen[0].Item.ID != "A" || seen[0].Usage != (share.Usage{}) {
		t.Fatalf("Admit saw %+v", seen)
	}
	if blobs.puts.Load() != 0 || body.Len() != 25 {
		t.Fatalf("a refused upload wrote %d blobs and read %d bytes", blobs.puts.Load(), 25-body.Len())
	}

	w.svc.Quota = func(context.Context, string) (share.Usage, error) { return share.Usage{Bytes: 2000}, nil }
	w.svc.Admit = nil
	big := bytes.NewReader(make([]byte, 4000))
	if _, err := w.svc.Upload(ctx, "alice", newUpload("B", "alice", itemHeader(t, "B", "alice", 1)), big); !errors.Is(err, share.ErrQuota) {
		t.Fatalf("Upload past the quota = %v, want ErrQuota", err)
	}
	if blobs.puts.Load() != 0 || big.Len() != 4000 {
		t.Fatal("an upload of a declared size past the quota was read")
	}
	// An undeclared size may store up to the room left and no more.
	undeclared := struct{ *bytes.Reader }{bytes.NewReader(make([]byte, 4000))}
	if _, err := w.svc.Upload(ctx, "alice", newUpload("C", "alice", itemHeader(t, "C", "alice", 1)), undeclared); !errors.Is(err, share.ErrQuota) {
		t.Fatalf("Upload of an undeclared size past the quota = %v, want ErrQuota", err)
	}
	if used, _, _ := w.svc.Usage(ctx, "alice"); used != (share.Usage{}) {
		t.Fatalf("refused uploads are charged %+v", used)
	}
}

// stallingBlobs holds every Put until release is closed, and says on
// entered when one begins.
type stallingBlobs struct {
	share.BlobStore
	entered chan struct{}
	release chan struct{}
}

func (s *stallingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.BlobStore.Put(ctx, key, r)
}

// Uploads racing for the last of the quota never take the owner past it:
// each reserves its declared size in the process before its payload is
// written, so while three uploads that fill the quota are writing their
// blobs, every other one is refused without writing one; and the commit
// checks the stored total again.
func TestQuotaUnderConcurrentUploads(t *testing.T) {
	const racers, size, fit = 16, 1000, 3
	w := newWorld(t, "local")
	blobs := &stallingBlobs{BlobStore: w.svc.Blobs, entered: make(chan struct{}, racers), release: make(chan struct{})}
	w.svc.Blobs = blobs
	var once sync.Once
	release := func() { once.Do(func() { close(blobs.release) }) }
	defer release()
	w.addUser(t, "alice", "hybrid", 0)
	probe := newUpload("P", "alice", itemHeader(t, "P", "alice", 1))
	perItem := share.ItemCharge(&share.Item{Size: size, Header: probe.Item.Header}, probe.Keys[0])
	quota := share.Usage{Bytes: fit*perItem + perItem/2}
	w.svc.Quota = func(context.Context, string) (share.Usage, error) { return quota, nil }
	done := make(chan error, racers)
	for i := range racers {
		go func() {
			id := fmt.Sprintf("R%d", i)
			_, err := w.svc.Upload(ctx, "alice", newUpload(id, "alice", itemHeader(t, id, "alice", 1)), bytes.NewReader(make([]byte, size)))
			done <- err
		}()
	}
	for range fit {
		<-blobs.entered
	}
	for range racers - fit {
		select {
		case err := <-done:
			if !errors.Is(err, share.ErrQuota) {
				t.Fatalf("an upload while the quota is reserved: %v, want ErrQuota", err)
			}
		case <-blobs.entered:
			t.Fatalf("upload %d began writing its blob while %d that fill the quota were in flight", fit+1, fit)
		}
	}
	release()
	for range fit {
		if err := <-done; err != nil {
			t.Fatalf("an upload within the quota: %v", err)
		}
	}
	used, _, err := w.svc.Usage(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if used.Items != fit || used.Bytes > quota.Bytes {
		t.Fatalf("usage %+v, quota %+v; want %d items within the quota", used, quota, fit)
	}
}

// Notify sees exactly the operations that committed, in order, each once;
// refused operations report nothing.
func TestNotifyReportsCommittedOps(t *testing.T) {
	w := newWorld(t, "local")
	rec := &recorder{}
	w.svc.Notify = rec.notify
	alice := w.addUser(t, "alice", "hybrid", 0)
	bob := w.addUser(t, "bob", "hybrid", 0)
	it := upload(t, alice)
	if _, err := alice.Share(ctx, it.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Share(ctx, it.ID, "bob"); !errors.Is(err, share.ErrExists) {
		t.Fatalf("second share: %v", err)
	}
	if _, err := alice.Share(ctx, it.ID, "nobody"); !errors.Is(err, share.ErrNotFound) {
		t.Fatalf("share with an unknown user: %v", err)
	}
	if _, err := bob.ReadAll(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.Delete(ctx, it.ID); !errors.Is(err, share.ErrPermission) {
		t.Fatalf("a recipient's delete: %v", err)
	}
	link, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.Revoke(ctx, it.ID, "bob", false); err != nil {
		t.Fatal(err)
	}
	if err := alice.Delete(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rec.take() {
		got = append(got, fmt.Sprintf("%s %s %s %s", c.Op, c.Actor, c.Owner, c.Subject))
		if c.Time.IsZero() {
			t.Errorf("%s without a time", c.Op)
		}
		if c.Op != share.OpPublishUser && c.Item != it.ID {
			t.Errorf("%s names item %q", c.Op, c.Item)
		}
	}
	want := []string{
		"publish_user alice  ", "publish_user bob  ",
		"upload alice alice ", "put_manifest alice alice ", "share alice alice bob", "download bob alice ",
		"create_link alice alice " + link.ID,
		"revoke alice alice bob", "delete alice alice ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Notify saw\n%q\nwant\n%q", got, want)
	}
}

// Over HTTP the payload's size reaches Admit too: the client sends a known
// size as Content-Length and the handler declares it to the Service, so a
// quota refuses an upload before its payload is stored; an unknown size
// reaches it as -1.
func TestAdmitSeesHTTPPayloadSize(t *testing.T) {
	w := newWorld(t, "http")
	blobs := &countingBlobs{BlobStore: w.svc.Blobs}
	w.svc.Blobs = blobs
	w.addUser(t, "alice", "hybrid", 0)
	tr := w.mkT("alice")
	var sizes []int64
	w.svc.Admit = func(_ context.Context, a *share.Admission) error {
		sizes = append(sizes, a.PayloadSize)
		return nil
	}
	w.svc.Quota = func(context.Context, string) (share.Usage, error) { return share.Usage{Bytes: 4000}, nil }
	if _, err := tr.Upload(ctx, newUpload("A", "alice", itemHeader(t, "A", "alice", 1)), bytes.NewReader(make([]byte, 25))); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Upload(ctx, newUpload("B", "alice", itemHeader(t, "B", "alice", 1)), bytes.NewReader(make([]byte, 8000)))
	if !errors.Is(err, share.ErrQuota) {
		t.Fatalf("an upload past the quota over HTTP: %v, want ErrQuota", err)
	}
	var he *share.HTTPError
	if !errors.As(err, &he) || he.Status != 507 || he.Code != "quota" {
		t.Fatalf("the quota's answer: %#v", err)
	}
	unsized := struct{ io.Reader }{strings.NewReader("some bytes")}
	if _, err := tr.Upload(ctx, newUpload("C", "alice", itemHeader(t, "C", "alice", 1)), unsized); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []int64{25, 8000, -1}) || blobs.puts.Load() != 2 {
		t.Fatalf("Admit saw sizes %v and %d blobs were written; want [25 8000 -1] and 2", sizes, blobs.puts.Load())
	}
}
