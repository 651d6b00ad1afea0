package storageauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/storageauth"
)

func newHTTPServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.StripPrefix("/slots", h))
	t.Cleanup(ts.Close)
	return ts
}

func TestClientRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range schemes {
		t.Run(scheme.String(), func(t *testing.T) {
			srv := storageauth.NewServer(storageauth.NewMemoryStore())
			srv.RequireRetrieveProof = true
			ts := newHTTPServer(t, srv)
			keys := testKeys(t, scheme, 1)
			c := storageauth.NewClient(ts.URL+"/slots", keys, ts.Client())
			if _, _, err := c.Retrieve(ctx); !errors.Is(err, storageauth.ErrNotFound) {
				t.Fatalf("Retrieve of an empty slot: %v, want ErrNotFound", err)
			}
			for i, kr := range []string{"", "keyring 2", strings.Repeat("k", 1000)} {
				v, err := c.Store(ctx, []byte(kr))
				if err != nil || v != uint64(i+1) {
					t.Fatalf("Store %d: v=%d %v", i, v, err)
				}
				got, gv, err := c.Retrieve(ctx)
				if err != nil || gv != v || string(got) != kr {
					t.Fatalf("Retrieve %d: v=%d %v", i, gv, err)
				}
			}
		})
	}
}

// A second device starts at version 0: its first Store conflicts, and after
// a Retrieve it stores above the first device's version.
func TestClientSecondDevice(t *testing.T) {
	ctx := context.Background()
	srv := storageauth.NewServer(storageauth.NewMemoryStore())
	ts := newHTTPServer(t, srv)
	keys := testKeys(t, storageauth.ECDSAP256, 1)
	phone := storageauth.NewClient(ts.URL+"/slots/", keys, ts.Client())
	laptop := storageauth.NewClient(ts.URL+"/slots", testKeys(t, storageauth.ECDSAP256, 1), ts.Client())
	for range 3 {
		if _, err := phone.Store(ctx, []byte("phone")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := laptop.Store(ctx, []byte("laptop"))
	var se *storageauth.ServerError
	if !errors.Is(err, storageauth.ErrConflict) || !errors.As(err, &se) || se.Status != http.StatusConflict {
		t.Fatalf("stale device's Store: %v, want a 409 ErrConflict", err)
	}
	if kr, v, err := laptop.Retrieve(ctx); err != nil || v != 3 || string(kr) != "phone" {
		t.Fatalf("Retrieve: %q v=%d %v", kr, v, err)
	}
	if v, err := laptop.Store(ctx, []byte("laptop")); err != nil || v != 4 {
		t.Fatalf("Store after Retrieve: v=%d %v", v, err)
	}
}

// A server restored from an old backup serves a correctly signed but older
// record: a client that has seen a newer one refuses it.
func TestClientRefusesRollback(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t, storageauth.Ed25519, 1)
	backup := storageauth.NewServer(storageauth.NewMemoryStore())
	if err := backup.Put(ctx, mustSeal(t, keys, "old keyring", 1)); err != nil {
		t.Fatal(err)
	}
	ts := newHTTPServer(t, backup)
	c := storageauth.NewClient(ts.URL+"/slots", keys, ts.Client())
	c.SetLastVersion(2)
	c.SetLastVersion(1) // never lowers
	if c.LastVersion() != 2 {
		t.Fatalf("LastVersion = %d", c.LastVersion())
	}
	if _, _, err := c.Retrieve(ctx); !errors.Is(err, storageauth.ErrRollback) {
		t.Fatalf("Retrieve of a rolled-back slot: %v, want ErrRollback", err)
	}
	if c.LastVersion() != 2 {
		t.Fatal("a refused rollback changed LastVersion")
	}
}

// A malicious server's responses: every change is ErrCorrupt.
func TestClientRefusesTamperedResponses(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t, storageauth.Ed25519, 1)
	other := testKeys(t, storageauth.Ed25519, 2)
	good := mustSeal(t, keys, "keyring", 1)
	cases := map[string]func() []byte{
		"mutated-ciphertext": func() []byte {
			r := good.Clone()
			r.Ciphertext[3] ^= 1
			return mustJSON(t, r)
		},
		"other-slot": func() []byte { return mustJSON(t, mustSeal(t, other, "keyring", 1)) },
		"other-slot-relabelled": func() []byte {
			r := mustSeal(t, other, "keyring", 1)
			r.ID = good.ID
			return mustJSON(t, r)
		},
		"version-relabelled": func() []byte {
			r := good.Clone()
			r.Version = 7
			return mustJSON(t, r)
		},
		"not-json":  func() []byte { return []byte("<html>") },
		"truncated": func() []byte { b := mustJSON(t, good); return b[:len(b)-5] },
		"huge":      func() []byte { return bytes.Repeat([]byte(" "), storageauth.MaxRecordBytes+10) },
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			b := body()
			ts := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(b) }))
			c := storageauth.NewClient(ts.URL+"/slots", keys, ts.Client())
			if _, _, err := c.Retrieve(ctx); !errors.Is(err, storageauth.ErrCorrupt) {
				t.Fatalf("Retrieve: %v, want ErrCorrupt", err)
			}
			if c.LastVersion() != 0 {
				t.Fatal("a refused record changed LastVersion")
			}
		})
	}
}

func mustJSON(t testing.TB, r *storageauth.Record) []byte {
	t.Helper()
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandler drives the HTTP handler with raw requests: status codes,
// error codes, and an unchanged slot after every refusal.
func TestHandler(t *testing.T) {
	keys := testKeys(t, storageauth.Ed25519, 1)
	other := testKeys(t, storageauth.Ed25519, 2)
	v1 := mustSeal(t, keys, "k", 1)
	v2 := mustSeal(t, keys, "k", 2)
	path := "/slots/" + keys.ID().String()
	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		header map[string]string
		status int
		code   string
	}{
		{"store", "PUT", path, mustJSON(t, v2), nil, 204, ""},
		{"replay", "PUT", path, mustJSON(t, v1), nil, 409, "conflict"},
		{"path-body-mismatch", "PUT", "/slots/" + other.ID().String(), mustJSON(t, v2), nil, 400, "malformed"},
		{"unknown-field", "PUT", path, []byte(`{"id":"x","version":1,"ciphertext":"","signature":"","extra":1}`), nil, 400, "malformed"},
		{"trailing-data", "PUT", path, append(mustJSON(t, v2), "{}"...), nil, 400, "malformed"},
		{"oversized-body", "PUT", path, bytes.Repeat([]byte("a"), storageauth.MaxRecordBytes+1), nil, 413, "too_large"},
		{"bad-slot-id", "GET", "/slots/rsa:AAAA", nil, nil, 400, "malformed"},
		{"empty-path", "GET", "/slots/", nil, nil, 404, "not_found"},
		{"nested-path", "GET", path + "/x", nil, nil, 404, "not_found"},
		{"bad-proof-timestamp", "GET", path, nil, map[string]string{storageauth.HeaderProofTimestamp: "soon", storageauth.HeaderProofSignature: "AA"}, 400, "malformed"},
		{"bad-proof-signature", "GET", path, nil, map[string]string{storageauth.HeaderProofTimestamp: "5", storageauth.HeaderProofSignature: "!!"}, 400, "malformed"},
		{"get", "GET", path, nil, nil, 200, ""},
		{"delete", "DELETE", path, nil, nil, 405, "method_not_allowed"},
	}
	srv := storageauth.NewServer(storageauth.NewMemoryStore())
	if err := srv.Put(context.Background(), v1); err != nil {
		t.Fatal(err)
	}
	ts := newHTTPServer(t, srv)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, ts.URL+c.path, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.code != "" {
				assertErrorBody(t, resp, body, c.code)
			}
			if c.name == "get" {
				r, err := storageauth.ParseRecord(body)
				if err != nil || r.Version != 2 {
					t.Fatalf("GET returned %s: %v", body, err)
				}
			}
		})
	}
}

// A body sent without Content-Length (chunked) is cut at the limit too.
func TestHandlerChunkedOversizedBody(t *testing.T) {
	srv := storageauth.NewServer(storageauth.NewMemoryStore())
	ts := newHTTPServer(t, srv)
	keys := testKeys(t, storageauth.Ed25519, 1)
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range storageauth.MaxRecordBytes/len(chunk) + 2 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", ts.URL+"/slots/"+keys.ID().String(), pr)
	resp, err := ts.Client().Do(req)
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

// assertErrorBody checks an error answer is exactly {"error": code}, JSON,
// not cached.
func assertErrorBody(t *testing.T, resp *http.Response, body []byte, code string) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	var e struct {
		Error string `json:"error"`
	}
	if err := d.Decode(&e); err != nil || e.Error != code {
		t.Fatalf("error body %s (%v), want exactly {\"error\": %q}", body, err, code)
	}
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Fatalf("error answer Content-Type %q, Cache-Control %q", ct, cc)
	}
}

// Client errors are one *ServerError with the status and code, which
// errors.Is matches to the sentinel the code names, for Store and Retrieve.
func TestClientErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		code   string
		status int
		want   error
	}{
		{"malformed", 400, storageauth.ErrMalformed},
		{"too_large", 413, storageauth.ErrTooLarge},
		{"invalid_signature", 403, storageauth.ErrInvalidSignature},
		{"conflict", 409, storageauth.ErrConflict},
		{"not_found", 404, storageauth.ErrNotFound},
		{"rate_limited", 429, storageauth.ErrRateLimited},
		{"full", 507, storageauth.ErrFull},
		{"internal", 500, nil},
		{"from_a_newer_server", 418, nil},
	} {
		t.Run(tc.code, func(t *testing.T) {
			ts := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				json.NewEncoder(w).Encode(map[string]string{"error": tc.code})
			}))
			c := storageauth.NewClient(ts.URL+"/slots", testKeys(t, storageauth.Ed25519, 1), ts.Client())
			_, err := c.Store(context.Background(), nil)
			_, _, rerr := c.Retrieve(context.Background())
			for _, err := range []error{err, rerr} {
				var se *storageauth.ServerError
				if !errors.As(err, &se) || se.Status != tc.status || se.Code != tc.code || se.Err != tc.want {
					t.Fatalf("%v: want a ServerError %d %s", err, tc.status, tc.code)
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("%v: not errors.Is %v", err, tc.want)
				}
				for _, other := range []error{storageauth.ErrMalformed, storageauth.ErrConflict, storageauth.ErrNotFound, storageauth.ErrFull} {
					if other != tc.want && errors.Is(err, other) {
						t.Errorf("%v: matches %v too", err, other)
					}
				}
			}
		})
	}
}

// An error answer whose JSON lies beyond the read cap gives a ServerError
// with the status and no code (the client does not read on to find it).
func TestClientErrorBodyCapped(t *testing.T) {
	ts := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		chunk := bytes.Repeat([]byte(" "), 1<<10)
		for range 1 << 10 { // 1 MiB of spaces, then the code
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`{"error":"conflict"}`))
	}))
	c := storageauth.NewClient(ts.URL+"/slots", testKeys(t, storageauth.Ed25519, 1), ts.Client())
	_, err := c.Store(context.Background(), nil)
	var se *storageauth.ServerError
	if !errors.As(err, &se) || se.Status != http.StatusConflict || se.Code != "" || errors.Is(err, storageauth.ErrConflict) {
		t.Fatalf("%v: want a bare 409 ServerError", err)
	}
}

// failingStore fails every call with a text that must not reach clients.
type failingStore struct{}

var errBackend = errors.New("backend at db.internal:5432 refused password hunter2")

func (failingStore) Get(context.Context, string) (*storageauth.Record, error) { return nil, errBackend }
func (failingStore) CompareAndSwap(context.Context, *storageauth.Record, uint64) error {
	return errBackend
}

// A backend's error is 500 internal, its text not sent.
func TestHandlerInternalError(t *testing.T) {
	keys := testKeys(t, storageauth.Ed25519, 1)
	ts := newHTTPServer(t, storageauth.NewServer(failingStore{}))
	for _, method := range []string{"GET", "PUT"} {
		req, err := http.NewRequest(method, ts.URL+"/slots/"+keys.ID().String(), bytes.NewReader(mustJSON(t, mustSeal(t, keys, "k", 1))))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("%s: status %d, want 500", method, resp.StatusCode)
		}
		assertErrorBody(t, resp, body, "internal")
	}
}
