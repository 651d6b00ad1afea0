// Package sharetest holds conformance suites for share's registries and blob
// stores, in the spirit of testing/fstest and go-cloud's drivertest: every
// backend, ours and third parties', runs the same suite.
//
//	func TestMyBackend(t *testing.T) {
//		sharetest.Run(t, func(t *testing.T) share.Stores { return newStores(t) })
//		sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore { return newBlobs(t) })
//	}
package sharetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// Run runs every registry suite; newStores must return empty stores.
func Run(t *testing.T, newStores func(t *testing.T) share.Stores) {
	t.Run("Items", func(t *testing.T) { RunItems(t, func(t *testing.T) share.ItemStore { return newStores(t).Items }) })
	t.Run("Keys", func(t *testing.T) { RunKeys(t, func(t *testing.T) share.KeyStore { return newStores(t).Keys }) })
	t.Run("Users", func(t *testing.T) { RunUsers(t, func(t *testing.T) share.UserStore { return newStores(t).Users }) })
	t.Run("Shares", func(t *testing.T) { RunShares(t, func(t *testing.T) share.ShareStore { return newStores(t).Shares }) })
	t.Run("Invitations", func(t *testing.T) {
		RunInvitations(t, func(t *testing.T) share.InvitationStore { return newStores(t).Invitations })
	})
	t.Run("Connections", func(t *testing.T) {
		RunConnections(t, func(t *testing.T) share.ConnectionStore { return newStores(t).Connections })
	})
	t.Run("Spaces", func(t *testing.T) { RunSpaces(t, func(t *testing.T) share.SpaceStore { return newStores(t).Spaces }) })
	t.Run("Links", func(t *testing.T) { RunLinks(t, func(t *testing.T) share.LinkStore { return newStores(t).Links }) })
	t.Run("Audit", func(t *testing.T) { RunAudit(t, func(t *testing.T) share.AuditLog { return newStores(t).Audit }) })
	t.Run("LinkLockout", func(t *testing.T) { RunLinkLockout(t, newStores) })
	t.Run("OwnedItems", func(t *testing.T) {
		RunOwnedItems(t, func(t *testing.T) share.ItemStore { return newStores(t).Items })
	})
	t.Run("Usage", func(t *testing.T) { RunUsage(t, func(t *testing.T) share.UsageStore { return newStores(t).Usage }) })
	t.Run("Tx", func(t *testing.T) { RunTx(t, newStores) })
}

var ctx = context.Background()

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func sha(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// RunItems checks an ItemStore.
func RunItems(t *testing.T, newStore func(t *testing.T) share.ItemStore) {
	s := newStore(t)
	it := &share.Item{ID: "I1", Owner: "alice", Version: 1, Header: []byte("hdr"), SHA256: sha(1), Size: 10, BlobRef: "I1.1", Created: t0}
	wantErr(t, "get missing", func() error { _, err := s.Item(ctx, "I1"); return err }(), share.ErrNotFound)
	noErr(t, "create", s.CreateItem(ctx, it))
	wantErr(t, "create twice", s.CreateItem(ctx, it), share.ErrExists)
	it.Header[0] = 'X' // the store must have copied
	got, err := s.Item(ctx, "I1")
	noErr(t, "get", err)
	if string(got.Header) != "hdr" || got.Owner != "alice" || got.Version != 1 || got.Size != 10 || !got.Created.Equal(t0) {
		t.Fatalf("got %+v", got)
	}
	got.Header[0] = 'Y'
	if again, _ := s.Item(ctx, "I1"); string(again.Header) != "hdr" {
		t.Fatal("store returned its own copy")
	}
	v2 := &share.Item{ID: "I1", Owner: "alice", Version: 2, Header: []byte("h2"), BlobRef: "I1.2"}
	wantErr(t, "update stale", s.UpdateItem(ctx, v2, 5), share.ErrConflict)
	noErr(t, "update", s.UpdateItem(ctx, v2, 1))
	wantErr(t, "update replayed", s.UpdateItem(ctx, v2, 1), share.ErrConflict)
	wantErr(t, "update missing", s.UpdateItem(ctx, &share.Item{ID: "NO", Version: 2}, 1), share.ErrNotFound)
	got, _ = s.Item(ctx, "I1")
	if got.Version != 2 || string(got.Header) != "h2" {
		t.Fatalf("after update %+v", got)
	}
	// Concurrent updates from one version: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := &share.Item{ID: "I1", Owner: "alice", Version: 3, Header: []byte{byte(i)}, BlobRef: "I1.3"}
			if s.UpdateItem(ctx, v, 2) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent updates won, want 1", wins.Load())
	}
	wantErr(t, "deleted owner of a live item", func() error { _, err := s.DeletedItem(ctx, "I1"); return err }(), share.ErrNotFound)
	noErr(t, "delete", s.DeleteItem(ctx, "I1"))
	wantErr(t, "delete twice", s.DeleteItem(ctx, "I1"), share.ErrNotFound)
	wantErr(t, "get deleted", func() error { _, err := s.Item(ctx, "I1"); return err }(), share.ErrNotFound)
	wantErr(t, "update deleted", s.UpdateItem(ctx, &share.Item{ID: "I1", Owner: "alice", Version: 4}, 3), share.ErrNotFound)
	owner, err := s.DeletedItem(ctx, "I1")
	noErr(t, "deleted owner", err)
	if owner != "alice" {
		t.Fatalf("tombstone names %q, want alice", owner)
	}
	// A deleted ID is never reused, by its owner or anyone else.
	for _, who := range []string{"mallory", "alice"} {
		again := &share.Item{ID: "I1", Owner: who, Version: 1, Header: []byte("h"), BlobRef: "I1.1"}
		wantErr(t, "create a deleted ID as "+who, s.CreateItem(ctx, again), share.ErrExists)
	}
	wantErr(t, "deleted owner of a missing item", func() error { _, err := s.DeletedItem(ctx, "NO"); return err }(), share.ErrNotFound)
	wantErr(t, "delete missing", s.DeleteItem(ctx, "NO"), share.ErrNotFound)
	// Concurrent deletes and re-creations of one ID: one delete wins and no
	// create does.
	noErr(t, "create", s.CreateItem(ctx, &share.Item{ID: "I2", Owner: "alice", Version: 1, Header: []byte("h"), BlobRef: "I2.1"}))
	var deletes, creates atomic.Int32
	var wg2 sync.WaitGroup
	for i := range 8 {
		wg2.Add(2)
		go func() {
			defer wg2.Done()
			if s.DeleteItem(ctx, "I2") == nil {
				deletes.Add(1)
			}
		}()
		go func() {
			defer wg2.Done()
			it := &share.Item{ID: "I2", Owner: fmt.Sprintf("m%d", i), Version: 1, Header: []byte("h"), BlobRef: "I2.1"}
			if s.CreateItem(ctx, it) == nil {
				creates.Add(1)
			}
		}()
	}
	wg2.Wait()
	if deletes.Load() != 1 || creates.Load() != 0 {
		t.Fatalf("%d deletes and %d creates succeeded, want 1 and 0", deletes.Load(), creates.Load())
	}
	if owner, _ := s.DeletedItem(ctx, "I2"); owner != "alice" {
		t.Fatalf("tombstone names %q, want alice", owner)
	}
}

// RunKeys checks a KeyStore.
func RunKeys(t *testing.T, newStore func(t *testing.T) share.KeyStore) {
	s := newStore(t)
	k := func(item, r string) *share.WrappedKey {
		return &share.WrappedKey{Item: item, Recipient: r, Version: 1, Record: []byte(item + r)}
	}
	noErr(t, "put", s.PutKey(ctx, k("A", "bob")))
	noErr(t, "put", s.PutKey(ctx, k("A", "alice")))
	noErr(t, "put", s.PutKey(ctx, k("B", "bob")))
	wantErr(t, "put twice", s.PutKey(ctx, k("A", "bob")), share.ErrExists)
	got, err := s.Key(ctx, "A", "bob")
	noErr(t, "get", err)
	if string(got.Record) != "Abob" {
		t.Fatalf("got %+v", got)
	}
	wantErr(t, "get missing", func() error { _, err := s.Key(ctx, "A", "carol"); return err }(), share.ErrNotFound)
	list, err := s.KeysForItem(ctx, "A")
	noErr(t, "list", err)
	if len(list) != 2 || list[0].Recipient != "alice" || list[1].Recipient != "bob" {
		t.Fatalf("list %+v", list)
	}
	noErr(t, "delete", s.DeleteKey(ctx, "A", "bob"))
	wantErr(t, "delete twice", s.DeleteKey(ctx, "A", "bob"), share.ErrNotFound)
	if list, _ := s.KeysForItem(ctx, "A"); len(list) != 1 {
		t.Fatalf("after delete %d keys", len(list))
	}
	if list, _ := s.KeysForItem(ctx, "none"); len(list) != 0 {
		t.Fatal("keys for an unknown item")
	}
}

// RunUsers checks a UserStore.
func RunUsers(t *testing.T, newStore func(t *testing.T) share.UserStore) {
	s := newStore(t)
	u := &share.User{ID: "alice", Keys: []share.PublicKey{{Kind: share.KindX25519, Bytes: sha(2)}}, SigningKey: sha(3)}
	noErr(t, "create", s.CreateUser(ctx, u))
	wantErr(t, "create twice", s.CreateUser(ctx, u), share.ErrExists)
	u.Keys[0].Bytes[0] = 9
	got, err := s.User(ctx, "alice")
	noErr(t, "get", err)
	if !bytes.Equal(got.Keys[0].Bytes, sha(2)) || !bytes.Equal(got.SigningKey, sha(3)) {
		t.Fatalf("got %+v", got)
	}
	wantErr(t, "get missing", func() error { _, err := s.User(ctx, "bob"); return err }(), share.ErrNotFound)
}

// RunShares checks a ShareStore.
func RunShares(t *testing.T, newStore func(t *testing.T) share.ShareStore) {
	s := newStore(t)
	mk := func(id, item, r string) *share.Share {
		return &share.Share{ID: id, Item: item, Owner: "alice", Recipient: r, Mode: share.ModeDirect, Created: t0}
	}
	noErr(t, "create", s.CreateShare(ctx, mk("S1", "A", "bob")))
	noErr(t, "create", s.CreateShare(ctx, mk("S2", "B", "bob")))
	noErr(t, "create", s.CreateShare(ctx, mk("S3", "A", "carol")))
	wantErr(t, "create twice", s.CreateShare(ctx, mk("S1", "A", "bob")), share.ErrExists)
	got, err := s.Share(ctx, "S3")
	noErr(t, "get", err)
	if got.Recipient != "carol" || got.Item != "A" {
		t.Fatalf("got %+v", got)
	}
	if l, _ := s.SharesForRecipient(ctx, "bob"); len(l) != 2 || l[0].ID != "S1" || l[1].ID != "S2" {
		t.Fatalf("for bob %+v", l)
	}
	if l, _ := s.SharesForItem(ctx, "A"); len(l) != 2 {
		t.Fatalf("for A %+v", l)
	}
	noErr(t, "delete", s.DeleteShare(ctx, "S1"))
	wantErr(t, "delete twice", s.DeleteShare(ctx, "S1"), share.ErrNotFound)
	wantErr(t, "get deleted", func() error { _, err := s.Share(ctx, "S1"); return err }(), share.ErrNotFound)
}

// RunInvitations checks an InvitationStore, including that of many
// concurrent uses exactly one succeeds.
func RunInvitations(t *testing.T, newStore func(t *testing.T) share.InvitationStore) {
	s := newStore(t)
	in := &share.Invitation{ID: "V1", Inviter: "alice", InviterKey: share.PublicKey{Kind: share.KindX25519, Bytes: sha(1)},
		TokenHash: sha(2), Expires: t0}
	noErr(t, "create", s.CreateInvitation(ctx, in))
	wantErr(t, "create twice", s.CreateInvitation(ctx, in), share.ErrExists)
	got, err := s.Invitation(ctx, "V1")
	noErr(t, "get", err)
	if got.Used || !bytes.Equal(got.TokenHash, sha(2)) || !got.Expires.Equal(t0) {
		t.Fatalf("got %+v", got)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UseInvitation(ctx, "V1")
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, share.ErrConflict) {
				t.Errorf("use: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d uses succeeded, want 1", wins.Load())
	}
	if got, _ := s.Invitation(ctx, "V1"); !got.Used {
		t.Fatal("not marked used")
	}
	wantErr(t, "use missing", s.UseInvitation(ctx, "NO"), share.ErrNotFound)
	in2 := *in
	in2.ID, in2.Inviter = "V2", "bob"
	noErr(t, "create other", s.CreateInvitation(ctx, &in2))
	from, err := s.InvitationsFrom(ctx, "alice")
	noErr(t, "list", err)
	if len(from) != 1 || from[0].ID != "V1" || !from[0].Used {
		t.Fatalf("invitations from alice: %+v", from)
	}
	noErr(t, "delete", s.DeleteInvitation(ctx, "V1"))
	wantErr(t, "delete twice", s.DeleteInvitation(ctx, "V1"), share.ErrNotFound)
	wantErr(t, "get deleted", func() error { _, err := s.Invitation(ctx, "V1"); return err }(), share.ErrNotFound)
	if from, _ := s.InvitationsFrom(ctx, "alice"); len(from) != 0 {
		t.Fatalf("deleted invitation still listed: %+v", from)
	}
}

// RunConnections checks a ConnectionStore.
func RunConnections(t *testing.T, newStore func(t *testing.T) share.ConnectionStore) {
	s := newStore(t)
	c := &share.Connection{ID: "C1", Inviter: "alice", Invitee: "bob",
		InviterKey: share.PublicKey{Kind: share.KindX25519, Bytes: sha(1)}, InviteeKey: share.PublicKey{Kind: share.KindX25519, Bytes: sha(2)}}
	noErr(t, "create", s.CreateConnection(ctx, c))
	wantErr(t, "create twice", s.CreateConnection(ctx, c), share.ErrExists)
	got, err := s.Connection(ctx, "C1")
	noErr(t, "get", err)
	if got.Invitee != "bob" || !bytes.Equal(got.InviteeKey.Bytes, sha(2)) {
		t.Fatalf("got %+v", got)
	}
	wantErr(t, "get missing", func() error { _, err := s.Connection(ctx, "C2"); return err }(), share.ErrNotFound)
}

// RunSpaces checks a SpaceStore, including a once-only concurrent claim.
func RunSpaces(t *testing.T, newStore func(t *testing.T) share.SpaceStore) {
	s := newStore(t)
	sp := &share.Space{ID: "P1", Connection: "C1", Sharer: "alice", Recipient: "bob", SharerKey: []byte("s"), RecipientKey: []byte("r")}
	noErr(t, "create", s.CreateSpace(ctx, sp))
	wantErr(t, "create twice", s.CreateSpace(ctx, sp), share.ErrExists)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.ClaimSpace(ctx, "P1", []byte{byte('a' + i)}) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims succeeded, want 1", wins.Load())
	}
	got, err := s.Space(ctx, "P1")
	noErr(t, "get", err)
	if len(got.ClaimedKey) != 1 || string(got.SharerKey) != "s" {
		t.Fatalf("got %+v", got)
	}
	wantErr(t, "claim missing", s.ClaimSpace(ctx, "NO", []byte{1}), share.ErrNotFound)
	sp2 := *sp
	sp2.ID, sp2.Sharer = "P2", "bob"
	noErr(t, "create other", s.CreateSpace(ctx, &sp2))
	from, err := s.SpacesFrom(ctx, "alice")
	noErr(t, "list", err)
	if len(from) != 1 || from[0].ID != "P1" {
		t.Fatalf("spaces from alice: %+v", from)
	}
	noErr(t, "delete", s.DeleteSpace(ctx, "P1"))
	if from, _ := s.SpacesFrom(ctx, "alice"); len(from) != 0 {
		t.Fatalf("deleted space still listed: %+v", from)
	}
	wantErr(t, "delete twice", s.DeleteSpace(ctx, "P1"), share.ErrNotFound)
}

// RunLinks checks a LinkStore, including that concurrent downloads never
// exceed a link's maximum and that of concurrent proof attempts no more
// are reserved than the limit allows.
func RunLinks(t *testing.T, newStore func(t *testing.T) share.LinkStore) {
	s := newStore(t)
	mk := func(id string, max int) *share.Link {
		return &share.Link{ID: id, Item: "A", Owner: "alice", Version: 1, Salt: make([]byte, 16), Iterations: 600000,
			WrappedKey: []byte("w"), VerifierHash: sha(1), Expires: t0.Add(time.Hour), MaxDownloads: max, Remaining: max}
	}
	noErr(t, "create", s.CreateLink(ctx, mk("L1", 3)))
	wantErr(t, "create twice", s.CreateLink(ctx, mk("L1", 3)), share.ErrExists)
	for want := 2; want >= 0; want-- {
		left, err := s.ConsumeDownload(ctx, "L1", t0)
		noErr(t, "consume", err)
		if left != want {
			t.Fatalf("remaining %d, want %d", left, want)
		}
	}
	wantErr(t, "consume exhausted", func() error { _, err := s.ConsumeDownload(ctx, "L1", t0); return err }(), share.ErrExhausted)
	noErr(t, "create", s.CreateLink(ctx, mk("L2", 3)))
	wantErr(t, "consume at expiry", func() error { _, err := s.ConsumeDownload(ctx, "L2", t0.Add(time.Hour)); return err }(), share.ErrExpired)
	wantErr(t, "consume missing", func() error { _, err := s.ConsumeDownload(ctx, "NO", t0); return err }(), share.ErrNotFound)

	const max, tries = 10, 64
	noErr(t, "create", s.CreateLink(ctx, mk("L3", max)))
	var got atomic.Int32
	var wg sync.WaitGroup
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ConsumeDownload(ctx, "L3", t0)
			switch {
			case err == nil:
				got.Add(1)
			case !errors.Is(err, share.ErrExhausted):
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if got.Load() != max {
		t.Fatalf("%d concurrent downloads succeeded, want exactly %d", got.Load(), max)
	}
	if l, _ := s.Link(ctx, "L3"); l.Remaining != 0 {
		t.Fatalf("remaining %d", l.Remaining)
	}

	// Attempts are reserved before a proof is compared: of many concurrent
	// reservations exactly max succeed, each counted once.
	const limit = 10
	var granted atomic.Int32
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.ReserveAttempt(ctx, "L2", limit)
			switch {
			case err == nil:
				if n < 1 || n > limit {
					t.Errorf("reserved attempt %d of %d", n, limit)
				}
				granted.Add(1)
			case !errors.Is(err, share.ErrLocked):
				t.Errorf("reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != limit {
		t.Fatalf("%d of %d concurrent reservations granted, want exactly %d", granted.Load(), tries, limit)
	}
	if l, _ := s.Link(ctx, "L2"); l.Failures != limit {
		t.Fatalf("failures %d, want %d", l.Failures, limit)
	}
	wantErr(t, "reserve at the limit", func() error { _, err := s.ReserveAttempt(ctx, "L2", limit); return err }(), share.ErrLocked)
	// A released attempt (a right proof) can be taken again.
	noErr(t, "release", s.ReleaseAttempt(ctx, "L2"))
	if n, err := s.ReserveAttempt(ctx, "L2", limit); err != nil || n != limit {
		t.Fatalf("reserve after release: %d, %v", n, err)
	}
	noErr(t, "create", s.CreateLink(ctx, mk("L4", 1)))
	noErr(t, "release with nothing reserved", s.ReleaseAttempt(ctx, "L4"))
	if l, _ := s.Link(ctx, "L4"); l.Failures != 0 {
		t.Fatalf("release went below zero: %d", l.Failures)
	}
	wantErr(t, "reserve missing", func() error { _, err := s.ReserveAttempt(ctx, "NO", limit); return err }(), share.ErrNotFound)
	wantErr(t, "release missing", s.ReleaseAttempt(ctx, "NO"), share.ErrNotFound)
	if l, _ := s.LinksForItem(ctx, "A"); len(l) != 4 {
		t.Fatalf("links for item: %d", len(l))
	}
	noErr(t, "delete", s.DeleteLink(ctx, "L2"))
	wantErr(t, "delete twice", s.DeleteLink(ctx, "L2"), share.ErrNotFound)
}

// RunAudit checks an AuditLog: compare-and-swap append, head, pages and
// download claims.
func RunAudit(t *testing.T, newStore func(t *testing.T) share.AuditLog) {
	s := newStore(t)
	entry := func(item string, seq uint64, prev []byte) *share.AuditEntry {
		e := &share.AuditEntry{Seq: seq, Prev: prev, Event: share.Event{Action: share.ActionDownload, Actor: "alice",
			Item: item, Time: t0, Nonce: make([]byte, share.NonceSize)}}
		e.Event.Nonce[0] = byte(seq)
		e.Hash = e.ComputeHash()
		return e
	}
	g := share.GenesisHash("A")
	e1 := entry("A", 1, g)
	wantErr(t, "head of an empty chain", func() error { _, err := s.AuditHead(ctx, "A"); return err }(), share.ErrNotFound)
	wantErr(t, "first entry with a wrong prev", s.AppendAudit(ctx, entry("A", 1, sha(0))), share.ErrConflict)
	wantErr(t, "first entry with seq 2", s.AppendAudit(ctx, entry("A", 2, g)), share.ErrConflict)
	noErr(t, "append 1", s.AppendAudit(ctx, e1))
	wantErr(t, "append 1 again", s.AppendAudit(ctx, e1), share.ErrConflict)
	e2 := entry("A", 2, e1.Hash)
	noErr(t, "append 2", s.AppendAudit(ctx, e2))
	noErr(t, "other item", s.AppendAudit(ctx, entry("B", 1, share.GenesisHash("B"))))
	// Concurrent appends at one head: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := entry("A", 3, e2.Hash)
			e.Event.Nonce[1] = byte(i)
			e.Hash = e.ComputeHash()
			if s.AppendAudit(ctx, e) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent appends won, want 1", wins.Load())
	}
	got, err := s.AuditEntries(ctx, "A", 0, 100)
	noErr(t, "list", err)
	head, err := s.AuditHead(ctx, "A")
	noErr(t, "head", err)
	if head.Seq != 3 || !bytes.Equal(head.Hash, got[2].Hash) {
		t.Fatalf("head %+v", head)
	}
	if len(got) != 3 || !bytes.Equal(got[1].Hash, e2.Hash) || got[0].Seq != 1 {
		t.Fatalf("chain %d entries", len(got))
	}
	if err := share.VerifyAudit("A", got, nil, func(string) (ed25519.PublicKey, error) { return nil, nil }); err == nil {
		t.Fatal("unsigned download entries verified")
	}
	if l, _ := s.AuditEntries(ctx, "none", 0, 100); len(l) != 0 {
		t.Fatal("entries for an unknown item")
	}

	// Pages: Seq after the cursor, at most limit, oldest first.
	prev := got[2].Hash
	for seq := uint64(4); seq <= 25; seq++ {
		e := entry("A", seq, prev)
		noErr(t, "append", s.AppendAudit(ctx, e))
		prev = e.Hash
	}
	head, err = s.AuditHead(ctx, "A")
	noErr(t, "head", err)
	if head.Seq != 25 || !bytes.Equal(head.Hash, prev) {
		t.Fatalf("head after 25 appends: seq %d", head.Seq)
	}
	for _, c := range []struct {
		after     uint64
		limit     int
		from, num int
	}{{0, 10, 1, 10}, {10, 10, 11, 10}, {20, 10, 21, 5}, {24, 1, 25, 1}, {25, 10, 0, 0}, {1000, 10, 0, 0}, {0, 25, 1, 25}} {
		page, err := s.AuditEntries(ctx, "A", c.after, c.limit)
		noErr(t, "page", err)
		if len(page) != c.num {
			t.Fatalf("page after %d limit %d: %d entries, want %d", c.after, c.limit, len(page), c.num)
		}
		for i, e := range page {
			if e.Seq != uint64(c.from+i) {
				t.Fatalf("page after %d: entry %d has seq %d", c.after, i, e.Seq)
			}
		}
	}
	wantErr(t, "page of limit 0", func() error { _, err := s.AuditEntries(ctx, "A", 0, 0); return err }(), share.ErrInvalid)
	all, err := s.AuditEntries(ctx, "A", 0, 1000)
	noErr(t, "list", err)
	if err := share.VerifyAudit("A", all, nil, func(string) (ed25519.PublicKey, error) { return nil, nil }); err == nil || !errors.Is(err, share.ErrAudit) {
		t.Fatalf("verify: %v", err)
	}
	for i := 1; i < len(all); i++ {
		if !bytes.Equal(all[i].Prev, all[i-1].Hash) {
			t.Fatalf("entry %d does not follow %d", i+1, i)
		}
	}

	// Download claims: one per (item, actor) per window.
	const window = time.Hour
	claim := func(item, actor string, at time.Time) bool {
		t.Helper()
		ok, err := s.ClaimDownload(ctx, item, actor, at, window)
		noErr(t, "claim", err)
		return ok
	}
	if !claim("A", "bob", t0) {
		t.Fatal("first download not claimed")
	}
	if claim("A", "bob", t0.Add(window-time.Nanosecond)) {
		t.Fatal("repeat within the window claimed")
	}
	if !claim("A", "carol", t0) || !claim("B", "bob", t0) {
		t.Fatal("claims are per item and actor")
	}
	if !claim("A", "bob", t0.Add(window)) {
		t.Fatal("download one window later not claimed")
	}
	if !claim("A", "bob", t0) {
		t.Fatal("a claim in the future (clock set back) held")
	}
	noErr(t, "release a replaced claim", s.ReleaseDownload(ctx, "A", "bob", t0.Add(window)))
	if claim("A", "bob", t0.Add(time.Minute)) {
		t.Fatal("releasing a replaced claim released the current one")
	}
	noErr(t, "release", s.ReleaseDownload(ctx, "A", "bob", t0))
	if !claim("A", "bob", t0.Add(2*time.Minute)) {
		t.Fatal("download after a released claim not claimed")
	}
	noErr(t, "release unknown", s.ReleaseDownload(ctx, "none", "bob", t0))
	var claims atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimDownload(ctx, "C", "bob", t0, window)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if ok {
				claims.Add(1)
			}
		}()
	}
	wg.Wait()
	if claims.Load() != 1 {
		t.Fatalf("%d of 16 concurrent claims succeeded, want 1", claims.Load())
	}
}

// RunLinkLockout checks, through a Service over the stores, that however
// many wrong link proofs arrive at once at most MaxLinkFailures of them are
// compared: the link records exactly that many failures, and every other
// attempt is refused with ErrLocked. Every attempt reads the link before
// any goes on, so only the store's reservation can hold them back.
func RunLinkLockout(t *testing.T, newStores func(t *testing.T) share.Stores) {
	const tries = 64
	st := newStores(t)
	withBarrier := st
	withBarrier.Links = &barrierLinks{LinkStore: st.Links, want: tries, arrived: make(chan struct{})}
	svc := share.NewService(withBarrier, nil)
	svc.Now = func() time.Time { return t0 }
	it := &share.Item{ID: "I1", Owner: "alice", Version: 1, Header: []byte("hdr"), SHA256: sha(1), BlobRef: "I1.1", Created: t0}
	noErr(t, "create item", st.Items.CreateItem(ctx, it))
	l := &share.Link{ID: "L1", Item: "I1", Owner: "alice", Version: 1, Salt: make([]byte, 16), Iterations: 600000,
		WrappedKey: []byte("w"), VerifierHash: sha(1), Expires: t0.Add(time.Hour), MaxDownloads: 5, Remaining: 5}
	noErr(t, "create link", st.Links.CreateLink(ctx, l))
	limit := share.DefaultMaxLinkFailures
	var badProof, locked atomic.Int32
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.AccessLink(ctx, "L1", &share.AccessRequest{Proof: []byte{byte(i)}})
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
	got, err := st.Links.Link(ctx, "L1")
	noErr(t, "link", err)
	if got.Failures != limit {
		t.Fatalf("%d wrong proofs compared, want exactly %d", got.Failures, limit)
	}
	if int(badProof.Load()) != limit-1 || int(locked.Load()) != tries-limit+1 {
		t.Fatalf("%d bad_proof and %d locked replies, want %d and %d", badProof.Load(), locked.Load(), limit-1, tries-limit+1)
	}
}

// barrierLinks holds every Link read, once it has read the link, until
// want reads have arrived.
type barrierLinks struct {
	share.LinkStore
	n       atomic.Int32
	want    int32
	arrived chan struct{}
}

func (b *barrierLinks) Link(ctx context.Context, id string) (*share.Link, error) {
	l, err := b.LinkStore.Link(ctx, id)
	if b.n.Add(1) == b.want {
		close(b.arrived)
	}
	<-b.arrived
	return l, err
}

// RunBlobs checks a BlobStore: streaming put, get, ranges, replace, delete,
// refusal of keys that could escape the store, and that a put whose source
// stalls (a slow or hostile uploader) neither blocks another put nor shows
// a partial blob.
func RunBlobs(t *testing.T, newStore func(t *testing.T) share.BlobStore) {
	s := newStore(t)
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	n, err := s.Put(ctx, "B1.1", bytes.NewReader(data))
	noErr(t, "put", err)
	if n != int64(len(data)) {
		t.Fatalf("put %d bytes, want %d", n, len(data))
	}
	read := func(rc io.ReadCloser, err error) []byte {
		t.Helper()
		noErr(t, "get", err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		noErr(t, "read", err)
		return b
	}
	if !bytes.Equal(read(s.Get(ctx, "B1.1")), data) {
		t.Fatal("get returned other bytes")
	}
	for _, r := range [][2]int64{{0, 10}, {5, 7}, {int64(len(data)) - 3, 10}, {int64(len(data)), 5}} {
		want := data[r[0]:min(r[0]+r[1], int64(len(data)))]
		if got := read(s.GetRange(ctx, "B1.1", r[0], r[1])); !bytes.Equal(got, want) {
			t.Fatalf("range %v: %d bytes", r, len(got))
		}
	}
	_, err = s.Put(ctx, "B1.1", &failing{data: []byte("partial")})
	if err == nil {
		t.Fatal("put from a failing reader succeeded")
	}
	if !bytes.Equal(read(s.Get(ctx, "B1.1")), data) {
		t.Fatal("a failed put replaced the blob")
	}
	_, err = s.Put(ctx, "B1.1", bytes.NewReader([]byte("new")))
	noErr(t, "replace", err)
	if string(read(s.Get(ctx, "B1.1"))) != "new" {
		t.Fatal("replace")
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "..", "a\\b", "x\x00"} {
		if _, err := s.Put(ctx, bad, bytes.NewReader(nil)); err == nil {
			t.Fatalf("put %q accepted", bad)
		}
		if _, err := s.Get(ctx, bad); err == nil {
			t.Fatalf("get %q accepted", bad)
		}
	}
	noErr(t, "delete", s.Delete(ctx, "B1.1"))
	wantErr(t, "delete twice", s.Delete(ctx, "B1.1"), share.ErrNotFound)
	wantErr(t, "get deleted", func() error { _, err := s.Get(ctx, "B1.1"); return err }(), share.ErrNotFound)

	_, err = s.Put(ctx, "B4", &failing{data: data})
	if err == nil {
		t.Fatal("put from a failing reader succeeded")
	}
	wantErr(t, "get after a failed put", func() error { _, err := s.Get(ctx, "B4"); return err }(), share.ErrNotFound)

	runStalledPut(t, s, data)
}

// stallDeadline bounds a put made while another put's source stalls: it
// turns a put that waits for the stalled one into a failure instead of a
// hang; it is not a measurement, and is generous for remote stores.
const stallDeadline = 30 * time.Second

func runStalledPut(t *testing.T, s share.BlobStore, data []byte) {
	// Two copies of data: over a megabyte, so a chunked store has written
	// part of the blob when the source stalls.
	src := &stalling{data: bytes.Repeat(data, 2), stalled: make(chan struct{}), release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(src.release) }) }
	t.Cleanup(release) // a failing check must not leave the put blocked
	done := make(chan error, 1)
	go func() { _, err := s.Put(ctx, "B2", src); done <- err }()
	select {
	case <-src.stalled:
	case err := <-done:
		t.Fatalf("put from a stalling reader returned early: %v", err)
	}
	c, cancel := context.WithTimeout(ctx, stallDeadline)
	defer cancel()
	_, err := s.Put(c, "B3", bytes.NewReader(data))
	noErr(t, "put while another put's source stalls", err)
	rc, err := s.Get(c, "B3")
	noErr(t, "get while another put's source stalls", err)
	rc.Close()
	wantErr(t, "get of a stalled put", func() error { _, err := s.Get(c, "B2"); return err }(), share.ErrNotFound)
	release()
	if err := <-done; err == nil {
		t.Fatal("put from a reader that failed after stalling succeeded")
	}
	wantErr(t, "get after a stalled put failed", func() error { _, err := s.Get(ctx, "B2"); return err }(), share.ErrNotFound)
}

// stalling yields data, then blocks until release is closed, then fails.
type stalling struct {
	data             []byte
	stalled, release chan struct{}
	once             sync.Once
}

func (s *stalling) Read(p []byte) (int, error) {
	if len(s.data) > 0 {
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	}
	s.once.Do(func() { close(s.stalled) })
	<-s.release
	return 0, fmt.Errorf("sharetest: the uploader went away")
}

type failing struct{ data []byte }

func (f *failing) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, fmt.Errorf("sharetest: read failed")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// BenchmarkAuditAppend measures what one audited operation costs the audit
// log (AuditHead, then AppendAudit of the next entry) on a chain of 100
// entries and on one of 2,000, and reports both and their ratio, which
// stays near 1 when the cost does not grow with the chain. Each iteration
// appends one entry to each chain; run it with a fixed -benchtime (e.g.
// 200x) so that the chains stay near their sizes.
func BenchmarkAuditAppend(b *testing.B, newLog func(b *testing.B) share.AuditLog) {
	s := newLog(b)
	appendOne := func(item string) {
		e := &share.AuditEntry{Seq: 1, Prev: share.GenesisHash(item), Event: share.Event{Action: share.ActionDownload,
			Actor: "bob", Item: item, Time: t0, Nonce: make([]byte, share.NonceSize)}}
		head, err := s.AuditHead(ctx, item)
		switch {
		case err == nil:
			e.Seq, e.Prev = head.Seq+1, head.Hash
		case !errors.Is(err, share.ErrNotFound):
			b.Fatal(err)
		}
		e.Hash = e.ComputeHash()
		if err := s.AppendAudit(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	const short, long = 100, 2000
	for range short {
		appendOne("short")
	}
	for range long {
		appendOne("long")
	}
	b.ReportAllocs()
	var n int
	var tShort, tLong time.Duration
	for b.Loop() {
		start := time.Now()
		appendOne("short")
		mid := time.Now()
		appendOne("long")
		tShort, tLong = tShort+mid.Sub(start), tLong+time.Since(mid)
		n++
	}
	b.ReportMetric(float64(tShort.Nanoseconds())/float64(n), fmt.Sprintf("ns/append@%d", short))
	b.ReportMetric(float64(tLong.Nanoseconds())/float64(n), fmt.Sprintf("ns/append@%d", long))
	b.ReportMetric(float64(tLong)/float64(tShort), "ratio")
}
