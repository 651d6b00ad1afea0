package storageauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealkit/sealkit/storageauth"
)

// put sends rec to h as PUT /{id} and returns the status, the error code
// and the response.
func put(t *testing.T, h http.Handler, rec *storageauth.Record) (int, string, *httptest.ResponseRecorder) {
	t.Helper()
	body, err := rec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return putBody(t, h, rec.ID, body)
}

func putBody(t *testing.T, h http.Handler, id string, body []byte) (int, string, *httptest.ResponseRecorder) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("PUT", "/"+id, bytes.NewReader(body)))
	var eb struct{ Error, Message string }
	if w.Code != http.StatusNoContent {
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
			t.Fatalf("error body %q: %v", w.Body.Bytes(), err)
		}
	}
	return w.Code, eb.Error, w
}

// TestMaxCiphertext: by default a ciphertext of 64 KiB is stored and one
// byte more is 413 too_large, over HTTP and through Put; MaxCiphertext
// moves the limit.
func TestMaxCiphertext(t *testing.T) {
	const overhead = 28 // nonce and tag
	keys := testKeys(t, storageauth.Ed25519, 1)
	atLimit, err := keys.Seal(make([]byte, storageauth.DefaultMaxCiphertext-overhead), 1)
	if err != nil {
		t.Fatal(err)
	}
	over, err := keys.Seal(make([]byte, storageauth.DefaultMaxCiphertext-overhead+1), 2)
	if err != nil {
		t.Fatal(err)
	}

	srv := storageauth.NewServer(storageauth.NewMemoryStore())
	if status, code, w := put(t, srv, over); status != http.StatusRequestEntityTooLarge || code != "too_large" {
		t.Fatalf("ciphertext of 65537 bytes: %d %q %s, want 413 too_large", status, code, w.Body)
	}
	if err := srv.Put(context.Background(), over); !errors.Is(err, storageauth.ErrTooLarge) {
		t.Fatalf("Put of 65537 bytes: %v, want ErrTooLarge", err)
	}
	if status, code, w := put(t, srv, atLimit); status != http.StatusNoContent {
		t.Fatalf("ciphertext of 65536 bytes: %d %q %s, want 204", status, code, w.Body)
	}
	// The body limit is 98,304 bytes (64 KiB and half again), checked
	// before anything is parsed.
	const maxBody = storageauth.DefaultMaxCiphertext * 3 / 2
	if status, code, w := putBody(t, srv, keys.ID().String(), bytes.Repeat([]byte(" "), maxBody+1)); status != http.StatusRequestEntityTooLarge || code != "too_large" {
		t.Fatalf("body of %d bytes: %d %q %s, want 413 too_large", maxBody+1, status, code, w.Body)
	}
	if status, code, _ := putBody(t, srv, keys.ID().String(), bytes.Repeat([]byte(" "), maxBody)); status != http.StatusBadRequest || code != "malformed" {
		t.Fatalf("body of %d spaces: %d %q, want 400 malformed (read, not too large)", maxBody, status, code)
	}

	srv.MaxCiphertext = 1 << 20
	if status, code, w := put(t, srv, over); status != http.StatusNoContent {
		t.Fatalf("MaxCiphertext 1 MiB: %d %q %s, want 204", status, code, w.Body)
	}
}

type retryAfter struct{ wait time.Duration }

func (e retryAfter) Error() string             { return "slow down" }
func (e retryAfter) Unwrap() error             { return storageauth.ErrRateLimited }
func (e retryAfter) RetryAfter() time.Duration { return e.wait }

// TestAllowCreate: the hook is asked once per record stored into an empty
// slot (after the signature, never for updates), and its refusals map to
// 429 with Retry-After and 507, which the client unwraps to the sentinels.
func TestAllowCreate(t *testing.T) {
	ctx := context.Background()
	var asked []string
	var refuse error
	store := storageauth.NewMemoryStore()
	srv := storageauth.NewServer(store)
	srv.RequireRetrieveProof = true
	srv.AllowCreate = func(_ context.Context, id string) error {
		asked = append(asked, id)
		return refuse
	}
	a, b := testKeys(t, storageauth.Ed25519, 1), testKeys(t, storageauth.Ed25519, 2)

	if err := srv.Put(ctx, mustSeal(t, a, "a1", 1)); err != nil {
		t.Fatal(err)
	}
	forged := mustSeal(t, b, "x", 1)
	forged.Signature[0] ^= 1
	if err := srv.Put(ctx, forged); !errors.Is(err, storageauth.ErrInvalidSignature) {
		t.Fatalf("forged: %v", err)
	}
	refuse = storageauth.ErrFull // updates do not ask
	if err := srv.Put(ctx, mustSeal(t, a, "a2", 2)); err != nil {
		t.Fatalf("update: %v", err)
	}
	if len(asked) != 1 || asked[0] != a.ID().String() {
		t.Fatalf("AllowCreate asked for %v, want only the first record of %s", asked, a.ID())
	}

	ts := newHTTPServer(t, srv)
	c := storageauth.NewClient(ts.URL+"/slots", b, ts.Client())
	for _, tc := range []struct {
		refuse     error
		status     int
		code       string
		sentinel   error
		retryAfter string
	}{
		{storageauth.ErrFull, http.StatusInsufficientStorage, "full", storageauth.ErrFull, ""},
		{fmt.Errorf("wrapped: %w", storageauth.ErrRateLimited), http.StatusTooManyRequests, "rate_limited", storageauth.ErrRateLimited, ""},
		{retryAfter{90 * time.Second}, http.StatusTooManyRequests, "rate_limited", storageauth.ErrRateLimited, "90"},
		{retryAfter{89*time.Second + time.Millisecond}, http.StatusTooManyRequests, "rate_limited", storageauth.ErrRateLimited, "90"},
	} {
		refuse = tc.refuse
		status, code, w := put(t, srv, mustSeal(t, b, "b", 1))
		if status != tc.status || code != tc.code || w.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%v: %d %q Retry-After %q, want %d %q %q", tc.refuse, status, code,
				w.Header().Get("Retry-After"), tc.status, tc.code, tc.retryAfter)
		}
		if bytes.Contains(w.Body.Bytes(), []byte("slow down")) {
			t.Errorf("the hook's own text reached the client: %s", w.Body)
		}
		if _, err := c.Store(ctx, []byte("b")); !errors.Is(err, tc.sentinel) {
			t.Errorf("client: %v, want %v", err, tc.sentinel)
		}
	}
	if _, err := store.Get(ctx, b.ID().String()); !errors.Is(err, storageauth.ErrNotFound) {
		t.Fatal("a refused slot was stored")
	}
}
