package share_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/share"
)

// recorder keeps the Changes a Service reports to Notify.
type recorder struct {
	mu      sync.Mutex
	changes []share.Change
}

func (r *recorder) notify(_ context.Context, c *share.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, *c)
}

// take returns the Changes reported since the last take.
func (r *recorder) take() []share.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

// faultWorld is a world whose stores and blobs count, and can fail, every
// write.
type faultWorld struct {
	*world
	f     *faults
	blobs *fBlobs
	rec   *recorder
	items []string // IDs of the items made, live or deleted
}

// newFaultWorld returns a world over the memory stores or SQLite (one
// in-memory database, through package backend) whose writes f sees: the
// store calls, or for "sqlite-driver" the driver's record writes; and the
// blob writes.
func newFaultWorld(t *testing.T, kind string) *faultWorld {
	w := newWorld(t, "local")
	fw := &faultWorld{world: w, f: &faults{}, rec: &recorder{}}
	var st share.Stores
	var blobs share.BlobStore
	switch kind {
	case "memory":
		st, blobs = faultStores(share.NewMemoryStores(), fw.f), share.NewMemoryBlobs()
	case "sqlite", "sqlite-driver":
		db, err := sqlite.OpenMemory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		st, blobs = faultStores(backend.Share(db), fw.f), backend.Blobs(db)
		if kind == "sqlite-driver" {
			// The faults hit the driver's record writes (several per
			// store call at times) instead of the store calls.
			st = backend.Share(fDriver{db, fw.f})
		}
	default:
		t.Fatalf("unknown backend %q", kind)
	}
	fw.blobs = &fBlobs{BlobStore: blobs, f: fw.f, live: map[string]bool{}}
	w.svc.Stores, w.svc.Blobs = st, fw.blobs
	w.svc.Notify = fw.rec.notify
	return fw
}

// faultState is what a case's setup made, for its operation.
type faultState struct {
	alice, bob *share.Client
	item       *share.Item
	link       share.LinkSecret
	inv        share.InvitationToken
	conn       *share.Connection
	received   *share.Share
}

// faultCase is one operation and the setup it runs after.
type faultCase struct {
	name string
	// ops are what Notify reports when it succeeds: one Service call, or
	// (a rotation) a download and then an upload. A failed one may report
	// a prefix of them, the calls that did succeed. An upload's manifest
	// follows it in a call of its own (put_manifest, once the payload's
	// hash is known): a failure there leaves the upload, and the owner's
	// next read signs the manifest.
	ops   []share.Op
	setup func(t *testing.T, w *faultWorld, s *faultState)
	run   func(w *faultWorld, s *faultState) error
}

func withItem(t *testing.T, w *faultWorld, s *faultState) {
	s.item = upload(t, s.alice)
	w.items = append(w.items, s.item.ID)
}

func withShare(t *testing.T, w *faultWorld, s *faultState) {
	withItem(t, w, s)
	if _, err := s.alice.Share(ctx, s.item.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.link, err = s.alice.CreateLink(ctx, s.item.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 3}); err != nil {
		t.Fatal(err)
	}
}

func withInvitation(t *testing.T, w *faultWorld, s *faultState) {
	var err error
	if s.inv, err = s.alice.Invite(ctx, "bob", time.Hour); err != nil {
		t.Fatal(err)
	}
}

func withConnection(t *testing.T, w *faultWorld, s *faultState) {
	withItem(t, w, s)
	withInvitation(t, w, s)
	var err error
	if s.conn, err = s.bob.Accept(ctx, s.inv); err != nil {
		t.Fatal(err)
	}
}

func withSpaceShare(t *testing.T, w *faultWorld, s *faultState) {
	withConnection(t, w, s)
	if _, err := s.alice.ShareViaConnection(ctx, s.item.ID, s.conn.ID, share.ModeWrap); err != nil {
		t.Fatal(err)
	}
	rec, err := s.bob.Received(ctx)
	if err != nil || len(rec) != 1 {
		t.Fatalf("received %v, %v", rec, err)
	}
	s.received = rec[0]
}

var faultCases = []faultCase{
	{"upload", []share.Op{share.OpUpload, share.OpPutManifest}, func(*testing.T, *faultWorld, *faultState) {}, func(w *faultWorld, s *faultState) error {
		it, err := s.alice.Upload(ctx, strings.NewReader("a new payload"), nil)
		if it != nil {
			s.item = it
		}
		if err == nil {
			w.items = append(w.items, it.ID)
		}
		return err
	}},
	{"share", []share.Op{share.OpShare}, withItem, func(w *faultWorld, s *faultState) error {
		_, err := s.alice.Share(ctx, s.item.ID, "bob")
		return err
	}},
	{"revoke", []share.Op{share.OpRevoke}, withShare, func(w *faultWorld, s *faultState) error {
		return s.alice.Revoke(ctx, s.item.ID, "bob", false)
	}},
	// The owner's read of the payload before the new version is chained
	// once per window (DownloadAuditWindow): the setup's read takes it,
	// so the rotation's read changes no record.
	{"rotate", []share.Op{share.OpDownload, share.OpUpload, share.OpPutManifest}, func(t *testing.T, w *faultWorld, s *faultState) {
		withShare(t, w, s)
		if _, err := s.alice.ReadAll(ctx, s.item.ID); err != nil {
			t.Fatal(err)
		}
	}, func(w *faultWorld, s *faultState) error {
		_, err := s.alice.Rotate(ctx, s.item.ID)
		return err
	}},
	{"delete", []share.Op{share.OpDelete}, withShare, func(w *faultWorld, s *faultState) error {
		return s.alice.Delete(ctx, s.item.ID)
	}},
	{"create_link", []share.Op{share.OpCreateLink}, withItem, func(w *faultWorld, s *faultState) error {
		_, err := s.alice.CreateLink(ctx, s.item.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
		return err
	}},
	{"invite", []share.Op{share.OpInvite}, func(*testing.T, *faultWorld, *faultState) {}, func(w *faultWorld, s *faultState) error {
		_, err := s.alice.Invite(ctx, "bob", time.Hour)
		return err
	}},
	{"accept", []share.Op{share.OpAccept}, withInvitation, func(w *faultWorld, s *faultState) error {
		_, err := s.bob.Accept(ctx, s.inv)
		return err
	}},
	{"share_to_space", []share.Op{share.OpShare}, withConnection, func(w *faultWorld, s *faultState) error {
		_, err := s.alice.ShareViaConnection(ctx, s.item.ID, s.conn.ID, share.ModeWrap)
		return err
	}},
	{"claim", []share.Op{share.OpClaim}, withSpaceShare, func(w *faultWorld, s *faultState) error {
		return s.bob.Claim(ctx, s.received)
	}},
}

// TestFaultInjection fails each write point k = 1..N of each operation in
// turn, once as an error the Service sees (error) and once as a process
// that stops there (crash: that write and every later one fail, so no
// clean-up runs and the transaction never commits), over the memory stores
// and SQLite (at the share stores' calls, and at the driver's record
// writes below them). An operation that fails leaves the registries exactly as
// they were and reports nothing to Notify; its blob, if one was written,
// is deleted or (if that delete failed too) reported as OpOrphanBlob, and
// is never named by a record. An operation that succeeds despite the fault
// (its failed write came after the commit) leaves consistent records and
// reports itself once.
func TestFaultInjection(t *testing.T) {
	for _, kind := range []string{"memory", "sqlite", "sqlite-driver"} {
		for _, c := range faultCases {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				run := func(k int, crash bool) (writes int, err error) {
					w := newFaultWorld(t, kind)
					s := &faultState{alice: w.addUser(t, "alice", "hybrid", 0), bob: w.addUser(t, "bob", "hybrid", 0)}
					c.setup(t, w, s)
					before := w.snapshot(t)
					w.rec.take()
					w.f.arm(k, crash)
					err = c.run(w, s)
					writes = w.f.writes()
					w.f.arm(0, false)
					changes := w.rec.take()
					after := w.snapshot(t)
					w.checkBlobs(t, changes, crash)
					var ops []share.Op
					for _, ch := range changes {
						if ch.Op != share.OpOrphanBlob {
							ops = append(ops, ch.Op)
						}
					}
					if err != nil && slices.Contains(ops, share.OpUpload) {
						// The upload committed, its manifest did not.
						if !slices.Equal(ops, c.ops[:len(ops)]) || len(ops) != len(c.ops)-1 {
							t.Errorf("k=%d crash=%v: a failed %s reported %v", k, crash, c.name, ops)
						}
						if _, err := s.alice.ReadAll(ctx, s.item.ID); err != nil {
							t.Errorf("k=%d crash=%v: the owner's read after a lost manifest: %v", k, crash, err)
						}
						if got := w.rec.take(); len(got) < 1 || got[0].Op != share.OpPutManifest {
							t.Errorf("k=%d crash=%v: the owner's read did not sign the manifest: %v", k, crash, got)
						}
						w.snapshot(t)
					} else if err != nil {
						if after != before {
							t.Errorf("k=%d crash=%v: %v left the records changed:\nbefore:\n%s\nafter:\n%s", k, crash, err, before, after)
						}
						if len(ops) >= len(c.ops) || !slices.Equal(ops, c.ops[:len(ops)]) {
							t.Errorf("k=%d crash=%v: a failed %s reported %v", k, crash, c.name, ops)
						}
					} else {
						if after == before {
							t.Errorf("k=%d crash=%v: %s succeeded and changed nothing", k, crash, c.name)
						}
						if !slices.Equal(ops, c.ops) {
							t.Errorf("k=%d crash=%v: %s reported %v, want %v", k, crash, c.name, ops, c.ops)
						}
					}
					return writes, err
				}
				n, err := run(0, false)
				if err != nil {
					t.Fatalf("without faults: %v", err)
				}
				if n == 0 {
					t.Fatal("the operation wrote nothing")
				}
				t.Logf("%d write points", n)
				for k := 1; k <= n; k++ {
					for _, crash := range []bool{false, true} {
						run(k, crash)
					}
				}
			})
		}
	}
}

// snapshot describes every record of alice's and bob's, and of the items
// made, as text, and checks that the records agree with each other: each
// live item has its owner's key, keys and links of its version, a share
// record per recipient's key and the reverse, a stored blob, and usage
// counting it.
func (w *faultWorld) snapshot(t *testing.T) string {
	t.Helper()
	st := w.svc.Stores
	var b strings.Builder
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	stored := w.blobs.stored()
	for _, u := range []string{"alice", "bob"} {
		used, err := st.Usage.Usage(ctx, u)
		must(err)
		fmt.Fprintf(&b, "user %s usage %+v\n", u, used)
		items, err := st.Items.OwnedItems(ctx, u, share.SortByID, "", share.MaxPageSize)
		must(err)
		if int64(len(items)) != used.Items {
			t.Errorf("%s has %d live items, usage counts %d", u, len(items), used.Items)
		}
		for _, it := range items {
			fmt.Fprintf(&b, " item %s v%d size %d blob %s\n", it.ID, it.Version, it.Size, it.BlobRef)
			if !stored[it.BlobRef] {
				t.Errorf("item %s names blob %s, which is not stored", it.ID, it.BlobRef)
			}
			keys, err := st.Keys.KeysForItem(ctx, it.ID)
			must(err)
			shares, err := st.Shares.SharesForItem(ctx, it.ID)
			must(err)
			holders := map[string]bool{}
			for _, k := range keys {
				fmt.Fprintf(&b, "  key %s v%d space %q\n", k.Recipient, k.Version, k.Space)
				if k.Version != it.Version {
					t.Errorf("item %s v%d holds a key of v%d", it.ID, it.Version, k.Version)
				}
				holders[k.Recipient] = true
			}
			if !holders[u] {
				t.Errorf("item %s has no owner's key", it.ID)
			}
			for _, sh := range shares {
				fmt.Fprintf(&b, "  share %s to %s %s space %q\n", sh.ID, sh.Recipient, sh.Mode, sh.Space)
				if !holders[sh.Recipient] {
					t.Errorf("share %s of item %s without a key for %s", sh.ID, it.ID, sh.Recipient)
				}
				delete(holders, sh.Recipient)
			}
			delete(holders, u)
			if len(holders) != 0 {
				t.Errorf("item %s: keys without a share record: %v", it.ID, holders)
			}
			links, err := st.Links.LinksForItem(ctx, it.ID)
			must(err)
			for _, l := range links {
				fmt.Fprintf(&b, "  link %s v%d left %d failures %d\n", l.ID, l.Version, l.Remaining, l.Failures)
				if l.Version != it.Version {
					t.Errorf("item %s v%d holds a link of v%d", it.ID, it.Version, l.Version)
				}
			}
		}
		received, err := st.Shares.SharesForRecipient(ctx, u)
		must(err)
		for _, sh := range received {
			fmt.Fprintf(&b, " received %s\n", sh.ID)
		}
		ins, err := st.Invitations.InvitationsFrom(ctx, u)
		must(err)
		for _, in := range ins {
			fmt.Fprintf(&b, " invitation %s used %v\n", in.ID, in.Used)
			conn, err := st.Connections.Connection(ctx, in.ID)
			if err == nil {
				fmt.Fprintf(&b, "  connection %s-%s\n", conn.Inviter, conn.Invitee)
				if !in.Used {
					t.Errorf("connection %s of an unused invitation", in.ID)
				}
			} else if !errors.Is(err, share.ErrNotFound) {
				t.Fatal(err)
			} else if in.Used {
				t.Errorf("invitation %s used without its connection", in.ID)
			}
		}
		spaces, err := st.Spaces.SpacesFrom(ctx, u)
		must(err)
		for _, sp := range spaces {
			fmt.Fprintf(&b, " space %s to %s claimed %v\n", sp.ID, sp.Recipient, len(sp.ClaimedKey) > 0)
		}
	}
	for _, id := range w.items {
		if owner, err := st.Items.DeletedItem(ctx, id); err == nil {
			fmt.Fprintf(&b, "deleted %s of %s\n", id, owner)
		}
		head, err := st.Audit.AuditHead(ctx, id)
		if err == nil {
			fmt.Fprintf(&b, "audit %s seq %d\n", id, head.Seq)
		} else if !errors.Is(err, share.ErrNotFound) {
			t.Fatal(err)
		}
	}
	return b.String()
}

// checkBlobs checks the blobs stored after an operation: each one that no
// live item names is an orphan, which the
// Service must have reported (OpOrphanBlob) unless the process "crashed".
func (w *faultWorld) checkBlobs(t *testing.T, changes []share.Change, crash bool) {
	t.Helper()
	named := map[string]bool{}
	for _, u := range []string{"alice", "bob"} {
		items, err := w.svc.Stores.Items.OwnedItems(ctx, u, share.SortByID, "", share.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			named[it.BlobRef] = true
		}
	}
	reported := map[string]bool{}
	for _, c := range changes {
		if c.Op == share.OpOrphanBlob {
			reported[c.Subject] = true
		}
	}
	for k := range w.blobs.stored() {
		if named[k] {
			continue
		}
		if !reported[k] && !crash {
			t.Errorf("blob %s is stored, named by no item and not reported", k)
		}
	}
	for k := range reported {
		if named[k] {
			t.Errorf("blob %s reported as an orphan is named by an item", k)
		}
	}
}
