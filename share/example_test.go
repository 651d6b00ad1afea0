package share_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// exampleUser registers a user with a post-quantum hybrid key (usable in
// FIPS mode), a KEK (keystore provides the real one) and a signing key.
func exampleUser(t share.Transport, name string) *share.Client {
	id, err := envelope.GenerateHybridIdentity()
	if err != nil {
		log.Fatal(err)
	}
	kekBytes := make([]byte, 32)
	rand.Read(kekBytes)
	kek, _ := envelope.NewKEK(name+"-kek", kekBytes)
	_, sk, _ := ed25519.GenerateKey(nil)
	c := &share.Client{User: name, Transport: t, Identities: []envelope.Identity{id},
		KEK: kek, SigningKey: sk, ConnectionKeys: &share.MemoryConnectionKeys{}}
	if err := c.Register(context.Background()); err != nil {
		log.Fatal(err)
	}
	return c
}

// Upload a document whose DEK is wrapped for the owner and each recipient,
// then read it as a recipient.
func Example() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	bob := exampleUser(share.Local{Service: svc, Actor: "bob"}, "bob")

	it, err := alice.Upload(ctx, strings.NewReader("board minutes"), &envelope.Metadata{Name: "minutes.txt"}, "bob")
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	meta, err := bob.Read(ctx, it.ID, &out)
	fmt.Println(out.String(), meta.Name, err)
	// Output: board minutes minutes.txt <nil>
}

// E2EE share to a registered user, and the errors for
// sharing with yourself, twice, or with nobody.
func ExampleClient_Share() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	bob := exampleUser(share.Local{Service: svc, Actor: "bob"}, "bob")

	it, _ := alice.Upload(ctx, strings.NewReader("for bob"), nil)
	if _, err := alice.Share(ctx, it.ID, "bob"); err != nil {
		log.Fatal(err)
	}
	received, _ := bob.Received(ctx)
	pt, err := bob.ReadAll(ctx, received[0].Item)
	fmt.Println(received[0].Owner, string(pt), err)

	_, err = alice.Share(ctx, it.ID, "alice")
	fmt.Println(err)
	_, err = alice.Share(ctx, it.ID, "bob")
	fmt.Println(err)
	_, err = alice.Share(ctx, it.ID, "nobody")
	fmt.Println(err)
	// Output:
	// alice for bob <nil>
	// share: cannot share with yourself
	// sealkit: already exists
	// sealkit: not found
}

// Connect by invitation, share through an encryption space, and claim.
func ExampleClient_ShareViaConnection() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	bob := exampleUser(share.Local{Service: svc, Actor: "bob"}, "bob")

	inv, _ := alice.Invite(ctx, "bob", 0) // inv.Token goes to bob out of band
	conn, err := bob.Accept(ctx, inv)
	if err != nil {
		log.Fatal(err)
	}
	it, _ := alice.Upload(ctx, strings.NewReader("passport card"), nil)
	// Meeco mode: the card is re-encrypted under the space's share key.
	if _, err := alice.ShareViaConnection(ctx, it.ID, conn.ID, share.ModeReencrypt); err != nil {
		log.Fatal(err)
	}
	received, _ := bob.Received(ctx)
	if err := bob.Claim(ctx, received[0]); err != nil { // rewrap under bob's KEK
		log.Fatal(err)
	}
	pt, err := bob.ReadAll(ctx, received[0].Item)
	fmt.Println(string(pt), err)

	_, err = bob.Accept(ctx, inv)
	fmt.Println(err)
	// Output:
	// passport card <nil>
	// share: invitation already used
}

// A public password link: the secret stays with whoever
// holds the link; the server checks a proof and counts downloads.
func ExampleClient_CreateLink() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	it, _ := alice.Upload(ctx, strings.NewReader("press kit"), nil)

	link, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: 24 * time.Hour, MaxDownloads: 1})
	if err != nil {
		log.Fatal(err)
	}
	anyone := share.Local{Service: svc} // no identity needed
	var out bytes.Buffer
	_, err = share.OpenLink(ctx, anyone, link, &out)
	fmt.Println(out.String(), err)
	_, err = share.OpenLink(ctx, anyone, link, &bytes.Buffer{})
	fmt.Println(err)
	// Output:
	// press kit <nil>
	// share: link has no downloads left
}

// Revoke and rotate: the revoked user loses the key record, and the item is
// re-sealed under a new DEK for the others.
func ExampleClient_Revoke() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	bob := exampleUser(share.Local{Service: svc, Actor: "bob"}, "bob")
	carol := exampleUser(share.Local{Service: svc, Actor: "carol"}, "carol")
	it, _ := alice.Upload(ctx, strings.NewReader("salaries"), nil, "bob", "carol")

	if err := alice.Revoke(ctx, it.ID, "bob", true); err != nil {
		log.Fatal(err)
	}
	_, err := bob.ReadAll(ctx, it.ID)
	fmt.Println(err)
	pt, err := carol.ReadAll(ctx, it.ID)
	cur, _ := alice.Transport.Item(ctx, it.ID)
	fmt.Println(string(pt), err, "version", cur.Version)
	// Output:
	// sealkit: permission denied
	// salaries <nil> version 2
}

// The audit trail: signed, hash-chained events the owner verifies.
func ExampleClient_Audit() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	alice := exampleUser(share.Local{Service: svc, Actor: "alice"}, "alice")
	bob := exampleUser(share.Local{Service: svc, Actor: "bob"}, "bob")
	it, _ := alice.Upload(ctx, strings.NewReader("ledger"), nil, "bob")
	bob.ReadAll(ctx, it.ID)
	alice.Revoke(ctx, it.ID, "bob", false)

	entries, head, err := alice.Audit(ctx, it.ID, nil)
	for _, e := range entries {
		fmt.Println(strings.TrimSpace(fmt.Sprint(e.Seq, " ", e.Event.Action, " ", e.Event.Actor, " ", e.Event.Subject)))
	}
	fmt.Println(len(head), err)
	// Output:
	// 1 share alice bob
	// 2 download bob
	// 3 revoke alice bob
	// 32 <nil>
}

// Serve the Service over HTTP and use it through HTTPTransport. The
// Authenticate hook and the client's RoundTripper are where identity's
// request signing plugs in; this example trusts a header, which is only fit
// for a demo.
func ExampleHandler() {
	ctx := context.Background()
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	h := sharehttp.NewHandler(svc, func(r *http.Request) (string, error) {
		return r.Header.Get("X-Demo-User"), nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	as := func(user string) share.Transport {
		return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: demoAuth{user}}}
	}
	alice := exampleUser(as("alice"), "alice")
	bob := exampleUser(as("bob"), "bob")
	it, _ := alice.Upload(ctx, strings.NewReader("over HTTP"), nil, "bob")
	pt, err := bob.ReadAll(ctx, it.ID)
	fmt.Println(string(pt), err)
	// Output: over HTTP <nil>
}

type demoAuth struct{ user string }

func (d demoAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Demo-User", d.user)
	return http.DefaultTransport.RoundTrip(r)
}
