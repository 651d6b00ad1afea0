package share_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
)

var ctx = context.Background()

func forTransports(t *testing.T, f func(t *testing.T, w *world)) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) { f(t, newWorld(t, tr)) })
	}
}

func mustRead(t *testing.T, c *share.Client, id string) []byte {
	t.Helper()
	b, err := c.ReadAll(ctx, id)
	if err != nil {
		t.Fatalf("%s reads %s: %v", c.User, id, err)
	}
	return b
}

// Upload with a DEK wrapped for the owner and each recipient.
func TestUploadWithRecipients(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "hybrid", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		carol := w.addUser(t, "carol", "hybrid", 0)
		pt := bytes.Repeat([]byte("contract "), 20000) // several segments
		it, err := alice.Upload(ctx, bytes.NewReader(pt), &envelope.Metadata{Name: "contract.txt"}, "bob", "carol")
		if err != nil {
			t.Fatal(err)
		}
		if it.Size <= int64(len(pt)) || len(it.SHA256) != 32 {
			t.Fatalf("item record: size %d, hash %x", it.Size, it.SHA256)
		}
		for _, c := range []*share.Client{alice, bob, carol} {
			var got bytes.Buffer
			meta, err := c.Read(ctx, it.ID, &got)
			if err != nil {
				t.Fatalf("%s: %v", c.User, err)
			}
			if !bytes.Equal(got.Bytes(), pt) || meta == nil || meta.Name != "contract.txt" {
				t.Fatalf("%s read something else", c.User)
			}
		}
		keys, err := alice.Transport.ItemKeys(ctx, it.ID)
		if err != nil || len(keys) != 3 {
			t.Fatalf("registry holds %d keys, %v; want 3", len(keys), err)
		}
	})
}

// E2EE share to a registered user, per recipient key type.
func TestDirectShare(t *testing.T) {
	for _, kind := range []string{"rsa", "x25519", "hybrid"} {
		t.Run(kind, func(t *testing.T) {
			forTransports(t, func(t *testing.T, w *world) {
				alice := w.addUser(t, "alice", "rsa", 0)
				bob := w.addUser(t, "bob", kind, 1)
				it, err := alice.Upload(ctx, strings.NewReader("for bob"), nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := bob.ReadAll(ctx, it.ID); !errors.Is(err, share.ErrPermission) {
					t.Fatalf("bob before the share: %v, want ErrPermission", err)
				}
				sh, err := alice.Share(ctx, it.ID, "bob")
				if err != nil {
					t.Fatal(err)
				}
				got, err := bob.Received(ctx)
				if err != nil || len(got) != 1 || got[0].ID != sh.ID || got[0].Owner != "alice" || got[0].Mode != share.ModeDirect {
					t.Fatalf("received %+v, %v", got, err)
				}
				if b := mustRead(t, bob, got[0].Item); string(b) != "for bob" {
					t.Fatalf("bob read %q", b)
				}
			})
		})
	}
}

func TestDirectShareErrors(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "hybrid", 1)
		it, err := alice.Upload(ctx, strings.NewReader("x"), nil, "bob")
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			do   func() error
			want error
		}{
			{"self", func() error { _, err := alice.Share(ctx, it.ID, "alice"); return err }, share.ErrSelfShare},
			{"twice", func() error { _, err := alice.Share(ctx, it.ID, "bob"); return err }, share.ErrExists},
			{"unknown recipient", func() error { _, err := alice.Share(ctx, it.ID, "nobody"); return err }, share.ErrNotFound},
			{"unknown item", func() error { _, err := alice.Share(ctx, "NOPE", "bob"); return err }, share.ErrNotFound},
			{"not owner", func() error { _, err := bob.Share(ctx, it.ID, "alice"); return err }, share.ErrPermission},
			{"self, server side", func() error {
				return alice.Transport.Share(ctx, &share.ShareRequest{
					Share: &share.Share{ID: "S1", Item: it.ID, Owner: "alice", Recipient: "alice", Mode: share.ModeDirect},
					Key:   &share.WrappedKey{Item: it.ID, Recipient: "alice", Version: 1, Record: []byte{1}},
					Event: share.NewEvent(alice.SigningKey, share.ActionShare, "alice", it.ID, "alice")})
			}, share.ErrSelfShare},
		}
		for _, tc := range cases {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}

// Connections by invitation, encryption spaces, both share modes,
// and the claim.
func TestConnectionAndSpaces(t *testing.T) {
	for _, mode := range []string{share.ModeWrap, share.ModeReencrypt} {
		t.Run(mode, func(t *testing.T) {
			forTransports(t, func(t *testing.T, w *world) {
				alice := w.addUser(t, "alice", "rsa", 0)
				bob := w.addUser(t, "bob", "rsa", 1)
				inv, err := alice.Invite(ctx, "bob", 0)
				if err != nil {
					t.Fatal(err)
				}
				conn, err := bob.Accept(ctx, inv)
				if err != nil {
					t.Fatal(err)
				}
				if conn.Inviter != "alice" || conn.Invitee != "bob" || conn.InviterKey.Kind != share.KindHybrid {
					t.Fatalf("connection %+v", conn)
				}
				it, err := alice.Upload(ctx, strings.NewReader("card: passport"), nil)
				if err != nil {
					t.Fatal(err)
				}
				sh, err := alice.ShareViaConnection(ctx, it.ID, conn.ID, mode)
				if err != nil {
					t.Fatal(err)
				}
				rec, err := bob.Received(ctx)
				if err != nil || len(rec) != 1 || rec[0].Space == "" || rec[0].Mode != mode {
					t.Fatalf("received %+v, %v", rec, err)
				}
				if mode == share.ModeReencrypt && (rec[0].Item == it.ID || rec[0].SourceItem != it.ID) {
					t.Fatalf("a re-encryption share must name a re-encrypted copy: %+v", rec[0])
				}
				// Readable before the claim (through the connection key)...
				if b := mustRead(t, bob, rec[0].Item); string(b) != "card: passport" {
					t.Fatalf("bob read %q", b)
				}
				if err := bob.Claim(ctx, rec[0]); err != nil {
					t.Fatal(err)
				}
				sp, err := bob.Transport.Space(ctx, sh.Space)
				if err != nil || len(sp.ClaimedKey) == 0 {
					t.Fatalf("space not claimed: %v", err)
				}
				// ...and after, through bob's KEK alone: drop the connection key.
				bob.ConnectionKeys = &share.MemoryConnectionKeys{}
				if b := mustRead(t, bob, rec[0].Item); string(b) != "card: passport" {
					t.Fatalf("bob read %q after claim", b)
				}
				if err := bob.Claim(ctx, rec[0]); err != nil {
					t.Fatalf("second claim: %v", err)
				}
				if err := alice.Transport.Claim(ctx, sh.Space, []byte{1}); !errors.Is(err, share.ErrPermission) {
					t.Fatalf("sharer claiming: %v", err)
				}
			})
		})
	}
}

func TestInvitationErrors(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		carol := w.addUser(t, "carol", "hybrid", 2)

		inv, err := alice.Invite(ctx, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		bad := inv
		bad.Token = strings.Repeat("A", len(inv.Token))
		if _, err := bob.Accept(ctx, bad); !errors.Is(err, share.ErrBadProof) {
			t.Fatalf("wrong token: %v", err)
		}
		if _, err := alice.Accept(ctx, inv); !errors.Is(err, share.ErrSelfShare) {
			t.Fatalf("self: %v", err)
		}
		if _, err := bob.Accept(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if _, err := carol.Accept(ctx, inv); !errors.Is(err, share.ErrUsed) {
			t.Fatalf("reused token: %v", err)
		}

		late, err := alice.Invite(ctx, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Hour + time.Minute)
		if _, err := bob.Accept(ctx, late); !errors.Is(err, share.ErrExpired) {
			t.Fatalf("expired token: %v", err)
		}

		forBob, err := alice.Invite(ctx, "bob", 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := carol.Accept(ctx, forBob); !errors.Is(err, share.ErrPermission) {
			t.Fatalf("wrong invitee: %v", err)
		}
		if fmt.Sprint(forBob) == forBob.Token || strings.Contains(fmt.Sprint(forBob), forBob.Token) {
			t.Fatal("InvitationToken prints its token")
		}
	})
}

// Public password links.
func TestLink(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		it, err := alice.Upload(ctx, strings.NewReader("public report"), &envelope.Metadata{Name: "r.pdf"})
		if err != nil {
			t.Fatal(err)
		}
		ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(ls.Secret) < 16 || strings.Contains(fmt.Sprint(ls), ls.Secret) {
			t.Fatal("link secret too short or printed")
		}
		for i := range 2 {
			var b bytes.Buffer
			meta, err := share.OpenLink(ctx, w.anon, ls, &b)
			if err != nil || b.String() != "public report" || meta.Name != "r.pdf" {
				t.Fatalf("download %d: %q, %v", i, b.String(), err)
			}
		}
		if _, err := share.OpenLink(ctx, w.anon, ls, &bytes.Buffer{}); !errors.Is(err, share.ErrExhausted) {
			t.Fatalf("third download: %v", err)
		}

		ls2, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 5})
		if err != nil {
			t.Fatal(err)
		}
		wrong := ls2
		wrong.Secret = "not-the-secret-at-all"
		if _, err := share.OpenLink(ctx, w.anon, wrong, &bytes.Buffer{}); !errors.Is(err, share.ErrBadProof) {
			t.Fatalf("wrong secret: %v", err)
		}
		w.clock.Advance(2 * time.Hour)
		if _, err := share.OpenLink(ctx, w.anon, ls2, &bytes.Buffer{}); !errors.Is(err, share.ErrExpired) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

func TestLinkLockout(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		w.svc.MaxLinkFailures = 3
		alice := w.addUser(t, "alice", "rsa", 0)
		it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
		ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 5})
		if err != nil {
			t.Fatal(err)
		}
		wrong := ls
		wrong.Secret = "guess"
		for i, want := range []error{share.ErrBadProof, share.ErrBadProof, share.ErrLocked, share.ErrLocked} {
			if _, err := share.OpenLink(ctx, w.anon, wrong, &bytes.Buffer{}); !errors.Is(err, want) {
				t.Fatalf("attempt %d: %v, want %v", i+1, err, want)
			}
		}
		if _, err := share.OpenLink(ctx, w.anon, ls, &bytes.Buffer{}); !errors.Is(err, share.ErrLocked) {
			t.Fatalf("right secret after lockout: %v", err)
		}
	})
}

// The server never sees the link secret, the share KEK or the verifier in
// what it stores: the stored record holds only SHA-256(verifier).
func TestLinkServerHoldsNoSecret(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
	ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.svc.Stores.Links.Link(ctx, ls.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("%+v", l)
	if strings.Contains(rec, ls.Secret) {
		t.Fatal("stored link holds the secret")
	}
	if len(l.VerifierHash) != 32 || len(l.Salt) != share.SaltSize {
		t.Fatalf("stored link: %+v", l)
	}
}

// Revocation deletes the wrapped key; rotation makes the old DEK useless.
func TestRevokeAndRotate(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		carol := w.addUser(t, "carol", "hybrid", 2)
		it, err := alice.Upload(ctx, strings.NewReader("v1 secret"), nil, "bob", "carol")
		if err != nil {
			t.Fatal(err)
		}
		// Bob keeps the DEK he could unwrap (a malicious client would).
		bobKey, err := bob.Transport.MyKey(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		oldDEK, err := envelope.UnwrapKey(bobKey.Record, bob.Identities...)
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.Revoke(ctx, it.ID, "carol", false); !errors.Is(err, share.ErrPermission) {
			t.Fatalf("bob revoking: %v", err)
		}
		if err := alice.Revoke(ctx, it.ID, "bob", true); err != nil {
			t.Fatal(err)
		}
		if err := alice.Revoke(ctx, it.ID, "bob", false); !errors.Is(err, share.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		if _, err := bob.ReadAll(ctx, it.ID); !errors.Is(err, share.ErrPermission) {
			t.Fatalf("bob after revoke: %v", err)
		}
		if rec, _ := bob.Received(ctx); len(rec) != 0 {
			t.Fatalf("bob still lists %d shares", len(rec))
		}
		// Carol and alice read the new version.
		for _, c := range []*share.Client{alice, carol} {
			if b := mustRead(t, c, it.ID); string(b) != "v1 secret" {
				t.Fatalf("%s read %q", c.User, b)
			}
		}
		// The old DEK does not open the new version, even with the server's help.
		cur, err := alice.Transport.Item(ctx, it.ID)
		if err != nil || cur.Version != 2 {
			t.Fatalf("version %d, %v", cur.Version, err)
		}
		h, err := envelope.ParseHeader(cur.Header)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Verify(oldDEK, share.ItemAD(cur.ID, cur.Owner, cur.Version)); !errors.Is(err, envelope.ErrCorrupt) {
			t.Fatalf("old DEK against the rotated header: %v", err)
		}
	})
}

// Rotation carries space shares (vault mode) along.
func TestRotateKeepsSpaceShares(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	bob := w.addUser(t, "bob", "rsa", 1)
	carol := w.addUser(t, "carol", "rsa", 2)
	inv, _ := alice.Invite(ctx, "bob", 0)
	conn, err := bob.Accept(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := alice.Upload(ctx, strings.NewReader("vault"), nil, "carol")
	if _, err := alice.ShareViaConnection(ctx, it.ID, conn.ID, share.ModeWrap); err != nil {
		t.Fatal(err)
	}
	if err := alice.Revoke(ctx, it.ID, "carol", true); err != nil {
		t.Fatal(err)
	}
	if b := mustRead(t, bob, it.ID); string(b) != "vault" {
		t.Fatalf("bob read %q", b)
	}
	if _, err := carol.ReadAll(ctx, it.ID); !errors.Is(err, share.ErrPermission) {
		t.Fatalf("carol: %v", err)
	}
}

// Audit: share, revoke, download and delete events chained and signed.
func TestAudit(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		bob := w.addUser(t, "bob", "rsa", 1)
		it, _ := alice.Upload(ctx, strings.NewReader("audited"), nil, "bob")
		mustRead(t, bob, it.ID)
		ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := share.OpenLink(ctx, w.anon, ls, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if err := alice.Revoke(ctx, it.ID, "bob", false); err != nil {
			t.Fatal(err)
		}
		entries, head, err := alice.Audit(ctx, it.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Event.Action+":"+e.Event.Actor)
		}
		want := "share:alice download:bob share:alice link-download:" + ls.ID + " revoke:alice"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("audit actions %q, want %q", got, want)
		}
		if _, _, err := bob.Audit(ctx, it.ID, nil); !errors.Is(err, share.ErrPermission) {
			t.Fatalf("bob reading the audit log: %v", err)
		}
		if err := alice.Delete(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
		entries, _, err = alice.Audit(ctx, it.ID, head)
		if err != nil || entries[len(entries)-1].Event.Action != share.ActionDelete {
			t.Fatalf("after delete: %v", err)
		}
	})
}

// A forged or mismatched event is refused and nothing is chained.
func TestAuditEventChecks(t *testing.T) {
	w := newWorld(t, "local")
	alice := w.addUser(t, "alice", "rsa", 0)
	bob := w.addUser(t, "bob", "rsa", 1)
	it, _ := alice.Upload(ctx, strings.NewReader("x"), nil, "bob")
	cases := []struct {
		name string
		ev   *share.Event
		want error
	}{
		{"signed by someone else", share.NewEvent(bob.SigningKey, share.ActionDownload, "alice", it.ID, ""), share.ErrPermission},
		{"other action", share.NewEvent(alice.SigningKey, share.ActionDelete, "alice", it.ID, ""), share.ErrInvalid},
		{"other item", share.NewEvent(alice.SigningKey, share.ActionDownload, "alice", "OTHER", ""), share.ErrInvalid},
		{"missing", nil, share.ErrInvalid},
	}
	for _, tc := range cases {
		if _, err := alice.Transport.Download(ctx, it.ID, tc.ev); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	old := share.NewEvent(alice.SigningKey, share.ActionDownload, "alice", it.ID, "")
	w.clock.Advance(time.Hour)
	if _, err := alice.Transport.Download(ctx, it.ID, old); !errors.Is(err, share.ErrInvalid) {
		t.Errorf("stale event: %v", err)
	}
	entries, _ := w.svc.Stores.Audit.AuditEntries(ctx, it.ID, 0, share.MaxAuditPage)
	if len(entries) != 1 { // the upload's share with bob
		t.Fatalf("%d entries chained, want 1", len(entries))
	}
}
