package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
)

// recorder keeps a copy of the last request it sent (as signed).
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last *http.Request
	body []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.last, r.body = req.Clone(context.Background()), body
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// resend sends the recorded request again, byte for byte.
func (r *recorder) resend(t *testing.T) (int, string) {
	t.Helper()
	r.mu.Lock()
	req := r.last.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(r.body))
	r.mu.Unlock()
	req.RequestURI = ""
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReplayRefused: a signed request captured on the wire and sent again
// is refused (identity's replay store, here SQLite), and so is one whose
// body was changed on the way.
func TestReplayRefused(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	rec := &recorder{base: ts.Client().Transport}
	opts := ts.opts
	opts.HTTPClient = &http.Client{Transport: rec}
	s, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Storage(ctx); err != nil {
		t.Fatal(err)
	}
	status, body := rec.resend(t)
	if status != http.StatusUnauthorized || !bytes.Contains([]byte(body), []byte(`"replayed"`)) {
		t.Fatalf("replayed GET: %d %s, want 401 replayed", status, body)
	}

	if err := s.ShareWith(ctx, "nosuchitem", "bob"); err == nil {
		t.Fatal("share of a missing item succeeded")
	}
	rec.mu.Lock()
	rec.body = bytes.Replace(rec.body, []byte("bob"), []byte("eve"), 1)
	rec.mu.Unlock()
	status, body = rec.resend(t)
	if status != http.StatusUnauthorized {
		t.Fatalf("tampered replay: %d %s, want 401", status, body)
	}
}
