package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/identity"
)

// patience bounds every wait in these tests. It is no threshold: the
// awaited event happens at once (or after a deadline the test sets far
// below it) unless the limit under test is missing.
const patience = 20 * time.Second

// serveLimited runs Server.Serve (with its connection limiter and
// timeouts) on a loopback port over plain HTTP, with tweak applied.
func serveLimited(t *testing.T, tweak func(*server.Config)) (addr string, opts client.Options) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stores, err := server.OpenSQLite(ctx, filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pepper := make([]byte, 32)
	rand.Read(pepper)
	cfg := server.Config{Stores: stores, Pepper: pepper, Authority: ln.Addr().String(), InsecureLoopback: true,
		KDFPolicy: weakPolicy, ShutdownGrace: time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		<-served
		stores.Close()
	})
	return ln.Addr().String(), client.Options{URL: "http://" + ln.Addr().String(), Policy: weakPolicy}
}

var errCaptured = errors.New("captured, not sent")

// captureRT keeps the signed request instead of sending it.
type captureRT struct{ req *http.Request }

func (c *captureRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	return nil, errCaptured
}

// signedHead signs a request with size body bytes as s would and returns
// its head as bytes for the wire: request line and headers, with
// Content-Length size, but no body. The signature is unspent.
func signedHead(t *testing.T, s *client.Session, method, url string, size int) []byte {
	t.Helper()
	tr := *s.HTTPClient().Transport.(*identity.Transport)
	capture := &captureRT{}
	tr.Base = capture
	req, err := http.NewRequest(method, url, bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if _, err := tr.RoundTrip(req); !errors.Is(err, errCaptured) {
		t.Fatal(err)
	}
	r := capture.req
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.URL.RequestURI(), r.URL.Host, size)
	r.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntilClosed reads c until the server closes it, and fails if that
// takes longer than patience.
func readUntilClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", patience)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSignedHeadersDoNotPinContentLength: one validly signed upload's
// headers, declaring a large body, sent on many connections with no body:
// the replays are refused at once, and the server's heap does not grow by
// Content-Length per connection.
func TestSignedHeadersDoNotPinContentLength(t *testing.T) {
	const (
		object   = 8 << 20
		declared = object
		conns    = 12
	)
	ts := start(t, func(c *server.Config) { c.MaxObjectSize = object })
	alice := ts.register(t, "alice")
	head := signedHead(t, alice, "POST", ts.URL+"/api/v1/items", declared)
	before := heapInUse()
	replies := make(chan string, conns)
	for range conns {
		c := dial(t, ts.Listener.Addr().String())
		if _, err := c.Write(head); err != nil {
			t.Fatal(err)
		}
		go func() {
			c.SetReadDeadline(time.Now().Add(patience))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				replies <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			replies <- fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
		}()
	}
	// One connection won the nonce and waits for its body; every other
	// one must be answered as a replay.
	for i := range conns - 1 {
		if got := <-replies; got != `401 {"error":"replayed"}` {
			t.Errorf("connection reply %d: %s, want 401 replayed", i, got)
			break
		}
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap grew by %d bytes for %d connections declaring %d bytes each", grown, conns, declared)
	if grown > 2*declared {
		t.Fatalf("heap grew by %d bytes for %d connections declaring %d bytes each", grown, conns, declared)
	}
}

// TestRouteBodyCaps: a small route refuses a signed request whose body
// exceeds its own cap (not the upload route's) before reading it.
func TestRouteBodyCaps(t *testing.T) {
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	big := bytes.Repeat([]byte(" "), 1<<20)
	for _, path := range []string{"/api/v1/token", "/api/v1/shares", "/api/v1/items/x/delete"} {
		resp, err := alice.HTTPClient().Post(ts.URL+path, "application/json", bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a 1 MiB body: %d %s, want 413", path, resp.StatusCode, b)
		}
	}
}

// TestSlowBodyDropped: a request whose body stops arriving is cut off at
// its read deadline: the server answers or not, and closes the
// connection (its handler has returned).
func TestSlowBodyDropped(t *testing.T) {
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.Limits.ReadTimeout = 100 * time.Millisecond
		c.Limits.MinTransferRate = 1 << 40 // uploads get ReadTimeout too
	})
	alice, _, err := client.Register(context.Background(), opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	tests := map[string][]byte{
		"anonymous login": []byte("POST /api/v1/login HTTP/1.1\r\nHost: " + addr +
			"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\":"),
		"signed upload": signedHead(t, alice, "POST", opts.URL+"/api/v1/items", 1<<20),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			readUntilClosed(t, c)
		})
	}
}

// roundTrip sends one GET on c and reads the response.
func roundTrip(c net.Conn, br *bufio.Reader, addr string) error {
	c.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(c, "GET /api/v1/usage HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// TestConnLimitPerAddr: a client address may hold MaxConnsPerAddr
// connections; the next one is closed at accept, and a place freed by a
// closed connection can be taken again.
func TestConnLimitPerAddr(t *testing.T) {
	const limit = 2
	addr, _ := serveLimited(t, func(c *server.Config) { c.Limits.MaxConnsPerAddr = limit })
	var held []net.Conn
	for range limit {
		c := dial(t, addr)
		if err := roundTrip(c, bufio.NewReader(c), addr); err != nil {
			t.Fatalf("connection within the limit: %v", err)
		}
		held = append(held, c)
	}
	extra := dial(t, addr)
	if err := roundTrip(extra, bufio.NewReader(extra), addr); err == nil {
		t.Fatalf("connection %d from one address was served", limit+1)
	}
	if err := roundTrip(held[0], bufio.NewReader(held[0]), addr); err != nil {
		t.Fatalf("a held connection was dropped: %v", err)
	}
	held[0].Close()
	stop := time.Now().Add(patience)
	for {
		c := dial(t, addr)
		err := roundTrip(c, bufio.NewReader(c), addr)
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("no connection accepted after one was closed: %v", err)
		}
	}
}

// probe sends a signed POST with a body of n bytes and returns the status
// and Retry-After.
func probe(t *testing.T, s *client.Session, url string, n int) (int, string) {
	t.Helper()
	resp, err := s.HTTPClient().Post(url+"/api/v1/token", "application/json", bytes.NewReader(bytes.Repeat([]byte(" "), n)))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// awaitStatus probes until the answer is want, for at most patience.
func awaitStatus(t *testing.T, s *client.Session, url string, n, want int) string {
	t.Helper()
	stop := time.Now().Add(patience)
	for {
		status, retry := probe(t, s, url, n)
		if status == want {
			return retry
		}
		if time.Now().After(stop) {
			t.Fatalf("%s: still %d, want %d", s.User(), status, want)
		}
	}
}

// TestBodyBudget: a user holding an upload's worth of body budget (its
// headers and most of its body sent, the rest not) is refused further
// bodies with 429 and Retry-After before they are read; when the global
// budget is that full, another user gets 503 busy; once the upload ends
// both budgets are free.
func TestBodyBudget(t *testing.T) {
	const object = 1 << 10
	perUser := int64(object + 8<<20 + 4) // the smallest allowed: one largest upload
	ts := start(t, func(c *server.Config) {
		c.MaxObjectSize = object
		c.Limits.MaxInflightBytesPerUser = perUser
		c.Limits.MaxInflightBytes = perUser
	})
	alice := ts.register(t, "alice")
	bob := ts.register(t, "bob")
	hold, retry := holdBody(t, alice, ts.Listener.Addr().String(), ts.URL, int(perUser)-100, perUser-150, 200)
	if retry == "" {
		t.Error("429 without Retry-After")
	}
	if status, retry := probe(t, bob, ts.URL, 200); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("another user over the global budget: %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
	if status, _ := probe(t, bob, ts.URL, 50); status != http.StatusOK {
		t.Errorf("another user within the global budget: %d, want 200", status)
	}
	hold.Close()
	awaitStatus(t, bob, ts.URL, 200, http.StatusOK)
	awaitStatus(t, alice, ts.URL, 200, http.StatusOK)
}
