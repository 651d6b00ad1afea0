package share_test

import (
	"context"
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
	"github.com/sealkit/sealkit/share/sharetest"
)

// testLinkIterations keeps link KDFs cheap in tests (see
// sharetest.LowerLinkIterations).
const testLinkIterations = 1000

var (
	rsaOnce sync.Once
	rsaKeys []*envelope.RSAIdentity
)

// rsaIdentity returns one of a few RSA-2048 keys generated once per run.
func rsaIdentity(t testing.TB, i int) *envelope.RSAIdentity {
	rsaOnce.Do(func() {
		for range 3 {
			k, err := envelope.GenerateRSAIdentity(2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
	})
	return rsaKeys[i%len(rsaKeys)]
}

// clock is a settable time source for the Service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a server and its users, reached over one kind of transport.
type world struct {
	svc     *share.Service
	clock   *clock
	clients map[string]*share.Client
	anon    share.Transport
	mkT     func(user string) share.Transport
}

// transports are the transports every flow test runs over.
// "signed" is HTTP over TLS with identity's RFC 9421 signing RoundTripper
// and verifier: the production wiring.
var transports = []string{"local", "http", "signed"}

const userHeader = "X-Test-User" // test-only authentication

func newWorld(t testing.TB, transport string) *world {
	t.Helper()
	sharetest.LowerLinkIterations(t, testLinkIterations)
	w := &world{clock: &clock{t: time.Now().UTC()}, clients: map[string]*share.Client{}}
	w.svc = share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	w.svc.Now = w.clock.Now
	switch transport {
	case "local":
		w.mkT = func(u string) share.Transport { return share.Local{Service: w.svc, Actor: u} }
	case "http":
		h := sharehttp.NewHandler(w.svc, func(r *http.Request) (string, error) {
			u := r.Header.Get(userHeader)
			if u == "" {
				return "", share.ErrUnauthenticated
			}
			return u, nil
		})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		w.mkT = func(u string) share.Transport {
			c := srv.Client()
			if u != "" {
				c = &http.Client{Transport: asUser{u, srv.Client().Transport}}
			}
			return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: c}
		}
	case "signed":
		registry := identity.NewMemoryKeyRegistry()
		verifier := &identity.Verifier{Registry: registry}
		h := sharehttp.NewHandler(w.svc, func(r *http.Request) (string, error) {
			v, err := verifier.Verify(r)
			if err != nil {
				return "", err
			}
			return v.Owner(), nil
		})
		srv := httptest.NewTLSServer(h)
		t.Cleanup(srv.Close)
		w.mkT = func(u string) share.Transport {
			if u == "" {
				return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
			}
			key, err := identity.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			if err := registry.Register(context.Background(), identity.KeyEntry{PublicKey: key.Public(), Owner: u}); err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: &identity.Transport{Key: key, Base: srv.Client().Transport}}
			return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: c}
		}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	w.anon = w.mkT("")
	return w
}

// asUser is a test RoundTripper standing in for identity's signer.
type asUser struct {
	user string
	base http.RoundTripper
}

func (a asUser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(userHeader, a.user)
	return a.base.RoundTrip(r)
}

// addUser registers a user whose published key is of kind ("rsa", "x25519",
// "hybrid", or "rsa+hybrid").
func (w *world) addUser(t testing.TB, name, kind string, rsaIndex int) *share.Client {
	t.Helper()
	var ids []envelope.Identity
	switch kind {
	case "rsa":
		ids = append(ids, rsaIdentity(t, rsaIndex))
	case "x25519":
		skipX25519(t)
		x, err := envelope.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x)
	case "hybrid":
		h, err := envelope.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	kek, err := envelope.NewKEK(name+"-kek", randomKey())
	if err != nil {
		t.Fatal(err)
	}
	_, sk, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &share.Client{User: name, Transport: w.mkT(name), Identities: ids, KEK: kek,
		SigningKey: sk, ConnectionKeys: &share.MemoryConnectionKeys{}}
	if err := c.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.clients[name] = c
	return c
}

func randomKey() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func skipX25519(t testing.TB) {
	t.Helper()
	if fips140.Enforced() {
		t.Skip("X25519 is not allowed in FIPS 140-only mode")
	}
}
