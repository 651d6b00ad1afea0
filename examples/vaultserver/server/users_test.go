package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share"
)

// The server registers at most Config.MaxUsers accounts, counted durably
// (a restarted server over the same stores goes on refusing), and a
// registration of a taken name costs no count. Before, nothing capped
// accounts, and with them total storage.
func TestMaxUsers(t *testing.T) {
	ctx := context.Background()
	var cfg server.Config
	ts := start(t, func(c *server.Config) { c.MaxUsers = 2; cfg = *c })
	ts.register(t, "alice")
	for range 3 {
		if _, _, err := client.Register(ctx, ts.opts, "alice", "another passphrase"); !client.IsStatus(err, http.StatusConflict) {
			t.Fatalf("alice again: %v, want 409", err)
		}
	}
	ts.register(t, "bob")
	refused := func(opts client.Options, user string) {
		t.Helper()
		_, _, err := client.Register(ctx, opts, user, "correct horse "+user)
		if !errors.Is(err, account.ErrUserLimit) || !client.IsStatus(err, http.StatusForbidden) {
			t.Fatalf("%s beyond MaxUsers: %v, want 403 %s", user, err, account.CodeUserLimit)
		}
	}
	refused(ts.opts, "carol")
	// The refused name was not kept: it is free, not half made.
	if _, _, err := client.Register(ctx, ts.opts, "carol", "x"); client.IsStatus(err, http.StatusConflict) {
		t.Fatal("a refused registration kept its name")
	}

	// A new server over the same stores (a restart, or a second process).
	again, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts := ts.opts
	opts.HTTPClient = &http.Client{Transport: inProcess{again}}
	refused(opts, "dave")
}

// rewriteRegister replaces the directory keys of register requests with
// an RSA key that passes the request's checks but that PublishUser, the
// last write of a registration, refuses.
type rewriteRegister struct{ base http.RoundTripper }

func (rt rewriteRegister) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/api/v1/register" {
		return rt.base.RoundTrip(r)
	}
	var req account.RegisterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	req.Directory.Keys = []share.PublicKey{{Kind: share.KindRSA, Bytes: []byte("not an RSA key")}}
	b, err := json.Marshal(&req)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return rt.base.RoundTrip(r)
}

// A registration whose last write fails leaves nothing: the name is free,
// login finds no account, and the same name registers afterwards. Before,
// the account and key records stayed and the name answered 409 exists.
func TestRegistrationAtomic(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	opts := ts.opts
	opts.HTTPClient = &http.Client{Transport: rewriteRegister{ts.Client().Transport}}
	if _, _, err := client.Register(ctx, opts, "alice", "correct horse alice"); !client.IsStatus(err, http.StatusBadRequest) {
		t.Fatalf("registration with an unusable directory key: %v, want 400", err)
	}
	if _, err := client.Login(ctx, ts.opts, "alice", "correct horse alice"); !client.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("login after the failed registration: %v, want 404 (no account)", err)
	}
	ts.register(t, "alice")
}
