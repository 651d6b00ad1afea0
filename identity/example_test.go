package identity_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/sealkit/sealkit/identity"
)

// recorder keeps the last signed request a Transport sent, to replay it.
type recorder struct {
	base http.RoundTripper
	last *http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.last = req.Clone(req.Context())
	return r.base.RoundTrip(req)
}

// A client signs its requests with its Ed25519 key; the server verifies
// them, hands the key ID to the handler, and refuses a replayed copy.
func Example() {
	// The client makes its key and registers the public half.
	clientKey, _ := identity.GenerateKey()
	registry := identity.NewMemoryKeyRegistry()
	_ = registry.Register(context.Background(), identity.KeyEntry{
		PublicKey: clientKey.Public(), Owner: "alice", Permissions: []string{"write"},
	})

	// The server: verify, check the permission, then handle.
	verifier := &identity.Verifier{Registry: registry}
	handler := verifier.Handler(identity.RequirePermission("write")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			v, _ := identity.VerifiedFromContext(r.Context())
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "stored %q for %s", body, v.Owner())
		})))
	srv := httptest.NewTLSServer(handler)
	defer srv.Close()

	// The client: a signing Transport over the TLS client.
	rec := &recorder{base: srv.Client().Transport}
	client := &http.Client{Transport: &identity.Transport{Key: clientKey, Base: rec}}
	resp, err := client.Post(srv.URL+"/docs", "text/plain", strings.NewReader("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(b))

	// An attacker replays the captured signed request byte for byte.
	replay := rec.last
	replay.Body, _ = replay.GetBody()
	resp, err = srv.Client().Transport.RoundTrip(replay)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	// Output:
	// 200 stored "hello" for alice
	// 401 {"error":"replayed"}
}

// A signed message outside HTTP, verified against the registry.
func ExampleSignMessage() {
	key, _ := identity.GenerateKey()
	registry := identity.NewMemoryKeyRegistry()
	_ = registry.Register(context.Background(), identity.KeyEntry{PublicKey: key.Public()})

	msg, _ := identity.SignMessage(key, "vault/put", []byte(`{"doc":1}`))
	wire, _ := msg.MarshalJSON()

	mv := &identity.MessageVerifier{Registry: registry, Purpose: "vault/put"}
	parsed, _ := identity.ParseSignedMessage(wire)
	v, err := mv.Verify(context.Background(), parsed)
	fmt.Println(err == nil, v.KeyID() == key.KeyID())
	_, err = mv.Verify(context.Background(), parsed)
	fmt.Println(err)
	// Output:
	// true true
	// identity: replayed: nonce already used
}
