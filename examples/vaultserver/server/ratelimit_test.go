package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/storageauth"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the real time (registration proofs are signed with
// it) and then moves only when told.
func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// from sends a request to the handler in process as if from addr
// ("192.0.2.1:1234", "[2001:db8::1]:1234") and returns the recorder.
func (ts *testServer) from(t *testing.T, addr, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = addr
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	ts.srv.ServeHTTP(w, req)
	return w
}

func errorCode(w *httptest.ResponseRecorder) string {
	var eb struct{ Error string }
	json.Unmarshal(w.Body.Bytes(), &eb)
	return eb.Error
}

const wrongLogin = `{"user":"bob","auth_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`

// TestLoginNoLockoutFromElsewhere: wrong logins from one address hold back
// that address only; the user still logs in from another.
func TestLoginNoLockoutFromElsewhere(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	ts := start(t, func(c *server.Config) { c.Now = clk.now })
	ts.register(t, "bob")
	var got []int
	for range server.DefaultLoginRate.Burst + 2 {
		got = append(got, ts.from(t, "192.0.2.1:4000", "POST", "/api/v1/login", wrongLogin).Code)
	}
	if got[server.DefaultLoginRate.Burst-1] != http.StatusUnauthorized || got[len(got)-1] != http.StatusTooManyRequests {
		t.Fatalf("wrong logins from 192.0.2.1: %v, want 401s then 429", got)
	}
	// The client logs in over the loopback listener: another address.
	if _, err := client.Login(ctx, ts.opts, "bob", "correct horse bob"); err != nil {
		t.Fatalf("login from 127.0.0.1 after attacks from 192.0.2.1: %v", err)
	}
	// login/start is not limited per user either.
	for range server.DefaultLoginRate.Burst + 1 {
		ts.from(t, "192.0.2.1:4000", "POST", "/api/v1/login/start", `{"user":"bob"}`)
	}
	if w := ts.from(t, "198.51.100.7:4000", "POST", "/api/v1/login/start", `{"user":"bob"}`); w.Code != http.StatusOK {
		t.Fatalf("login/start from elsewhere: %d %s", w.Code, w.Body)
	}
}

// TestLoginBackoffGrows: past LoginRate.Burst attempts, each further
// attempt from the same address and for the same user waits twice as long
// as the one before (Retry-After), and waiting the delay out admits one
// attempt only.
func TestLoginBackoffGrows(t *testing.T) {
	clk := newClock()
	ts := start(t, func(c *server.Config) {
		c.Now = clk.now
		c.LoginRate = server.Rate{Burst: 3, Per: 30 * time.Second} // first delay 10 s
	})
	ts.register(t, "bob")
	ts.register(t, "carol")
	const addr = "192.0.2.1:4000"
	for i := range 3 {
		if w := ts.from(t, addr, "POST", "/api/v1/login", wrongLogin); w.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, w.Code)
		}
	}
	delay := 10 * time.Second
	for round := range 5 {
		w := ts.from(t, addr, "POST", "/api/v1/login", wrongLogin)
		want := strconv.Itoa(int((delay + time.Second - 1) / time.Second)) // whole seconds, rounded up
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != want {
			t.Fatalf("round %d: %d Retry-After %q, want 429 %q", round, w.Code, w.Header().Get("Retry-After"), want)
		}
		clk.advance(delay - time.Second)
		if w := ts.from(t, addr, "POST", "/api/v1/login", wrongLogin); w.Code != http.StatusTooManyRequests {
			t.Fatalf("round %d, a second early: %d, want 429", round, w.Code)
		}
		clk.advance(time.Second)
		if w := ts.from(t, addr, "POST", "/api/v1/login", wrongLogin); w.Code != http.StatusUnauthorized {
			t.Fatalf("round %d, after the delay: %d, want 401", round, w.Code)
		}
		delay *= 2
	}
	// Another user from the same address is not held back.
	if w := ts.from(t, addr, "POST", "/api/v1/login", strings.Replace(wrongLogin, "bob", "carol", 1)); w.Code != http.StatusUnauthorized {
		t.Fatalf("carol from the same address: %d, want 401", w.Code)
	}
}

// TestIPv6SameSlash64: addresses in one IPv6 /64 share a bucket; another
// /64 and IPv4 have their own. (login/start for names that do not exist:
// only the address's bucket counts.)
func TestIPv6SameSlash64(t *testing.T) {
	ts := start(t, func(c *server.Config) {
		c.Now = newClock().now
		c.LoginRate = server.Rate{Burst: 1, Per: time.Hour} // ten per address
	})
	n := 0
	start := func(addr string) int {
		n++
		return ts.from(t, addr, "POST", "/api/v1/login/start", `{"user":"nobody`+strconv.Itoa(n)+`"}`).Code
	}
	for i := range 10 {
		a := "[2001:db8:1:2::1]:1"
		if i%2 == 1 {
			a = "[2001:db8:1:2:ffff:ffff:ffff:ffff]:2"
		}
		if c := start(a); c != http.StatusNotFound {
			t.Fatalf("%s: %d, want 404", a, c)
		}
	}
	if c := start("[2001:db8:1:2:aaaa::3]:3"); c != http.StatusTooManyRequests {
		t.Fatalf("third address in the /64: %d, want 429", c)
	}
	for _, a := range []string{"[2001:db8:1:3::1]:1", "192.0.2.1:1"} {
		if c := start(a); c != http.StatusNotFound {
			t.Fatalf("%s: %d, want 404 (own bucket)", a, c)
		}
	}
}

// TestUnknownLinkNoBucket: requests for a link that does not exist charge
// the client's address only, so many clients probing one unknown ID are
// not refused on its account.
func TestUnknownLinkNoBucket(t *testing.T) {
	ts := start(t, func(c *server.Config) {
		c.Now = newClock().now
		c.LinkRate = server.Rate{Burst: 2, Per: time.Hour}
	})
	for i := range 5 {
		addr := "192.0.2." + strconv.Itoa(i+1) + ":1"
		if w := ts.from(t, addr, "GET", "/api/v1/links/nosuchlink", ""); w.Code != http.StatusNotFound {
			t.Fatalf("client %d: %d %s, want 404", i+1, w.Code, w.Body)
		}
	}
}

// slotRecord returns a valid first record for a fresh slot.
func slotRecord(t *testing.T) (id string, body string) {
	t.Helper()
	seed := make([]byte, storageauth.SeedSize)
	rand.Read(seed)
	ikm, err := storageauth.IKMFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := storageauth.Derive(storageauth.Ed25519, ikm, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := keys.Seal([]byte("keyring"), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID, string(b)
}

// TestSlotRatePerAddress: one address creates SlotRate.Burst slots, the
// next is 429 rate_limited with Retry-After until the bucket refills;
// other addresses and updates are unaffected.
func TestSlotRatePerAddress(t *testing.T) {
	clk := newClock()
	ts := start(t, func(c *server.Config) {
		c.Now = clk.now
		c.SlotRate = server.Rate{Burst: 3, Per: time.Hour}
	})
	const addr = "192.0.2.1:1"
	for i := range 3 {
		id, body := slotRecord(t)
		if w := ts.from(t, addr, "PUT", "/storageauth/"+id, body); w.Code != http.StatusNoContent {
			t.Fatalf("slot %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	id, body := slotRecord(t)
	w := ts.from(t, addr, "PUT", "/storageauth/"+id, body)
	if w.Code != http.StatusTooManyRequests || errorCode(w) != "rate_limited" || w.Header().Get("Retry-After") != "1200" {
		t.Fatalf("fourth slot: %d %q Retry-After %q, want 429 rate_limited 1200", w.Code, errorCode(w), w.Header().Get("Retry-After"))
	}
	// An IPv4-mapped IPv6 address is the IPv4 client.
	if w := ts.from(t, "[::ffff:192.0.2.1]:2", "PUT", "/storageauth/"+id, body); w.Code != http.StatusTooManyRequests {
		t.Fatalf("fourth slot, IPv4-mapped: %d", w.Code)
	}
	if w := ts.from(t, "192.0.2.2:1", "PUT", "/storageauth/"+id, body); w.Code != http.StatusNoContent {
		t.Fatalf("fourth slot from another address: %d %s", w.Code, w.Body)
	}
	clk.advance(20 * time.Minute)
	id, body = slotRecord(t)
	if w := ts.from(t, addr, "PUT", "/storageauth/"+id, body); w.Code != http.StatusNoContent {
		t.Fatalf("after the refill: %d %s", w.Code, w.Body)
	}
}

// TestSlotUpdateNotLimited: replacing a slot's record is not a creation.
func TestSlotUpdateNotLimited(t *testing.T) {
	ts := start(t, func(c *server.Config) {
		c.Now = newClock().now
		c.SlotRate = server.Rate{Burst: 1, Per: time.Hour}
		c.MaxSlots = 1
	})
	seed := bytes.Repeat([]byte{7}, storageauth.SeedSize)
	ikm, _ := storageauth.IKMFromSeed(seed)
	keys, err := storageauth.Derive(storageauth.Ed25519, ikm, nil)
	if err != nil {
		t.Fatal(err)
	}
	for v := uint64(1); v <= 3; v++ {
		rec, err := keys.Seal([]byte("keyring"), v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := rec.MarshalJSON()
		if w := ts.from(t, "192.0.2.1:1", "PUT", "/storageauth/"+rec.ID, string(b)); w.Code != http.StatusNoContent {
			t.Fatalf("version %d: %d %s", v, w.Code, w.Body)
		}
	}
}

// TestSlotCap: past MaxSlots no address creates a slot (507 full), also
// after a restart over the same database.
func TestSlotCap(t *testing.T) {
	clk := newClock()
	var cfg server.Config
	ts := start(t, func(c *server.Config) {
		c.Now = clk.now
		c.MaxSlots = 3
		cfg = *c
	})
	for i := range 3 {
		id, body := slotRecord(t)
		addr := "192.0.2." + strconv.Itoa(i+1) + ":1"
		if w := ts.from(t, addr, "PUT", "/storageauth/"+id, body); w.Code != http.StatusNoContent {
			t.Fatalf("slot %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	id, body := slotRecord(t)
	if w := ts.from(t, "198.51.100.1:1", "PUT", "/storageauth/"+id, body); w.Code != http.StatusInsufficientStorage || errorCode(w) != "full" {
		t.Fatalf("fourth slot: %d %q %s, want 507 full", w.Code, errorCode(w), w.Body)
	}
	restarted, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = restarted
	if w := ts.from(t, "198.51.100.2:1", "PUT", "/storageauth/"+id, body); w.Code != http.StatusInsufficientStorage {
		t.Fatalf("fourth slot after a restart: %d %s, want 507", w.Code, w.Body)
	}
}
