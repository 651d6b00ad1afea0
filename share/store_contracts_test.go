package share_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// A deleted item's ID is never reused: nobody, not even its owner, can
// create it again, so nobody takes over its audit chain; the owner keeps
// reading the chain, and nobody else can.
func TestDeletedItemIDNotReused(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		mallory := w.addUser(t, "mallory", "rsa", 2)
		it, err := alice.Upload(ctx, strings.NewReader("secret plans"), nil, "bob")
		if err != nil {
			t.Fatal(err)
		}
		mustRead(t, bob, it.ID)
		if err := alice.Delete(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*share.Client{mallory, alice} {
			again := *it
			again.Owner, again.SHA256, again.Size, again.BlobRef = c.User, nil, 0, ""
			key := &share.WrappedKey{Item: it.ID, Recipient: c.User, Version: 1, Record: []byte("wrapped")}
			_, err := c.Transport.Upload(ctx, &share.Upload{Item: &again, Keys: []*share.WrappedKey{key}}, strings.NewReader("x"))
			if !errors.Is(err, share.ErrExists) {
				t.Fatalf("%s re-creates a deleted item: %v, want ErrExists", c.User, err)
			}
		}
		for _, c := range []*share.Client{mallory, bob} {
			if _, _, err := c.Audit(ctx, it.ID, nil); !errors.Is(err, share.ErrPermission) {
				t.Fatalf("%s reads the deleted item's audit chain: %v, want ErrPermission", c.User, err)
			}
		}
		entries, _, err := alice.Audit(ctx, it.ID, nil)
		if err != nil {
			t.Fatalf("owner reads the deleted item's chain: %v", err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Event.Action+":"+e.Event.Actor)
		}
		if got, want := strings.Join(actions, " "), "share:alice download:bob delete:alice"; got != want {
			t.Fatalf("chain %q, want %q", got, want)
		}
	})
}

// The owner of a deleted item reads its chain even when an event was
// chained after the delete event (a download that passed its access check
// just before the delete): access follows the tombstone, not the last event.
func TestDeletedItemChainAfterLateEvent(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	bob := w.addUser(t, "bob", "rsa", 1)
	it, _ := alice.Upload(ctx, strings.NewReader("x"), nil, "bob")
	if err := alice.Delete(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	head, err := w.svc.Stores.Audit.AuditHead(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	late := &share.AuditEntry{Seq: head.Seq + 1, Prev: head.Hash,
		Event: *share.NewEvent(bob.SigningKey, share.ActionDownload, "bob", it.ID, "")}
	late.Hash = late.ComputeHash()
	if err := w.svc.Stores.Audit.AppendAudit(ctx, late); err != nil {
		t.Fatal(err)
	}
	if _, _, err := alice.Audit(ctx, it.ID, nil); err != nil {
		t.Fatalf("owner reads the chain: %v", err)
	}
	if _, _, err := bob.Audit(ctx, it.ID, nil); !errors.Is(err, share.ErrPermission) {
		t.Fatalf("last actor reads the chain: %v", err)
	}
}

// 64 wrong link proofs at once: at most MaxLinkFailures are compared (the
// link records exactly that many), the rest are refused unchecked, and the
// right secret is refused afterwards. Every attempt reads the link before
// any goes on (barrierLinks), so all of them pass the lockout check that
// reads the link; only the reservation can hold them back.
func TestConcurrentWrongLinkProofs(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
		ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 5})
		if err != nil {
			t.Fatal(err)
		}
		const tries = 64
		limit := share.DefaultMaxLinkFailures
		links := w.svc.Stores.Links
		w.svc.Stores.Links = newBarrierLinks(links, tries)
		var badProof, locked atomic.Int32
		var wg sync.WaitGroup
		for i := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := w.anon.AccessLink(ctx, ls.ID, &share.AccessRequest{Proof: bytes.Repeat([]byte{byte(i)}, 32)})
				switch {
				case errors.Is(err, share.ErrBadProof):
					badProof.Add(1)
				case errors.Is(err, share.ErrLocked):
					locked.Add(1)
				default:
					t.Errorf("wrong proof: %v", err)
				}
			}()
		}
		wg.Wait()
		w.svc.Stores.Links = links
		l, err := links.Link(ctx, ls.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Failures != limit {
			t.Fatalf("%d wrong proofs compared, want exactly %d", l.Failures, limit)
		}
		if int(badProof.Load()) > limit || int(badProof.Load()+locked.Load()) != tries {
			t.Fatalf("%d bad_proof and %d locked replies", badProof.Load(), locked.Load())
		}
		if _, err := share.OpenLink(ctx, w.anon, ls, &bytes.Buffer{}); !errors.Is(err, share.ErrLocked) {
			t.Fatalf("right secret after lockout: %v", err)
		}
	})
}

// barrierLinks holds every Link read, once it has read the link, until n
// reads have arrived.
type barrierLinks struct {
	share.LinkStore
	n       atomic.Int32
	want    int32
	arrived chan struct{}
}

func newBarrierLinks(s share.LinkStore, n int) *barrierLinks {
	return &barrierLinks{LinkStore: s, want: int32(n), arrived: make(chan struct{})}
}

func (b *barrierLinks) Link(ctx context.Context, id string) (*share.Link, error) {
	l, err := b.LinkStore.Link(ctx, id)
	if b.n.Add(1) == b.want {
		close(b.arrived)
	}
	<-b.arrived
	return l, err
}

// A right proof gives its attempt back: right proofs never bring a link
// closer to lockout, wrong ones do.
func TestRightLinkProofsDoNotCount(t *testing.T) {
	w := newWorld(t, "local")
	w.svc.MaxLinkFailures = 2
	alice := w.addUser(t, "alice", "rsa", 0)
	it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
	ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 10})
	if err != nil {
		t.Fatal(err)
	}
	wrong := ls
	wrong.Secret = "guess"
	if _, err := share.OpenLink(ctx, w.anon, wrong, &bytes.Buffer{}); !errors.Is(err, share.ErrBadProof) {
		t.Fatalf("wrong proof: %v", err)
	}
	for i := range 5 {
		if _, err := share.OpenLink(ctx, w.anon, ls, &bytes.Buffer{}); err != nil {
			t.Fatalf("right proof %d: %v", i+1, err)
		}
	}
	if l, _ := w.svc.Stores.Links.Link(ctx, ls.ID); l.Failures != 1 {
		t.Fatalf("failures %d after one wrong and five right proofs, want 1", l.Failures)
	}
	if _, err := share.OpenLink(ctx, w.anon, wrong, &bytes.Buffer{}); !errors.Is(err, share.ErrLocked) {
		t.Fatalf("second wrong proof: %v, want ErrLocked", err)
	}
}

// A user's repeated downloads of one item are chained once per
// DownloadAuditWindow; they are all served.
func TestDownloadAuditWindow(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.EventSkew = 3 * share.DownloadAuditWindow // clients sign with the real clock
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		it, _ := alice.Upload(ctx, strings.NewReader("popular"), nil, "bob")
		count := func() (n int) {
			t.Helper()
			entries, _, err := alice.Audit(ctx, it.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Event.Action == share.ActionDownload {
					n++
				}
			}
			return n
		}
		for range 5 {
			if got := mustRead(t, bob, it.ID); string(got) != "popular" {
				t.Fatalf("read %q", got)
			}
			w.clock.Advance(time.Minute)
		}
		mustRead(t, alice, it.ID)
		if n := count(); n != 2 {
			t.Fatalf("%d download entries for five of bob's and one of alice's downloads, want 2", n)
		}
		w.clock.Advance(share.DownloadAuditWindow)
		mustRead(t, bob, it.ID)
		if n := count(); n != 3 {
			t.Fatalf("%d download entries after a window passed, want 3", n)
		}
	})
}

// Audit pages over every transport: the cursor, the limit and its range,
// and Client.Audit reading a chain longer than one page.
func TestAuditPages(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
		const n = share.MaxAuditPage*2 + 5
		var prev []byte = share.GenesisHash(it.ID)
		for seq := uint64(1); seq <= n; seq++ {
			e := &share.AuditEntry{Seq: seq, Prev: prev, Event: *share.NewEvent(alice.SigningKey, share.ActionShare, "alice", it.ID, "bob")}
			e.Hash = e.ComputeHash()
			if err := w.svc.Stores.Audit.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
		page, err := alice.Transport.Audit(ctx, it.ID, 7, 3)
		if err != nil || len(page) != 3 || page[0].Seq != 8 || page[2].Seq != 10 {
			t.Fatalf("page after 7: %d entries, %v", len(page), err)
		}
		page, err = alice.Transport.Audit(ctx, it.ID, n-1, 0)
		if err != nil || len(page) != 1 || page[0].Seq != n {
			t.Fatalf("last page: %d entries, %v", len(page), err)
		}
		if page, err := alice.Transport.Audit(ctx, it.ID, n, 10); err != nil || len(page) != 0 {
			t.Fatalf("past the end: %d entries, %v", len(page), err)
		}
		for _, limit := range []int{-1, share.MaxAuditPage + 1} {
			if _, err := w.svc.Audit(ctx, "alice", it.ID, 0, limit); !errors.Is(err, share.ErrInvalid) {
				t.Fatalf("limit %d: %v, want ErrInvalid", limit, err)
			}
		}
		entries, head, err := alice.Audit(ctx, it.ID, nil)
		if err != nil || len(entries) != n || !bytes.Equal(head, prev) {
			t.Fatalf("whole chain: %d entries, %v", len(entries), err)
		}
	})
}

// AuditAfter reads and verifies only what follows the entry a client kept,
// and refuses entries that do not continue it.
func TestAuditAfter(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		it, _ := alice.Upload(ctx, strings.NewReader("x"), nil, "bob")
		other, _ := alice.Upload(ctx, strings.NewReader("y"), nil, "bob")
		all, err := alice.AuditAfter(ctx, it.ID, nil)
		if err != nil || len(all) != 1 {
			t.Fatalf("from the start: %d entries, %v", len(all), err)
		}
		last := all[0]
		if news, err := alice.AuditAfter(ctx, it.ID, last); err != nil || len(news) != 0 {
			t.Fatalf("nothing new: %d entries, %v", len(news), err)
		}
		mustRead(t, bob, it.ID)
		if err := alice.Revoke(ctx, it.ID, "bob", false); err != nil {
			t.Fatal(err)
		}
		news, err := alice.AuditAfter(ctx, it.ID, last)
		if err != nil || len(news) != 2 || news[0].Event.Action != share.ActionDownload || news[1].Event.Action != share.ActionRevoke {
			t.Fatalf("new entries: %d, %v", len(news), err)
		}
		whole, _, err := alice.Audit(ctx, it.ID, nil)
		if err != nil || len(whole) != 3 || !bytes.Equal(whole[2].Hash, news[1].Hash) {
			t.Fatalf("whole chain: %d entries, %v", len(whole), err)
		}
		// A kept entry of another chain, or one altered, is not continued.
		otherLast, err := alice.AuditAfter(ctx, other.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.AuditAfter(ctx, it.ID, otherLast[0]); !errors.Is(err, share.ErrAudit) {
			t.Fatalf("another item's entry as the mark: %v", err)
		}
		forged := *last
		forged.Hash = bytes.Repeat([]byte{1}, 32)
		if _, err := alice.AuditAfter(ctx, it.ID, &forged); !errors.Is(err, share.ErrAudit) {
			t.Fatalf("altered mark: %v", err)
		}
	})
}

// VerifyAuditAfter over the frozen valid chain: every split verifies, and
// the continuation of a changed or skipped entry does not.
func TestVectorsAuditAfter(t *testing.T) {
	vf := loadVectors(t)
	pub := ed25519.PublicKey(unhex(t, vf.AuditPublicKey))
	keys := func(string) (ed25519.PublicKey, error) { return pub, nil }
	var chain []*share.AuditEntry
	for _, c := range vf.Audit {
		if c.Name == "valid" {
			for i := range c.Entries {
				chain = append(chain, &c.Entries[i])
			}
		}
	}
	if len(chain) < 3 {
		t.Fatal("no valid audit chain in the vectors")
	}
	for k := range chain {
		if err := share.VerifyAuditAfter(vf.AuditItem, chain[k], chain[k+1:], keys); err != nil {
			t.Fatalf("after entry %d: %v", k+1, err)
		}
	}
	if err := share.VerifyAuditAfter(vf.AuditItem, chain[0], chain[2:], keys); !errors.Is(err, share.ErrAudit) {
		t.Fatalf("an entry skipped: %v", err)
	}
	changed := *chain[1]
	changed.Event.Subject = "mallory"
	if err := share.VerifyAuditAfter(vf.AuditItem, chain[0], []*share.AuditEntry{&changed}, keys); !errors.Is(err, share.ErrAudit) {
		t.Fatalf("a changed entry: %v", err)
	}
}

// The audit route refuses a malformed or out-of-range page query before it
// looks anything up.
func TestAuditPageQuery(t *testing.T) {
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	h := sharehttp.NewHandler(svc, func(*http.Request) (string, error) { return "alice", nil })
	get := func(q string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/items/I1/audit?"+q, nil))
		return rec.Code
	}
	for _, q := range []string{"after=x", "after=-1", "after=18446744073709551616", "limit=0", "limit=-1", "limit=1001", "limit=x"} {
		if code := get(q); code != http.StatusBadRequest {
			t.Errorf("%q: status %d, want 400", q, code)
		}
	}
	for _, q := range []string{"", "after=5", "limit=1000", "after=0&limit=1"} {
		if code := get(q); code != http.StatusNotFound {
			t.Errorf("%q: status %d, want 404 (no such item)", q, code)
		}
	}
}
