package account_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/keystore"
)

// changed returns the request that moves reg's account to newPassphrase.
func changed(t *testing.T, reg *registration, newPassphrase string) *account.ChangePassphraseRequest {
	t.Helper()
	a, err := keystore.ParseAccount(reg.req.Account)
	if err != nil {
		t.Fatal(err)
	}
	old := reg.ks.AuthKey()
	na, err := reg.ks.ChangePassphrase(a, newPassphrase, weakPolicy)
	if err != nil {
		t.Fatal(err)
	}
	return &account.ChangePassphraseRequest{OldAuthKey: old, Account: na.Bytes(), AuthKey: reg.ks.AuthKey()}
}

// A passphrase change rewraps the master KEK and re-enrolls the verifier
// together: the old auth key stops working, the new one logs in, and the
// new passphrase opens the same key records.
func TestChangePassphrase(t *testing.T) {
	e := newEnv(t, nil, nil)
	reg := newRegistration(t, "alice")
	if _, err := e.anon.Register(ctx, reg.req); err != nil {
		t.Fatal(err)
	}
	req := changed(t, reg, "a new passphrase")
	if err := e.signed(reg.signer).ChangePassphrase(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.anon.Login(ctx, "alice", req.OldAuthKey); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("login with the old auth key: %v, want bad_credentials", err)
	}
	start, err := e.anon.LoginStart(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	a, err := keystore.ParseAccount(start.Account)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Unlock("correct horse alice", weakPolicy); !errors.Is(err, keystore.ErrUnlock) {
		t.Fatalf("old passphrase after the change: %v, want ErrUnlock", err)
	}
	ks, err := a.Unlock("a new passphrase", weakPolicy)
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	keys, err := e.anon.Login(ctx, "alice", ks.AuthKey())
	if err != nil {
		t.Fatalf("login with the new auth key: %v", err)
	}
	for _, b := range keys.KeyRecords {
		kr, err := keystore.ParseKeyRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ks.OpenKey(kr); err != nil {
			t.Fatalf("key record %s under the new passphrase: %v", kr.Name(), err)
		}
	}
}

// A change with a wrong old auth key is refused (401 bad_credentials) and
// changes nothing: the account record and the old login stand. So do a
// change by a token alone, and one whose new record is not the user's.
func TestChangePassphraseRefused(t *testing.T) {
	e := newEnv(t, nil, nil)
	reg := newRegistration(t, "alice")
	if _, err := e.anon.Register(ctx, reg.req); err != nil {
		t.Fatal(err)
	}
	oldKey := reg.ks.AuthKey()
	req := changed(t, reg, "a new passphrase")

	wrong := *req
	wrong.OldAuthKey = make([]byte, 32)
	err := e.signed(reg.signer).ChangePassphrase(ctx, &wrong)
	if !errors.Is(err, account.ErrBadCredentials) || !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("change with a wrong old auth key: %v, want 401 bad_credentials", err)
	}
	other := *req
	other.Account = newRegistration(t, "bob").req.Account
	if err := e.signed(reg.signer).ChangePassphrase(ctx, &other); !errors.Is(err, account.ErrInvalid) {
		t.Fatalf("change to bob's record: %v, want invalid", err)
	}
	tok, err := e.signed(reg.signer).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tc := &account.Client{BaseURL: e.anon.BaseURL, HTTPClient: &http.Client{Transport: bearer{tok.Token}}}
	if err := tc.ChangePassphrase(ctx, req); !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("change with a token only: %v, want 401", err)
	}

	start, err := e.anon.LoginStart(ctx, "alice")
	if err != nil || string(start.Account) != string(reg.req.Account) {
		t.Fatalf("account record after the refusals changed (%v)", err)
	}
	if _, err := e.anon.Login(ctx, "alice", oldKey); err != nil {
		t.Fatalf("old login after the refusals: %v", err)
	}
	if _, err := e.anon.Login(ctx, "alice", req.AuthKey); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("new auth key after the refusals: %v, want bad_credentials", err)
	}
}
