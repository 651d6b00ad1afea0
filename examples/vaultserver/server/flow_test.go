package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// TestFlows runs the vault's flows (register, upload, share, link, revoke) through the Go client against the server:
// register, login, upload, list, download, E2EE share, received shares,
// revoke, public link, delete and storage usage.
func TestFlows(t *testing.T) {
	sharetest.LowerLinkIterations(t, 1000)
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	ts.register(t, "bob")

	doc := bytes.Repeat([]byte("quarterly figures "), 5000)
	it, err := alice.Upload(ctx, "q3.txt", bytes.NewReader(doc), int64(len(doc)), nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := alice.List(ctx)
	if err != nil || len(files) != 1 || files[0].Name != "q3.txt" || files[0].Size != int64(len(doc)) || files[0].ID != it.ID {
		t.Fatalf("List = %+v, %v", files, err)
	}
	usage, err := alice.Storage(ctx) // the quota charges the header beside the payload
	if err != nil || usage.FileCount != 1 || usage.UsedBytes < it.Size+int64(len(it.Header)) || usage.UsedBytes <= int64(len(doc)) {
		t.Fatalf("Storage = %+v, %v (item size %d)", usage, err, it.Size)
	}

	// Bob logs in on a fresh device: only his name and passphrase.
	bob, err := client.Login(ctx, ts.opts, "bob", "correct horse bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if _, err := bob.Download(ctx, it.ID, io.Discard); !errors.Is(err, share.ErrPermission) {
		t.Fatalf("bob read before the share: %v, want ErrPermission", err)
	}
	if err := alice.ShareWith(ctx, it.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	recv, err := bob.Received(ctx)
	if err != nil || len(recv) != 1 || recv[0].Name != "q3.txt" || recv[0].Owner != "alice" {
		t.Fatalf("Received = %+v, %v", recv, err)
	}
	var got bytes.Buffer
	if _, err := bob.Download(ctx, it.ID, &got); err != nil || !bytes.Equal(got.Bytes(), doc) {
		t.Fatalf("bob download: %v (equal %v)", err, bytes.Equal(got.Bytes(), doc))
	}
	if err := alice.Revoke(ctx, it.ID, "bob", true); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Download(ctx, it.ID, io.Discard); !errors.Is(err, share.ErrPermission) {
		t.Fatalf("bob read after revoke: %v, want ErrPermission", err)
	}

	link, err := alice.CreateLink(ctx, it.ID, time.Hour, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, ts.URL+client.LinkPath+"/") {
		t.Fatalf("link %q", link)
	}
	got.Reset()
	meta, err := client.OpenLink(ctx, ts.Client(), link, &got)
	if err != nil || meta.Name != "q3.txt" || !bytes.Equal(got.Bytes(), doc) {
		t.Fatalf("OpenLink: %v, %+v", err, meta)
	}
	if _, err := client.OpenLink(ctx, ts.Client(), link, io.Discard); !errors.Is(err, share.ErrExhausted) {
		t.Fatalf("second open of a one-download link: %v, want ErrExhausted", err)
	}
	wrong := link[:len(link)-4] + "AAAA"
	if _, err := client.OpenLink(ctx, ts.Client(), wrong, io.Discard); !errors.Is(err, share.ErrBadProof) {
		t.Fatalf("wrong link secret: %v, want ErrBadProof", err)
	}

	if err := alice.Delete(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	files, err = alice.List(ctx)
	if err != nil || len(files) != 0 {
		t.Fatalf("List after delete = %+v, %v", files, err)
	}
	// What stays is charged: the tombstone, the audit chain and its head,
	// the index entry.
	head, err := ts.srv.Service().Stores.Audit.AuditHead(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := alice.Storage(ctx); u.UsedBytes != share.DeletedCharge(head.Seq) || u.FileCount != 0 {
		t.Fatalf("usage after delete = %+v, want %d records charged", u, 3+head.Seq)
	}
}

// TestLogin covers the login paths: right and wrong passphrase, unknown
// user, and the cached token.
func TestLogin(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	tok, exp := alice.Token()
	if tok == "" || !exp.After(time.Now()) {
		t.Fatalf("token %q expires %v", tok, exp)
	}
	s, err := client.Resume(ctx, ts.opts, "alice", "correct horse alice", tok)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	s.Close()
	if _, err := client.Resume(ctx, ts.opts, "alice", "correct horse alice", tok+"x"); !client.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("Resume with a bad token: %v, want 401", err)
	}
	if _, err := client.Login(ctx, ts.opts, "alice", "wrong"); !errors.Is(err, keystore.ErrUnlock) {
		t.Fatalf("wrong passphrase: %v, want ErrUnlock", err)
	}
	if _, err := client.Login(ctx, ts.opts, "nobody", "x"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("unknown user: %v, want 404", err)
	}
	if _, _, err := client.Register(ctx, ts.opts, "alice", "another"); !client.IsStatus(err, http.StatusConflict) {
		t.Fatalf("second registration: %v, want 409", err)
	}
}
