package server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share"
)

// inProcess serves a client's requests with the server's handler in the
// caller's goroutine, from a loopback address: when a call returns, so has
// the handler, and the handler sees the caller's context.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	req := r.Clone(r.Context())
	req.RemoteAddr = "127.0.0.1:1"
	req.RequestURI = r.URL.RequestURI()
	if req.Body == nil {
		req.Body = http.NoBody // a server request always has one
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// cutAfterCommit cancels a request's context (as a client that goes away
// does) right after share has committed an upload or a delete: once
// armed, the next one the Service reports calls the cancel function it
// holds.
type cutAfterCommit struct {
	cut atomic.Pointer[context.CancelFunc]
}

func (c *cutAfterCommit) notify(_ context.Context, ch *share.Change) {
	if ch.Op != share.OpUpload && ch.Op != share.OpDelete {
		return
	}
	if f := c.cut.Swap(nil); f != nil {
		(*f)()
	}
}

// startCut starts a server whose Service cuts requests after the commit,
// and registers alice through an in-process client.
func startCut(t *testing.T, tweak func(*server.Config)) (*testServer, *cutAfterCommit, *client.Session) {
	t.Helper()
	hook := &cutAfterCommit{}
	ts := start(t, tweak)
	ts.srv.Service().Notify = hook.notify
	opts := ts.opts
	opts.HTTPClient = &http.Client{Transport: inProcess{ts.srv}}
	alice, _, err := client.Register(context.Background(), opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alice.Close)
	return ts, hook, alice
}

// An upload whose client goes away right after share stored the item is
// charged and counted all the same, and the item is whole: its owner's
// key is stored. Before, the item and its blob stayed in the stores,
// outside the quota and the item count.
func TestDisconnectAfterCommitStillCharged(t *testing.T) {
	const payload = 60 << 10
	_, hook, alice := startCut(t, func(c *server.Config) { c.Quota = 64 << 10; c.MaxItems = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook.cut.Store(&cancel)
	data := strings.Repeat("x", payload)
	alice.Upload(ctx, "big", strings.NewReader(data), payload, nil) // its answer is lost with the client

	bg := context.Background()
	u, err := alice.Storage(bg)
	if err != nil {
		t.Fatal(err)
	}
	if u.FileCount != 1 || u.UsedBytes < payload {
		t.Fatalf("after a cut upload: %d files, %d bytes charged; want 1 file, at least %d bytes", u.FileCount, u.UsedBytes, payload)
	}
	files, err := alice.List(bg)
	if err != nil || len(files) != 1 {
		t.Fatalf("List = %+v, %v", files, err)
	}
	var got bytes.Buffer
	if _, err := alice.Download(bg, files[0].ID, &got); err != nil || got.String() != data {
		t.Fatalf("download of the cut upload: %d bytes, %v", got.Len(), err)
	}
	// The quota and the item count both hold it.
	_, err = alice.Upload(bg, "again", strings.NewReader("y"), 1, nil)
	var he *share.HTTPError
	if !errors.As(err, &he) || !errors.Is(err, share.ErrLimit) || he.Status != http.StatusForbidden {
		t.Fatalf("second item: %v, want 403 limit", err)
	}
}

// A new version whose client goes away right after share committed it is
// whole: the owner's new key and the index follow the new version.
func TestDisconnectAfterRotationStillWhole(t *testing.T) {
	ts, hook, alice := startCut(t, nil)
	bg := context.Background()
	it, err := alice.Upload(bg, "doc", strings.NewReader("payload"), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	hook.cut.Store(&cancel)
	alice.Share().Rotate(ctx, it.ID) // its answer is lost with the client

	cur, err := ts.srv.Service().Stores.Items.Item(bg, it.ID)
	if err != nil || cur.Version != 2 {
		t.Fatalf("item after the cut rotation: %+v, %v; want version 2", cur, err)
	}
	var got bytes.Buffer
	if _, err := alice.Download(bg, it.ID, &got); err != nil || got.String() != "payload" {
		t.Fatalf("download after the cut rotation: %q, %v", got.String(), err)
	}
	u, err := alice.Storage(bg)
	if err != nil || u.FileCount != 1 || u.UsedBytes == 0 {
		t.Fatalf("storage after the cut rotation: %+v, %v", u, err)
	}
	// The index follows version 2: another rotation goes through.
	if _, err := alice.Share().Rotate(bg, it.ID); err != nil {
		t.Fatalf("rotation after the cut one: %v", err)
	}
}

// A delete whose client goes away right after share deleted the item
// still removes the payload and chains the delete event, and the item's
// residual charge is kept. Before, the payload stayed in the blob store,
// charged to nobody.
func TestDisconnectAfterDeleteStillWhole(t *testing.T) {
	ts, hook, alice := startCut(t, nil)
	bg := context.Background()
	it, err := alice.Upload(bg, "doc", strings.NewReader("payload"), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := ts.srv.Service().Stores
	stored, err := st.Items.Item(bg, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	hook.cut.Store(&cancel)
	alice.Delete(ctx, it.ID) // its answer is lost with the client

	if rc, err := ts.srv.Service().Blobs.Get(bg, stored.BlobRef); !errors.Is(err, share.ErrNotFound) {
		if err == nil {
			rc.Close()
		}
		t.Fatalf("payload after the cut delete: %v, want ErrNotFound", err)
	}
	head, err := st.Audit.AuditHead(bg, it.ID)
	if err != nil || head.Event.Action != share.ActionDelete {
		t.Fatalf("audit head after the cut delete: %+v, %v; want the delete event", head, err)
	}
	if u, err := alice.Storage(bg); err != nil || u.FileCount != 0 || u.UsedBytes != share.DeletedCharge(head.Seq) {
		t.Fatalf("storage after the cut delete: %+v, %v", u, err)
	}
}
