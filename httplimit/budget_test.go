package httplimit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/httplimit"
)

// held is a request body that sends n bytes, signals reached once they
// have all been taken (its next Read has begun), and then blocks until
// release is closed, ending the body.
type held struct {
	n       int
	reached chan struct{}
	release chan struct{}
}

func newHeld(n int) *held {
	return &held{n: n, reached: make(chan struct{}), release: make(chan struct{})}
}

func (h *held) Read(p []byte) (int, error) {
	if h.n > 0 {
		k := min(h.n, len(p))
		clear(p[:k])
		h.n -= k
		return k, nil
	}
	if h.reached != nil {
		close(h.reached)
		h.reached = nil
	}
	<-h.release
	return 0, io.EOF
}

// users is a handler that authenticates by the X-User header (admitting
// the body to that user, or to the client address without one) and
// reads the whole body.
func users(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if u := r.Header.Get("X-User"); u != "" {
			err = httplimit.Admit(r, u)
		} else {
			err = httplimit.AdmitAnonymous(r)
		}
		if err != nil {
			httplimit.PrepareRefusal(w, r, err)
			http.Error(w, err.Error(), http.StatusTeapot) // the test only looks at err's class
			return
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "broken body", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// request builds a request from addr for user ("" for none) with body,
// declaring size (-1: no Content-Length).
func request(addr, user string, body io.Reader, size int64) *http.Request {
	r := httptest.NewRequest("POST", "/", body)
	r.RemoteAddr = addr
	r.ContentLength = size
	if user != "" {
		r.Header.Set("X-User", user)
	}
	return r
}

func newLimits(t *testing.T, c httplimit.Config) *httplimit.Limits {
	t.Helper()
	l, err := httplimit.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var b struct{ Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("answer %d %q is no error body: %v", w.Code, w.Body, err)
	}
	return b.Error
}

// hold starts a request on h whose body sends n bytes and stays open,
// and returns once those bytes are charged; the returned func ends it and
// waits for its answer.
func hold(t *testing.T, h http.Handler, addr, user string, n int, declared int64) func() *httptest.ResponseRecorder {
	t.Helper()
	b := newHeld(n)
	reached := b.reached
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(h, request(addr, user, b, declared)) }()
	select {
	case <-reached:
	case w := <-done:
		t.Fatalf("held request answered early: %d %s", w.Code, w.Body)
	}
	return func() *httptest.ResponseRecorder {
		close(b.release)
		return <-done
	}
}

// TestDeclaredSizeRefusedBeforeBody: a Content-Length over the route's cap
// is 413, and one that does not fit the caller's budget now is 429 (its
// share) or 503 (the pool), all before the handler reads a byte, with
// Connection: close.
func TestDeclaredSizeRefusedBeforeBody(t *testing.T) {
	l := newLimits(t, httplimit.Config{MaxInflightBytes: 3000, MaxInflightBytesPerUser: 2000})
	h := l.Handler(l.Route(httplimit.Route{MaxBody: 2000, Authenticates: true}, users(t)))
	if w := serve(h, request("192.0.2.1:1", "alice", strings.NewReader("x"), 2001)); w.Code != http.StatusRequestEntityTooLarge ||
		code(t, w) != httplimit.CodeTooLarge || w.Header().Get("Connection") != "close" {
		t.Fatalf("over the cap: %d %s %v", w.Code, w.Body, w.Header())
	}
	end := hold(t, h, "192.0.2.1:1", "alice", 1500, 2000)
	for _, tc := range []struct {
		user   string
		size   int64
		status int
	}{
		{"alice", 600, http.StatusTeapot}, // alice's 1500 + 600 > 2000
		{"bob", 1600, http.StatusTeapot},  // all users' 1500 + 1600 > 3000
		{"bob", 1500, http.StatusNoContent},
		{"alice", 500, http.StatusNoContent},
	} {
		w := serve(h, request("192.0.2.2:1", tc.user, strings.NewReader(strings.Repeat("x", int(tc.size))), tc.size))
		if w.Code != tc.status {
			t.Errorf("%s declaring %d: %d %s, want %d", tc.user, tc.size, w.Code, w.Body, tc.status)
		}
		if tc.status == http.StatusTeapot && (w.Header().Get("Retry-After") != "2" || w.Header().Get("Connection") != "close") {
			t.Errorf("%s declaring %d: headers %v, want Retry-After 2 and Connection: close", tc.user, tc.size, w.Header())
		}
	}
	if w := end(); w.Code != http.StatusNoContent {
		t.Fatalf("held request: %d %s", w.Code, w.Body)
	}
}

// TestBytesChargedAsTheyArrive: requests declaring a whole budget but
// sending nothing hold none of it.
func TestBytesChargedAsTheyArrive(t *testing.T) {
	l := newLimits(t, httplimit.Config{MaxInflightBytes: 1000, MaxInflightBytesPerUser: 1000})
	h := l.Handler(l.Route(httplimit.Route{MaxBody: 1000, Authenticates: true}, users(t)))
	var ends []func() *httptest.ResponseRecorder
	for range 3 {
		ends = append(ends, hold(t, h, "192.0.2.1:1", "mallory", 0, 1000))
	}
	if w := serve(h, request("192.0.2.2:1", "bob", strings.NewReader(strings.Repeat("x", 1000)), 1000)); w.Code != http.StatusNoContent {
		t.Fatalf("bob while three requests declare the budget and send nothing: %d %s", w.Code, w.Body)
	}
	for _, end := range ends {
		end()
	}
}

// TestBudgetRunsOutWhileSending: a body without Content-Length that runs
// over its budget fails the handler's read, and the client is told the
// budget's refusal (429 or 503 with Retry-After), not the handler's
// answer; once the holder ends, the budget is whole again.
func TestBudgetRunsOutWhileSending(t *testing.T) {
	for _, tc := range []struct {
		name, holder, user string
		status             int
		code               string
	}{
		{"per user", "alice", "alice", http.StatusTooManyRequests, httplimit.CodeRateLimited},
		{"all users", "alice", "bob", http.StatusServiceUnavailable, httplimit.CodeBusy},
		{"per address", "", "", http.StatusTooManyRequests, httplimit.CodeRateLimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimits(t, httplimit.Config{MaxInflightBytes: 1000, MaxInflightBytesPerUser: 1000,
				MaxAnonInflightBytes: 2000, MaxAnonInflightBytesPerAddr: 1000})
			h := l.Handler(l.Route(httplimit.Route{MaxBody: 1000, Authenticates: true}, users(t)))
			end := hold(t, h, "192.0.2.1:1", tc.holder, 900, -1)
			w := serve(h, request("192.0.2.1:2", tc.user, strings.NewReader(strings.Repeat("x", 200)), -1))
			if w.Code != tc.status || code(t, w) != tc.code || w.Header().Get("Retry-After") != "2" {
				t.Fatalf("%d %s Retry-After %q, want %d %s with Retry-After 2", w.Code, w.Body, w.Header().Get("Retry-After"), tc.status, tc.code)
			}
			end()
			if w := serve(h, request("192.0.2.1:2", tc.user, strings.NewReader(strings.Repeat("x", 1000)), -1)); w.Code != http.StatusNoContent {
				t.Fatalf("after the holder ended: %d %s", w.Code, w.Body)
			}
		})
	}
}

// TestAnonymousPoolApart: anonymous bodies filling their pool refuse more
// anonymous bodies (503 busy) but not a user's.
func TestAnonymousPoolApart(t *testing.T) {
	l := newLimits(t, httplimit.Config{MaxInflightBytes: 1000, MaxInflightBytesPerUser: 1000,
		MaxAnonInflightBytes: 1000, MaxAnonInflightBytesPerAddr: 600})
	h := l.Handler(l.Route(httplimit.Route{MaxBody: 600}, users(t)))
	auth := l.Handler(l.Route(httplimit.Route{MaxBody: 600, Authenticates: true}, users(t)))
	end1 := hold(t, h, "192.0.2.1:1", "", 500, -1)
	end2 := hold(t, h, "192.0.2.2:1", "", 500, -1)
	if w := serve(h, request("192.0.2.3:1", "", strings.NewReader("x"), 1)); w.Code != http.StatusServiceUnavailable || code(t, w) != httplimit.CodeBusy {
		t.Errorf("a third address with the anonymous pool full: %d %s, want 503 busy", w.Code, w.Body)
	}
	if w := serve(auth, request("192.0.2.3:1", "bob", strings.NewReader(strings.Repeat("x", 600)), 600)); w.Code != http.StatusNoContent {
		t.Errorf("a user with the anonymous pool full: %d %s", w.Code, w.Body)
	}
	end1()
	end2()
}

// TestNotAdmitted: a handler of an authenticating route that reads the
// body without Admit gets ErrNotAdmitted and its client a 500; Admit
// outside a Route is refused.
func TestNotAdmitted(t *testing.T) {
	l := newLimits(t, httplimit.Config{})
	var readErr error
	h := l.Route(httplimit.Route{MaxBody: 100, Authenticates: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	w := serve(h, request("192.0.2.1:1", "", strings.NewReader("body"), 4))
	if !errors.Is(readErr, httplimit.ErrNotAdmitted) || w.Code != http.StatusInternalServerError {
		t.Fatalf("read %v, answer %d %s; want ErrNotAdmitted, 500", readErr, w.Code, w.Body)
	}
	if err := httplimit.Admit(request("192.0.2.1:1", "", nil, 0), "alice"); !errors.Is(err, httplimit.ErrNotAdmitted) {
		t.Fatalf("Admit outside a Route: %v", err)
	}
}

// TestRouteCapAboveBudgetPanics: a route whose largest body its budget can
// never take is a configuration error caught when the route is made.
func TestRouteCapAboveBudgetPanics(t *testing.T) {
	l := newLimits(t, httplimit.Config{MaxAnonInflightBytesPerAddr: 100})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	l.Route(httplimit.Route{MaxBody: 101}, users(t))
}

// TestConfigDefaults: zero fields get the documented defaults; caps that
// contradict each other are refused.
func TestConfigDefaults(t *testing.T) {
	c := newLimits(t, httplimit.Config{MaxAnonInflightBytes: 1 << 20}).Config()
	if c.ReadTimeout != httplimit.DefaultReadTimeout || c.MaxConnsPerAddr != httplimit.DefaultMaxConnsPerAddr ||
		c.MaxInflightBytes != httplimit.DefaultMaxInflightBytes || c.MaxAnonInflightBytesPerAddr != 1<<20 || c.WriteError == nil {
		t.Fatalf("defaults: %+v", c)
	}
	for _, bad := range []httplimit.Config{
		{MaxInflightBytes: 10, MaxInflightBytesPerUser: 11},
		{MaxAnonInflightBytes: 10, MaxAnonInflightBytesPerAddr: 11},
	} {
		if _, err := httplimit.New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}
