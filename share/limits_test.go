package share_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

func wantLimit(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, share.ErrLimit) {
		t.Fatalf("%s: got %v, want ErrLimit", what, err)
	}
}

func upload(t *testing.T, c *share.Client) *share.Item {
	t.Helper()
	it, err := c.Upload(ctx, strings.NewReader("payload"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// An item holds at most MaxLinksPerItem live links; the one past it is
// ErrLimit over every transport, and links that expired or were used up
// stop counting and are removed.
func TestLinkLimit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxLinksPerItem = 3
		alice := w.addUser(t, "alice", "hybrid", 0)
		it := upload(t, alice)
		opt := share.LinkOptions{TTL: time.Hour, MaxDownloads: 1}
		if _, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Minute, MaxDownloads: 1}); err != nil {
			t.Fatal(err)
		}
		once, err := alice.CreateLink(ctx, it.ID, opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.CreateLink(ctx, it.ID, opt); err != nil {
			t.Fatal(err)
		}
		_, err = alice.CreateLink(ctx, it.ID, opt)
		wantLimit(t, "fourth link", err)
		other := upload(t, alice)
		if _, err := alice.CreateLink(ctx, other.ID, opt); err != nil {
			t.Fatalf("the cap is per item: %v", err)
		}
		if _, err := share.OpenLink(ctx, w.anon, once, io.Discard); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.CreateLink(ctx, it.ID, opt); err != nil {
			t.Fatalf("a used-up link still counts: %v", err)
		}
		_, err = alice.CreateLink(ctx, it.ID, opt)
		wantLimit(t, "fourth live link", err)
		w.clock.Advance(2 * time.Minute)
		if _, err := alice.CreateLink(ctx, it.ID, opt); err != nil {
			t.Fatalf("an expired link still counts: %v", err)
		}
		links, _ := w.svc.Stores.Links.LinksForItem(ctx, it.ID)
		if len(links) != 3 {
			t.Fatalf("%d links stored, want 3 with the dead ones removed", len(links))
		}
	})
}

// An item is shared with at most MaxRecipients users; revoking one frees
// room.
func TestRecipientLimit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxRecipients = 2
		alice := w.addUser(t, "alice", "hybrid", 0)
		for _, u := range []string{"bob", "carol", "dave"} {
			w.addUser(t, u, "hybrid", 0)
		}
		it := upload(t, alice)
		for _, u := range []string{"bob", "carol"} {
			if _, err := alice.Share(ctx, it.ID, u); err != nil {
				t.Fatalf("share with %s: %v", u, err)
			}
		}
		_, err := alice.Share(ctx, it.ID, "dave")
		wantLimit(t, "third recipient", err)
		if _, err := w.svc.Stores.Keys.Key(ctx, it.ID, "dave"); !errors.Is(err, share.ErrNotFound) {
			t.Fatalf("refused share left a key: %v", err)
		}
		if err := alice.Revoke(ctx, it.ID, "bob", false); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Share(ctx, it.ID, "dave"); err != nil {
			t.Fatalf("share after a revoke: %v", err)
		}
	})
}

// A user keeps at most MaxInvitations invitations, accepted ones included
// (each is a connection); expired unused ones are removed and stop counting.
func TestInvitationLimit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxInvitations = 2
		alice := w.addUser(t, "alice", "hybrid", 0)
		bob := w.addUser(t, "bob", "hybrid", 0)
		first, err := alice.Invite(ctx, "bob", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Invite(ctx, "", time.Minute); err != nil {
			t.Fatal(err)
		}
		_, err = alice.Invite(ctx, "", time.Hour)
		wantLimit(t, "third invitation", err)
		if _, err := bob.Accept(ctx, first); err != nil {
			t.Fatal(err)
		}
		_, err = alice.Invite(ctx, "", time.Hour)
		wantLimit(t, "an accepted invitation still counts", err)
		if _, err := bob.Invite(ctx, "", time.Hour); err != nil {
			t.Fatalf("the cap is per user: %v", err)
		}
		w.clock.Advance(2 * time.Minute)
		if _, err := alice.Invite(ctx, "", time.Hour); err != nil {
			t.Fatalf("an expired invitation still counts: %v", err)
		}
		ins, _ := w.svc.Stores.Invitations.InvitationsFrom(ctx, "alice")
		if len(ins) != 2 {
			t.Fatalf("%d invitations stored, want the accepted and the new one", len(ins))
		}
	})
}

// A user keeps at most MaxSpaces encryption spaces; a space goes with the
// last share naming it.
func TestSpaceLimit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxSpaces = 1
		alice := w.addUser(t, "alice", "hybrid", 0)
		bob := w.addUser(t, "bob", "hybrid", 0)
		inv, err := alice.Invite(ctx, "bob", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := bob.Accept(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		one, two := upload(t, alice), upload(t, alice)
		if _, err := alice.ShareViaConnection(ctx, one.ID, conn.ID, share.ModeWrap); err != nil {
			t.Fatal(err)
		}
		_, err = alice.ShareViaConnection(ctx, two.ID, conn.ID, share.ModeWrap)
		wantLimit(t, "second space", err)
		if err := alice.Revoke(ctx, one.ID, "bob", false); err != nil {
			t.Fatal(err)
		}
		if sps, _ := w.svc.Stores.Spaces.SpacesFrom(ctx, "alice"); len(sps) != 0 {
			t.Fatalf("revoke left %d spaces", len(sps))
		}
		if _, err := alice.ShareViaConnection(ctx, two.ID, conn.ID, share.ModeWrap); err != nil {
			t.Fatalf("share after the space was freed: %v", err)
		}
	})
}

// gate holds the first n callers of wait until all n have arrived: a
// listing that waits after it read makes racing requests all count the
// records before any of them creates one.
type gate struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
}

func newGate(n int) *gate { return &gate{n: n, all: make(chan struct{})} }

func (g *gate) wait() {
	g.mu.Lock()
	g.arrived++
	switch {
	case g.arrived == g.n:
		close(g.all)
	case g.arrived > g.n:
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	<-g.all
}

type gatedLinks struct {
	share.LinkStore
	g *gate
}

func (s gatedLinks) LinksForItem(ctx context.Context, item string) ([]*share.Link, error) {
	v, err := s.LinkStore.LinksForItem(ctx, item)
	s.g.wait()
	return v, err
}

type gatedKeys struct {
	share.KeyStore
	g *gate
}

func (s gatedKeys) KeysForItem(ctx context.Context, item string) ([]*share.WrappedKey, error) {
	v, err := s.KeyStore.KeysForItem(ctx, item)
	s.g.wait()
	return v, err
}

type gatedInvitations struct {
	share.InvitationStore
	g *gate
}

func (s gatedInvitations) InvitationsFrom(ctx context.Context, inviter string) ([]*share.Invitation, error) {
	v, err := s.InvitationStore.InvitationsFrom(ctx, inviter)
	s.g.wait()
	return v, err
}

// Concurrent creations never leave more records than the cap, even when
// every racer counts before any creates (the gated listings), and a refused
// one leaves nothing behind: afterwards exactly cap minus the winners can
// still be created one by one.
func TestLimitsUnderConcurrency(t *testing.T) {
	const cap, racers = 4, 24
	race := func(t *testing.T, create func(i int) error) int {
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := create(i)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, share.ErrLimit):
					t.Errorf("racer %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		n := int(wins.Load())
		if n > cap {
			t.Fatalf("%d of %d concurrent creations succeeded, cap %d", n, racers, cap)
		}
		for i := n; ; i++ {
			if err := create(racers + i); err != nil {
				wantLimit(t, "sequential creation", err)
				if i != cap {
					t.Fatalf("after the race %d could be created in all, want %d", i, cap)
				}
				return n
			}
		}
	}
	t.Run("links", func(t *testing.T) {
		w := newWorld(t, "local")
		w.svc.MaxLinksPerItem = cap
		alice := w.addUser(t, "alice", "hybrid", 0)
		it := upload(t, alice)
		w.svc.Stores.Links = gatedLinks{w.svc.Stores.Links, newGate(racers)}
		race(t, func(int) error {
			_, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
			return err
		})
		if links, _ := w.svc.Stores.Links.LinksForItem(ctx, it.ID); len(links) != cap {
			t.Fatalf("%d links stored, want %d", len(links), cap)
		}
	})
	t.Run("recipients", func(t *testing.T) {
		w := newWorld(t, "local")
		w.svc.MaxRecipients = cap
		alice := w.addUser(t, "alice", "hybrid", 0)
		for i := range 2 * racers {
			w.addUser(t, fmt.Sprintf("u%d", i), "hybrid", 0)
		}
		it := upload(t, alice)
		w.svc.Stores.Keys = gatedKeys{w.svc.Stores.Keys, newGate(racers)}
		race(t, func(i int) error {
			_, err := alice.Share(ctx, it.ID, fmt.Sprintf("u%d", i))
			return err
		})
		if keys, _ := w.svc.Stores.Keys.KeysForItem(ctx, it.ID); len(keys) != cap+1 {
			t.Fatalf("%d keys stored, want %d and the owner's", len(keys), cap)
		}
		if shares, _ := w.svc.Stores.Shares.SharesForItem(ctx, it.ID); len(shares) != cap {
			t.Fatalf("%d shares stored, want %d", len(shares), cap)
		}
	})
	t.Run("invitations", func(t *testing.T) {
		w := newWorld(t, "local")
		w.svc.MaxInvitations = cap
		alice := w.addUser(t, "alice", "hybrid", 0)
		w.svc.Stores.Invitations = gatedInvitations{w.svc.Stores.Invitations, newGate(racers)}
		race(t, func(int) error {
			_, err := alice.Invite(ctx, "", time.Hour)
			return err
		})
		if ins, _ := w.svc.Stores.Invitations.InvitationsFrom(ctx, "alice"); len(ins) != cap {
			t.Fatalf("%d invitations stored, want %d", len(ins), cap)
		}
	})
}

// countingBlobs counts the blob writes that reach the store.
type countingBlobs struct {
	share.BlobStore
	puts atomic.Int32
}

func (c *countingBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	c.puts.Add(1)
	return c.BlobStore.Put(ctx, key, r)
}

// An upload that names a deleted item's ID is refused before its payload is
// read or written: a client cannot make the server stream and store a blob
// only to refuse it.
func TestUploadToDeletedIDRefusedBeforeStreaming(t *testing.T) {
	w := newWorld(t, "local")
	blobs := &countingBlobs{BlobStore: w.svc.Blobs}
	w.svc.Blobs = blobs
	alice := w.addUser(t, "alice", "hybrid", 0)
	it := upload(t, alice)
	if err := alice.Delete(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	before := blobs.puts.Load()
	body := strings.NewReader("payload that must not be read")
	_, err := w.svc.Upload(ctx, "alice", newUpload(it.ID, "alice", itemHeader(t, it.ID, "alice", 1)), body)
	if !errors.Is(err, share.ErrExists) {
		t.Fatalf("got %v, want ErrExists", err)
	}
	if n := blobs.puts.Load() - before; n != 0 {
		t.Fatalf("the refused upload wrote %d blobs", n)
	}
	if body.Len() != int(body.Size()) {
		t.Fatalf("the refused upload read %d payload bytes", body.Size()-int64(body.Len()))
	}
}

// An item's chain holds at most MaxAuditChain entries of events that grant
// or use access; past it shares, links and link downloads are refused
// without storing anything, key holders' downloads are served unrecorded,
// and the owner can still revoke and delete.
func TestAuditChainLimit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxAuditChain = 3
		alice := w.addUser(t, "alice", "hybrid", 0)
		bob := w.addUser(t, "bob", "hybrid", 0)
		w.addUser(t, "carol", "hybrid", 0)
		it := upload(t, alice)
		if _, err := alice.Share(ctx, it.ID, "bob"); err != nil {
			t.Fatal(err)
		}
		link, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 5})
		if err != nil {
			t.Fatal(err)
		}
		mustRead(t, bob, it.ID)
		_, err = alice.Share(ctx, it.ID, "carol")
		wantLimit(t, "share past the cap", err)
		if _, err := w.svc.Stores.Keys.Key(ctx, it.ID, "carol"); !errors.Is(err, share.ErrNotFound) {
			t.Fatalf("refused share left a key: %v", err)
		}
		_, err = alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
		wantLimit(t, "link past the cap", err)
		_, err = share.OpenLink(ctx, w.anon, link, io.Discard)
		wantLimit(t, "link download past the cap", err)
		if l, _ := w.svc.Stores.Links.Link(ctx, link.ID); l.Remaining != 5 {
			t.Fatalf("refused link download took a download: %d left", l.Remaining)
		}
		// A key holder's download past the cap is served, unrecorded.
		mustRead(t, alice, it.ID)
		if err := alice.Revoke(ctx, it.ID, "bob", false); err != nil {
			t.Fatalf("revoke past the cap: %v", err)
		}
		if err := alice.Delete(ctx, it.ID); err != nil {
			t.Fatalf("delete past the cap: %v", err)
		}
		entries, err := w.svc.Audit(ctx, "alice", it.ID, 0, 0)
		if err != nil || len(entries) != 5 {
			t.Fatalf("chain of %d entries, %v; want 3 and the revoke and delete", len(entries), err)
		}
	})
}

// Over the wire a cap is 403 with the code "limit".
func TestLimitWireCode(t *testing.T) {
	w := newWorld(t, "local")
	w.svc.MaxInvitations = 1
	alice := w.addUser(t, "alice", "hybrid", 0)
	if _, err := alice.Invite(ctx, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	ins, err := w.svc.Stores.Invitations.InvitationsFrom(ctx, "alice")
	if err != nil || len(ins) != 1 {
		t.Fatalf("%d invitations, %v", len(ins), err)
	}
	in := ins[0]
	in.ID = "second"
	body, _ := json.Marshal(in)
	h := sharehttp.NewHandler(w.svc, func(*http.Request) (string, error) { return "alice", nil })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/invitations", bytes.NewReader(body)))
	if rec.Code != http.StatusForbidden || strings.TrimSpace(rec.Body.String()) != `{"error":"limit"}` {
		t.Fatalf("got %d %s, want 403 {\"error\":\"limit\"}", rec.Code, rec.Body)
	}
}
