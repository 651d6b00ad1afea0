package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/servertls"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// holdUpload sends a signed upload's head declaring size body bytes, and
// no body, on a new connection, and returns once the server has verified
// its signature and spent its nonce (so it has been admitted to the body
// budget and now waits for the body): a copy of the head declaring no
// body is then refused as replayed. If the copy won the nonce instead, it
// tries again with a new signature.
func holdUpload(t *testing.T, s *client.Session, addr, url string, size int) {
	t.Helper()
	for range 10 {
		head := signedHead(t, s, "POST", url+"/api/v1/items", size)
		if _, err := dial(t, addr).Write(head); err != nil {
			t.Fatal(err)
		}
		c := dial(t, addr)
		empty := bytes.Replace(head, []byte(fmt.Sprintf("Content-Length: %d\r\n", size)), []byte("Content-Length: 0\r\n"), 1)
		if _, err := c.Write(empty); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(patience))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode == http.StatusUnauthorized && strings.Contains(string(b), "replayed") {
			return
		}
	}
	t.Fatal("no upload head held")
}

// holdBody sends a signed upload declaring size body bytes and sends
// send of them, then probes s with n-byte bodies until s is refused with
// 429 (its budget now holds the bytes sent), and returns the held
// connection and the refusal's Retry-After. A probe admitted while the
// upload's bytes are still arriving can take the budget they need, which
// cuts the upload off; then it starts again with a new signature.
func holdBody(t *testing.T, s *client.Session, addr, url string, size int, send int64, n int) (net.Conn, string) {
	t.Helper()
	stop := time.Now().Add(patience)
	for {
		hold := dial(t, addr)
		if _, err := hold.Write(signedHead(t, s, "POST", url+"/api/v1/items", size)); err != nil {
			t.Fatal(err)
		}
		if _, err := hold.Write(make([]byte, send)); err != nil {
			t.Fatal(err)
		}
		cut := make(chan struct{})
		go func() {
			io.Copy(io.Discard, hold) // only a cut-off upload is answered
			close(cut)
		}()
		for alive := true; alive; {
			select {
			case <-cut:
				alive = false
				continue
			default:
			}
			if status, retry := probe(t, s, url, n); status == http.StatusTooManyRequests {
				return hold, retry
			}
			if time.Now().After(stop) {
				t.Fatalf("%s: never refused while holding %d body bytes", s.User(), send)
			}
		}
		hold.Close()
	}
}

// TestUploadsHoldNoBudgetWithoutBytes: signed uploads declaring the
// largest body, from accounts holding a whole server's budget between
// them, but sending no body byte, hold none of it: another user's bodies
// are admitted.
func TestUploadsHoldNoBudgetWithoutBytes(t *testing.T) {
	const object = 1 << 10
	upload := int64(object + 8<<20 + 4)
	perUser := 2 * upload
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.MaxObjectSize = object
		c.Limits.MaxInflightBytes = 2 * perUser
	})
	ctx := context.Background()
	bob, _, err := client.Register(ctx, opts, "bob", "correct horse bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	for _, u := range []string{"mallory1", "mallory2"} {
		m, _, err := client.Register(ctx, opts, u, "correct horse "+u)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		for range 2 {
			holdUpload(t, m, addr, opts.URL, int(upload))
		}
	}
	if status, retry := probe(t, bob, opts.URL, 200); status != http.StatusOK {
		t.Fatalf("bob while 4 uploads declaring %d bytes each send nothing: %d Retry-After %q, want 200", upload, status, retry)
	}
}

// TestStalledUploadCutOff: an upload whose Content-Length would buy it
// minutes at MinTransferRate is cut off after ReadTimeout once it sends
// nothing, or sends slower than the rate.
func TestStalledUploadCutOff(t *testing.T) {
	const size = 1 << 20 // 1024 s at 1 KiB/s
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.MaxObjectSize = size
		c.Limits.ReadTimeout = 100 * time.Millisecond
		c.Limits.MinTransferRate = 1 << 10
	})
	alice, _, err := client.Register(context.Background(), opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	for _, trickle := range []bool{false, true} {
		t.Run(fmt.Sprintf("trickle=%v", trickle), func(t *testing.T) {
			c := dial(t, addr)
			if _, err := c.Write(signedHead(t, alice, "POST", opts.URL+"/api/v1/items", size)); err != nil {
				t.Fatal(err)
			}
			if trickle { // 100 bytes a second, a tenth of the rate
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					tick := time.NewTicker(10 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if _, err := c.Write([]byte{0}); err != nil {
								return
							}
						}
					}
				}()
			}
			readUntilClosed(t, c)
		})
	}
}

// TestAnonymousBodiesApartFromUsers: anonymous storageauth PUTs holding
// body bytes from two addresses, as many as would fill the users' budget
// at storageauth's largest record each, do not take the budget users'
// bodies need.
func TestAnonymousBodiesApartFromUsers(t *testing.T) {
	const object = 1 << 10
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.MaxObjectSize = object
		c.Limits.MaxInflightBytesPerUser = object + 8<<20 + 4 + 8<<20
		c.Limits.MaxInflightBytes = 12 * storageauth.MaxRecordBytes
	})
	bob, _, err := client.Register(context.Background(), opts, "bob", "correct horse bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	const part = 90 << 10 // below storageauth's 96 KiB body cap
	for i := range 12 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%2))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT /storageauth/AAAA HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n%x\r\n%s\r\n",
			addr, part, bytes.Repeat([]byte(" "), part))
	}
	if status, retry := probe(t, bob, opts.URL, 200); status != http.StatusOK {
		t.Fatalf("bob while 12 anonymous PUTs hold their bodies: %d Retry-After %q, want 200", status, retry)
	}
}

// TestStorageBodyCap: the storageauth route's cap is what storageauth
// reads, so a larger Content-Length is refused by the route, before the
// body, closing the connection.
func TestStorageBodyCap(t *testing.T) {
	ts := start(t, nil)
	req, err := http.NewRequest("PUT", ts.URL+"/storageauth/AAAA", bytes.NewReader(make([]byte, 100<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Fatalf("PUT of 100 KiB: %d, Connection: close %v; want 413, closed", resp.StatusCode, resp.Close)
	}
}

// serveTLS runs Server.Serve over TLS (so clients may speak HTTP/2) on
// a loopback port, with tweak applied, and returns its URL and a client
// trusting it.
func serveTLS(t *testing.T, tweak func(*server.Config)) (string, *http.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tlsCfg, certPEM, _, err := servertls.SelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stores, err := server.OpenSQLite(ctx, t.TempDir()+"/v.db")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Stores: stores, Pepper: make([]byte, 32), KDFPolicy: weakPolicy,
		Limits: httplimit.Config{ReadTimeout: 2 * patience}, ShutdownGrace: time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { h.Serve(ctx, ln, tlsCfg); close(done) }()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		cancel()
		<-done
		stores.Close()
	})
	return "https://" + ln.Addr().String(), &http.Client{Transport: tr}
}

// holdRequests starts n anonymous POSTs whose bodies never end, so each
// stays in flight at the server until the test ends unless the server
// refuses it first; trace sees their connections. The answers that come
// back while the test runs are sent on the channel.
func holdRequests(t *testing.T, hc *http.Client, url string, n int, trace *httptrace.ClientTrace) <-chan *http.Response {
	answers := make(chan *http.Response, n)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for range n {
		pr, pw := io.Pipe()
		t.Cleanup(func() { pw.Close() })
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/login", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		wg.Add(2)
		go func() {
			defer wg.Done()
			if r, err := hc.Do(req); err == nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				answers <- r
			}
		}()
		go func() {
			defer wg.Done()
			pw.Write([]byte(`{"user":`)) // the request's body starts, and never ends
		}()
	}
	return answers
}

// getStatus GETs url over HTTP/2 and returns the status and Retry-After.
func getStatus(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("served over %s, want HTTP/2", resp.Proto)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestHTTP2StreamsPerConn: over HTTP/2 a connection carries at most 16
// requests at once, so a client holding more open needs more connections
// (which MaxConnsPerAddr counts).
func TestHTTP2StreamsPerConn(t *testing.T) {
	url, hc := serveTLS(t, nil)
	getStatus(t, hc, url+"/api/v1/usage") // the server's settings are in
	var mu sync.Mutex
	conns := map[string]bool{}
	trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		mu.Lock()
		conns[ci.Conn.LocalAddr().String()] = true
		mu.Unlock()
	}}
	holdRequests(t, hc, url, 24, trace)
	stop := time.Now().Add(patience)
	for {
		mu.Lock()
		n := len(conns)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("24 requests held open over %d connection(s), want at least 2 (16 streams each)", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHTTP2RequestsPerAddr: a client address may have MaxRequestsPerAddr
// requests in flight even over one HTTP/2 connection: one more is
// refused with 429 and Retry-After. All limit+1 requests are held open,
// so whichever reaches the server last is the one refused: a probe sent
// after the held requests could overtake one of them, which would then
// be refused in its place and leave the probe under the limit.
func TestHTTP2RequestsPerAddr(t *testing.T) {
	const limit = 4
	url, hc := serveTLS(t, func(c *server.Config) { c.Limits.MaxRequestsPerAddr = limit })
	getStatus(t, hc, url+"/api/v1/usage") // the server's settings are in
	var mu sync.Mutex
	conns := map[string]bool{}
	trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
		mu.Lock()
		conns[ci.Conn.LocalAddr().String()] = true
		mu.Unlock()
	}}
	answers := holdRequests(t, hc, url, limit+1, trace)
	select {
	case r := <-answers:
		if r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("with %d requests in flight from one address, one more: %d, want 429", limit, r.StatusCode)
		}
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		if r.ProtoMajor != 2 {
			t.Errorf("served over %s, want HTTP/2", r.Proto)
		}
	case <-time.After(patience):
		t.Fatalf("%d requests in flight from one address, none refused", limit+1)
	}
	// The refused request was the last of limit+1 to reach the server, so
	// every one of them had its connection by then.
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("%d requests over %d connections, want 1", limit+1, len(conns))
	}
}

// rawDownload is a signed download request for item as bytes for the
// wire.
func rawDownload(t *testing.T, s *client.Session, baseURL, item string) []byte {
	t.Helper()
	ev := share.NewEvent(s.Share().SigningKey, share.ActionDownload, s.User(), item, "")
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	tr := *s.HTTPClient().Transport.(*identity.Transport)
	capture := &captureRT{}
	tr.Base = capture
	req, err := http.NewRequest("POST", baseURL+"/api/v1/items/"+item+"/download", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := tr.RoundTrip(req); !errors.Is(err, errCaptured) {
		t.Fatal(err)
	}
	r := capture.req
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.URL.RequestURI(), r.URL.Host, len(body))
	r.Header.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// TestDownloadsPerUser: a user's downloads whose client reads nothing,
// from 8 addresses, each hold a blob chunk; at most
// DefaultMaxDownloadsPerUser are served at once, the rest refused with
// 429 and Retry-After, and the heap grows by little.
func TestDownloadsPerUser(t *testing.T) {
	const size = 16 << 20
	addr, opts := serveLimited(t, nil)
	ctx := context.Background()
	alice, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	it, err := alice.Upload(ctx, "f", bytes.NewReader(make([]byte, size)), size, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	var conns []net.Conn
	for a := range 8 {
		for range 4 {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+a))}}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(4 << 10)
			}
			if _, err := c.Write(rawDownload(t, alice, opts.URL, it.ID)); err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
	}
	served, refused := 0, 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(patience))
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 16), nil)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			served++
		case http.StatusTooManyRequests:
			refused++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Errorf("download: %d", resp.StatusCode)
		}
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("%d unread downloads (8 addresses × 4): %d served, %d refused; heap grew by %d MiB", len(conns), served, refused, grown>>20)
	if served != server.DefaultMaxDownloadsPerUser {
		t.Errorf("%d downloads served at once, want %d", served, server.DefaultMaxDownloadsPerUser)
	}
}

// TestStalledDownloadCutOff: a download whose client stops reading is cut
// off WriteTimeout after it falls behind MinTransferRate, not after the
// time the largest object would take: its place is free again and its
// response is cut short.
func TestStalledDownloadCutOff(t *testing.T) {
	const size = 16 << 20
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.Limits.WriteTimeout = 2 * time.Second
		c.Limits.MinTransferRate = 1 << 20 // the largest object would get 64 s
		c.MaxDownloadsPerUser = 1
	})
	ctx := context.Background()
	alice, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	big, err := alice.Upload(ctx, "big", bytes.NewReader(make([]byte, size)), size, nil)
	if err != nil {
		t.Fatal(err)
	}
	small, err := alice.Upload(ctx, "small", strings.NewReader("s"), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(64 << 10) // the stalled response fills the socket buffers and blocks
	}
	if _, err := c.Write(rawDownload(t, alice, opts.URL, big.ID)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(patience))
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 16), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first download: %v %v", resp, err)
	}
	stop := time.Now().Add(patience)
	for {
		_, err := alice.Download(ctx, small.ID, io.Discard)
		if err == nil {
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("second download while the first stalls: %v", err)
		}
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	if n >= size {
		t.Fatalf("stalled download delivered %d bytes after its place was freed, want it cut short of %d", n, size)
	}
}

// slowWriter waits on every write, so a download into it takes many
// times WriteTimeout while staying far above the rate.
type slowWriter struct{}

func (slowWriter) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return len(p), nil
}

// TestLongTransfersNotCutOff: an upload and a download that keep
// MinTransferRate but take many times ReadTimeout and WriteTimeout finish.
func TestLongTransfersNotCutOff(t *testing.T) {
	const size = 16 << 20
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.Limits.ReadTimeout = time.Second
		c.Limits.WriteTimeout = time.Second
		c.Limits.MinTransferRate = 64 << 10
	})
	ctx := context.Background()
	alice, _, err := client.Register(ctx, opts, "alice", "correct horse alice")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	it, err := alice.Upload(ctx, "big", bytes.NewReader(make([]byte, size)), size, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An upload sent in pieces, with pauses, taking longer than ReadTimeout.
	const upload = 2 << 20
	c := dial(t, addr)
	if _, err := c.Write(signedHead(t, alice, "POST", opts.URL+"/api/v1/items", upload)); err != nil {
		t.Fatal(err)
	}
	piece := make([]byte, 64<<10)
	for range upload / len(piece) { // 3.2 s, ten times the rate
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(patience))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	// The body is no share upload frame: share's answer says the body was
	// read to its end (cut off, it is 401 malformed_signature or nothing).
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "invalid") {
		t.Fatalf("slow upload: %d %s, want share's 400 invalid", resp.StatusCode, b)
	}

	start := time.Now()
	if _, err := alice.Download(ctx, it.ID, slowWriter{}); err != nil {
		t.Fatalf("download after %v: %v", time.Since(start), err)
	}
	t.Logf("download took %v", time.Since(start))
}

// readStatus reads one response from c and returns its status, body and
// Retry-After.
func readStatus(t *testing.T, c net.Conn) (int, string, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header.Get("Retry-After")
}

// TestBudgetRunsOutWhileSending: a signed body without Content-Length
// (so admitted before its size is known) that runs over its user's budget
// while arriving is cut off, and its client told 429 rate_limited with
// Retry-After, not the Verifier's answer to a broken body.
func TestBudgetRunsOutWhileSending(t *testing.T) {
	const object = 1 << 10
	perUser := int64(object + 8<<20 + 4)
	ts := start(t, func(c *server.Config) {
		c.MaxObjectSize = object
		c.Limits.MaxInflightBytesPerUser = perUser
	})
	alice := ts.register(t, "alice")
	addr := ts.Listener.Addr().String()
	holdBody(t, alice, addr, ts.URL, int(perUser)-100, perUser-1000, 2000)
	const size = 4000
	head := signedHead(t, alice, "POST", ts.URL+"/api/v1/token", size)
	head = bytes.Replace(head, []byte(fmt.Sprintf("Content-Length: %d\r\n", size)), []byte("Transfer-Encoding: chunked\r\n"), 1)
	c := dial(t, addr)
	fmt.Fprintf(c, "%s%x\r\n%s\r\n0\r\n\r\n", head, size, make([]byte, size))
	status, body, retry := readStatus(t, c)
	if status != http.StatusTooManyRequests || !strings.Contains(body, server.CodeRateLimited) || retry == "" {
		t.Fatalf("chunked body over the budget: %d %s, Retry-After %q; want 429 rate_limited with Retry-After", status, body, retry)
	}
}

// TestAnonymousPool: anonymous bodies held from two addresses fill the
// anonymous pool; a third address's anonymous request is cut off with 503
// busy and Retry-After, while a user's signed request is served.
func TestAnonymousPool(t *testing.T) {
	const per = 256 << 10
	addr, opts := serveLimited(t, func(c *server.Config) {
		c.Limits.MaxAnonInflightBytesPerAddr = per
		c.Limits.MaxAnonInflightBytes = 2 * per
		// The two held bodies must stay held while the probe retries: on a
		// loaded machine the default ReadTimeout could cut them first.
		c.Limits.ReadTimeout = 3 * patience
	})
	bob, _, err := client.Register(context.Background(), opts, "bob", "correct horse bob")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	for i := range 2 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/v1/register HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			addr, per, bytes.Repeat([]byte(" "), per-1000))
	}
	// Without Content-Length, so it runs out while sending: the route's
	// handler sees a broken body, its client the budget's refusal.
	login := fmt.Sprintf("POST /api/v1/login/start HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
		addr, 3000, bytes.Repeat([]byte(" "), 3000))
	stop := time.Now().Add(patience)
	for {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 4)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, login)
		status, body, retry := readStatus(t, c)
		c.Close()
		if status == http.StatusServiceUnavailable {
			if !strings.Contains(body, server.CodeBusy) || retry == "" {
				t.Errorf("anonymous request over the pool: %d %s, Retry-After %q", status, body, retry)
			}
			break
		}
		if time.Now().After(stop) {
			t.Fatalf("anonymous request with the anonymous pool full: %d %s, want 503 busy", status, body)
		}
	}
	if status, _ := probe(t, bob, opts.URL, 200); status != http.StatusOK {
		t.Fatalf("bob with the anonymous pool full: %d, want 200", status)
	}
}
