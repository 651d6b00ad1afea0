package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// call sends a request with c and returns the status and the error code of
// the JSON body ("" for success bodies).
func call(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb server.ErrorBody
	if resp.StatusCode >= 300 {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: error with Content-Type %q", method, url, ct)
		}
		json.NewDecoder(resp.Body).Decode(&eb)
	}
	return resp.StatusCode, eb.Error
}

// TestErrorStatus checks one request per error class of API.md, each
// answered with its status and a JSON {"error": code} body.
func TestErrorStatus(t *testing.T) {
	ctx := context.Background()
	ts := start(t, func(c *server.Config) {
		c.Quota = 48 << 10
		c.MaxObjectSize = 32 << 10
		c.LoginRate = server.Rate{Burst: 3, Per: time.Hour}
	})
	alice := ts.register(t, "alice")
	bob := ts.register(t, "bob")
	it, err := alice.Upload(ctx, "a.txt", strings.NewReader("alice's"), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, signedBob := ts.Client(), bob.HTTPClient()
	u := ts.URL

	tests := []struct {
		name   string
		c      *http.Client
		method string
		path   string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"400 malformed registration", plain, "POST", "/api/v1/register", `{"user":`, nil, 400, "invalid"},
		{"400 unknown field", plain, "POST", "/api/v1/login/start", `{"user":"alice","x":1}`, nil, 400, "invalid"},
		{"400 bad user name", plain, "POST", "/api/v1/login/start", `{"user":"../etc"}`, nil, 400, "invalid"},
		{"400 bad list limit", signedBob, "GET", "/api/v1/items?limit=0", "", nil, 400, "invalid"},
		{"401 no credentials", plain, "GET", "/api/v1/items", "", nil, 401, "unauthenticated"},
		{"401 no credentials, share route", plain, "GET", "/api/v1/shares/received", "", nil, 401, "unauthenticated"},
		{"401 bad token", plain, "GET", "/api/v1/items", "", map[string]string{"Authorization": "Bearer x.y.z"}, 401, "invalid_token"},
		{"401 wrong auth key", plain, "POST", "/api/v1/login", `{"user":"alice","auth_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`, nil, 401, "bad_credentials"},
		{"401 bad signature", plain, "GET", "/api/v1/items", "", map[string]string{"Signature-Input": `sig1=("@method");keyid="x"`, "Signature": "sig1=:AAAA:"}, 401, ""},
		{"403 another user's item", signedBob, "GET", "/api/v1/items/" + it.ID, "", nil, 403, "permission"},
		{"403 another user's keys", signedBob, "GET", "/api/v1/items/" + it.ID + "/keys", "", nil, 403, "permission"},
		{"404 no such item", signedBob, "GET", "/api/v1/items/nosuchitem", "", nil, 404, "not_found"},
		{"404 no such user", plain, "POST", "/api/v1/login/start", `{"user":"nobody"}`, nil, 404, "not_found"},
		{"404 no such link", plain, "GET", "/api/v1/links/nosuchlink", "", nil, 404, "not_found"},
		{"409 user exists", plain, "POST", "/api/v1/register", "", nil, 0, ""},
	}
	for _, tc := range tests {
		if tc.status == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			status, code := call(t, tc.c, tc.method, u+tc.path, tc.body, tc.hdr)
			if status != tc.status || (tc.code != "" && code != tc.code) {
				t.Errorf("got %d %q, want %d %q", status, code, tc.status, tc.code)
			}
		})
	}

	t.Run("413 object too large", func(t *testing.T) {
		big := bytes.Repeat([]byte{'x'}, 40<<10)
		_, err := alice.Upload(ctx, "big", bytes.NewReader(big), int64(len(big)), nil)
		if !errors.Is(err, share.ErrTooLarge) {
			t.Fatalf("client-side check: %v, want ErrTooLarge", err)
		}
		_, err = alice.Upload(ctx, "big", bytes.NewReader(big), -1, nil) // size unknown: the server refuses
		if !errors.Is(err, share.ErrTooLarge) {
			t.Fatalf("server-side check: %v, want ErrTooLarge (413)", err)
		}
	})
	t.Run("507 quota exceeded", func(t *testing.T) {
		part := bytes.Repeat([]byte{'y'}, 30<<10)
		if _, err := alice.Upload(ctx, "p1", bytes.NewReader(part), int64(len(part)), nil); err != nil {
			t.Fatal(err)
		}
		_, err := alice.Upload(ctx, "p2", bytes.NewReader(part), int64(len(part)), nil)
		if !errors.Is(err, share.ErrQuota) {
			t.Fatalf("over quota: %v, want share.ErrQuota", err)
		}
		// Bob's quota is his own.
		if _, err := bob.Upload(ctx, "p1", bytes.NewReader(part), int64(len(part)), nil); err != nil {
			t.Fatalf("bob: %v", err)
		}
	})
	t.Run("429 login attempts", func(t *testing.T) {
		// Three per hour per user: the third wrong key still gets 401, the
		// fourth attempt is refused before the key is checked.
		body := `{"user":"bob","auth_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`
		var got []int
		for range 4 {
			s, _ := call(t, plain, "POST", u+"/api/v1/login", body, nil)
			got = append(got, s)
		}
		if got[2] != 401 || got[3] != 429 {
			t.Fatalf("statuses %v, want …401, 429", got)
		}
		if _, err := client.Login(ctx, ts.opts, "bob", "correct horse bob"); !client.IsStatus(err, http.StatusTooManyRequests) {
			t.Fatalf("right passphrase while limited: %v, want 429", err)
		}
	})
}

// TestLinkRateLimit: link attempts are limited per client and per link,
// beside share's own lock after too many wrong secrets.
func TestLinkRateLimit(t *testing.T) {
	sharetest.LowerLinkIterations(t, 1000)
	ctx := context.Background()
	ts := start(t, func(c *server.Config) { c.LinkRate = server.Rate{Burst: 4, Per: time.Hour} })
	alice := ts.register(t, "alice")
	it, err := alice.Upload(ctx, "a", strings.NewReader("x"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	link, err := alice.CreateLink(ctx, it.ID, time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	wrong := link[:strings.IndexByte(link, '#')+1] + "AAAAAAAAAAAAAAAAAAAAAA"
	// Each OpenLink makes two link requests (params, then access).
	for i := range 2 {
		if _, err := client.OpenLink(ctx, ts.Client(), wrong, io.Discard); !errors.Is(err, share.ErrBadProof) {
			t.Fatalf("attempt %d: %v, want ErrBadProof", i, err)
		}
	}
	_, err = client.OpenLink(ctx, ts.Client(), link, io.Discard)
	var he *share.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests || he.Code != server.CodeRateLimited {
		t.Fatalf("fifth link request: %v, want 429 rate_limited", err)
	}
}

// TestQuotaConcurrent: uploads racing for the last of a quota never exceed it.
func TestQuotaConcurrent(t *testing.T) {
	ctx := context.Background()
	// Each upload is charged its 30 KiB payload plus its record and record
	// overhead (about 3.5 KiB): room for three, not four.
	ts := start(t, func(c *server.Config) { c.Quota = 110 << 10 })
	alice := ts.register(t, "alice")
	part := bytes.Repeat([]byte{'z'}, 30<<10)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = alice.Upload(ctx, "p", bytes.NewReader(part), int64(len(part)), nil)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var he *share.HTTPError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &he) && he.Status == http.StatusInsufficientStorage:
		default:
			t.Errorf("upload: %v", err)
		}
	}
	u, err := alice.Storage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 3 || u.UsedBytes > u.QuotaBytes || u.FileCount != ok {
		t.Fatalf("%d uploads succeeded, usage %+v; want 3 within quota", ok, u)
	}
}
