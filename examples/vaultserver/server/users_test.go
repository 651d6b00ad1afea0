package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/keystore"
)

// The server registers at most Config.MaxUsers accounts, counted durably
// (a restarted server over the same stores goes on refusing), and a
// registration of a taken name costs no count. Before, nothing capped
// accounts, and with them total storage. Package account tests the rest of
// registration (its checks, its single transaction).
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

// A passphrase change through the server: the old passphrase stops
// working, the new one logs in on a fresh device and opens the same keys
// and signs as before.
func TestChangePassphrase(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	if err := alice.ChangePassphrase(ctx, "a new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Login(ctx, ts.opts, "alice", "correct horse alice"); !errors.Is(err, keystore.ErrUnlock) {
		t.Fatalf("old passphrase: %v, want ErrUnlock", err)
	}
	again, err := client.Login(ctx, ts.opts, "alice", "a new passphrase")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if tok, _ := again.Token(); tok == "" { // Login signs a token request with the key it opened
		t.Fatal("no token after the login with the new passphrase")
	}
}
