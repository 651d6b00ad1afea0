// Package load is a bounded load test of the vault server: a fixed number
// of clients on loopback upload, share and download for a fixed time and
// then stop. Every download is decrypted and its SHA-256 compared with the
// upload's; every HTTP request is timed and counted, and any failure is
// reported. It runs as a Go test and as the loadtest command.
package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/keystore"
)

// Caps that keep the test bounded whatever the caller asks.
const (
	MaxClients  = 64
	MaxDuration = 10 * time.Minute
	MaxFileSize = 16 << 20
)

// Options bound a run. Zero fields take the defaults in brackets.
type Options struct {
	Clients  int           // concurrent clients [8]
	Duration time.Duration // how long they run [5s]
	FileSize int           // bytes per uploaded file [64 KiB]
	// URL is a vault server on a loopback address; "" starts one in
	// process over a temporary SQLite file.
	URL string
	// Policy is the account KDF [keystore.BrowserPolicy]. Registration is
	// outside the measured window.
	Policy *keystore.Policy
}

// Report is what a run measured.
type Report struct {
	Clients                    int
	Elapsed                    time.Duration
	Requests, Failed           int64
	Uploads, Shares, Downloads int64
	Mismatches                 int64 // downloads whose SHA-256 differs from the upload's
	OpErrors                   int64 // operations that failed before the deadline (decryption included)
	RequestsPerSecond          float64
	P50, P95, P99, Max         time.Duration
	FirstError                 string
	opErr                      atomic.Value
}

func (r *Report) String() string {
	return fmt.Sprintf("%d clients, %.1fs: %d requests (%.0f/s), %d failed; %d uploads, %d shares, %d downloads, %d hash mismatches, %d failed operations; latency p50 %v p95 %v p99 %v max %v",
		r.Clients, r.Elapsed.Seconds(), r.Requests, r.RequestsPerSecond, r.Failed,
		r.Uploads, r.Shares, r.Downloads, r.Mismatches, r.OpErrors,
		r.P50.Round(time.Microsecond), r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
}

// Run runs the load test and returns its report. The error is for a run
// that could not start (a non-loopback URL, a registration that failed);
// failures during the run are counted in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.Clients = clamp(o.Clients, 8, MaxClients)
	o.FileSize = clamp(o.FileSize, 64<<10, MaxFileSize)
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	o.Duration = min(o.Duration, MaxDuration)
	if o.Policy == nil {
		o.Policy = keystore.BrowserPolicy()
	}
	base := o.URL
	if base == "" {
		u, stop, err := startServer(o.Policy)
		if err != nil {
			return nil, err
		}
		defer stop()
		base = u
	} else if err := checkLoopback(base); err != nil {
		return nil, err
	}

	rec := &recorder{base: http.DefaultTransport.(*http.Transport).Clone()}
	rec.base.(*http.Transport).MaxIdleConnsPerHost = o.Clients * 2
	opts := client.Options{URL: base, HTTPClient: &http.Client{Transport: rec}, Policy: o.Policy}

	run := make([]byte, 6)
	rand.Read(run)
	sessions := make([]*client.Session, o.Clients)
	for i := range sessions {
		s, _, err := client.Register(ctx, opts, fmt.Sprintf("load-%x-%d", run, i), fmt.Sprintf("load passphrase %x %d", run, i))
		if err != nil {
			return nil, fmt.Errorf("register client %d: %w", i, err)
		}
		defer s.Close()
		sessions[i] = s
	}
	rec.reset() // measure only the file traffic

	rep := &Report{Clients: o.Clients}
	inbox := make([]chan shared, o.Clients)
	for i := range inbox {
		inbox[i] = make(chan shared, 64)
	}
	rctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	t0 := time.Now()
	var wg sync.WaitGroup
	for i, s := range sessions {
		peer := (i + 1) % o.Clients
		wg.Go(func() {
			w := &worker{s: s, peer: sessions[peer].User(), inbox: inbox[i], out: inbox[peer], size: o.FileSize, rep: rep}
			w.loop(rctx)
		})
	}
	wg.Wait()
	rep.Elapsed = time.Since(t0)
	rec.fill(rep)
	if e, ok := rep.opErr.Load().(string); ok && rep.FirstError == "" {
		rep.FirstError = e
	}
	return rep, nil
}

type shared struct {
	id   string
	hash [32]byte
}

type worker struct {
	s     *client.Session
	peer  string
	inbox chan shared
	out   chan shared
	size  int
	rep   *Report
}

// loop uploads a file, shares it with the peer, downloads it back, and
// downloads one file the previous client shared, until ctx ends.
func (w *worker) loop(ctx context.Context) {
	buf := make([]byte, w.size)
	for ctx.Err() == nil {
		rand.Read(buf)
		sum := sha256.Sum256(buf)
		it, err := w.s.Upload(ctx, "load.bin", bytes.NewReader(buf), int64(len(buf)), nil)
		if !w.ok(ctx, err) {
			return
		}
		atomic.AddInt64(&w.rep.Uploads, 1)
		if !w.ok(ctx, w.s.ShareWith(ctx, it.ID, w.peer)) {
			return
		}
		atomic.AddInt64(&w.rep.Shares, 1)
		select {
		case w.out <- shared{it.ID, sum}:
		default: // the peer is behind; it has enough to download
		}
		if !w.download(ctx, shared{it.ID, sum}) {
			return
		}
		select {
		case sh := <-w.inbox:
			if !w.download(ctx, sh) {
				return
			}
		default:
		}
	}
}

func (w *worker) download(ctx context.Context, sh shared) bool {
	h := sha256.New()
	_, err := w.s.Download(ctx, sh.id, h)
	if !w.ok(ctx, err) {
		return false
	}
	atomic.AddInt64(&w.rep.Downloads, 1)
	if !bytes.Equal(h.Sum(nil), sh.hash[:]) {
		atomic.AddInt64(&w.rep.Mismatches, 1)
	}
	return true
}

// ok reports whether to go on: an error after the deadline ends the loop
// quietly (the recorder does not count requests cut by it); any other
// error is a failure, and the worker keeps going.
func (w *worker) ok(ctx context.Context, err error) bool {
	if err == nil {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	if atomic.AddInt64(&w.rep.OpErrors, 1) == 1 {
		w.rep.opErr.Store(err.Error())
	}
	return true
}

// recorder times every HTTP request and counts failures: transport errors
// and error statuses, except those caused by the run's own deadline.
type recorder struct {
	base http.RoundTripper

	mu       sync.Mutex
	lat      []time.Duration
	failed   int64
	firstErr string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	t0 := time.Now()
	resp, err := r.base.RoundTrip(req)
	d := time.Since(t0)
	if err != nil && errors.Is(req.Context().Err(), context.DeadlineExceeded) {
		return resp, err // cut by the end of the run
	}
	r.mu.Lock()
	r.lat = append(r.lat, d)
	switch {
	case err != nil:
		r.fail(err.Error())
	case resp.StatusCode >= 400:
		r.fail(fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, resp.Status))
	}
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) fail(msg string) {
	r.failed++
	if r.firstErr == "" {
		r.firstErr = msg
	}
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.lat, r.failed, r.firstErr = nil, 0, ""
	r.mu.Unlock()
}

func (r *recorder) fill(rep *Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep.Requests, rep.Failed, rep.FirstError = int64(len(r.lat)), r.failed, r.firstErr
	if rep.Elapsed > 0 {
		rep.RequestsPerSecond = float64(len(r.lat)) / rep.Elapsed.Seconds()
	}
	if len(r.lat) == 0 {
		return
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	rep.P50, rep.P95, rep.P99, rep.Max = pct(0.50), pct(0.95), pct(0.99), s[len(s)-1]
}

// startServer runs the vault server in process on 127.0.0.1.
func startServer(pol *keystore.Policy) (string, func(), error) {
	dir, err := os.MkdirTemp("", "sealkit-loadtest-")
	if err != nil {
		return "", nil, err
	}
	stores, err := server.OpenSQLite(context.Background(), filepath.Join(dir, "vault.db"))
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stores.Close()
		os.RemoveAll(dir)
		return "", nil, err
	}
	pepper := make([]byte, 32)
	rand.Read(pepper)
	cfg := server.Config{Stores: stores, Pepper: pepper, Authority: ln.Addr().String(), InsecureLoopback: true}
	if pol.InsecureAllowWeak {
		cfg.KDFPolicy = pol
	}
	h, err := server.New(cfg)
	if err != nil {
		ln.Close()
		stores.Close()
		os.RemoveAll(dir)
		return "", nil, err
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	return ts.URL, func() {
		ts.Close()
		stores.Close()
		os.RemoveAll(dir)
	}, nil
}

// checkLoopback refuses a target that is not on this machine: a load test
// must not be pointed at someone else's server.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("load test refuses %s: not a loopback address", u.Hostname())
		}
	}
	if len(ips) == 0 {
		return errors.New("load test: no address")
	}
	return nil
}

func clamp(v, def, hi int) int {
	if v <= 0 {
		return def
	}
	return min(v, hi)
}
