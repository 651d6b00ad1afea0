package share_test

import (
	"bytes"
	"crypto/fips140"
	"io"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/benchutil"
	"github.com/sealkit/sealkit/share"
)

// benchKinds are the recipient key types a share can be wrapped for.
var benchKinds = []struct {
	name string
	make func(b *testing.B) envelope.Identity
}{
	{"rsa-2048", func(b *testing.B) envelope.Identity { return rsaIdentity(b, 0) }},
	{"rsa-3072", func(b *testing.B) envelope.Identity {
		k, err := envelope.GenerateRSAIdentity(3072)
		if err != nil {
			b.Fatal(err)
		}
		return k
	}},
	{"x25519", func(b *testing.B) envelope.Identity {
		if fips140.Enforced() {
			b.Skip("X25519 is not allowed in FIPS 140-only mode")
		}
		k, _ := envelope.GenerateX25519Identity()
		return k
	}},
	{"hybrid", func(b *testing.B) envelope.Identity {
		k, _ := envelope.GenerateHybridIdentity()
		return k
	}},
}

func recipientOf(id envelope.Identity) envelope.Recipient {
	switch id := id.(type) {
	case *envelope.RSAIdentity:
		return id.Recipient()
	case *envelope.X25519Identity:
		return id.Recipient()
	case *envelope.HybridIdentity:
		return id.Recipient()
	}
	panic("unknown identity")
}

// benchWorld sets up alice (RSA) and bob (the given key) on an in-process
// Service, and an item of alice's.
func benchWorld(b *testing.B, bobKey envelope.Identity) (*world, *share.Client, *share.Client, *share.Item) {
	w := newWorld(b, "local")
	alice := w.addUser(b, "alice", "hybrid", 0)
	bob := w.addUser(b, "bob", "hybrid", 0)
	bob.Identities = []envelope.Identity{bobKey}
	// Register a second user publishing bobKey.
	pk, err := share.PublicKeyOf(recipientOf(bobKey))
	if err != nil {
		b.Fatal(err)
	}
	u, err := share.NewUser("bob2", []share.PublicKey{pk}, bob.SigningKey) // its own signed bundle
	if err != nil {
		b.Fatal(err)
	}
	if err := w.svc.Stores.Users.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	bob.User = "bob2"
	bob.Transport = w.mkT("bob2")
	it, err := alice.Upload(ctx, strings.NewReader("x"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return w, alice, bob, it
}

// BenchmarkShare: creating a direct share (look up the recipient, unwrap
// and verify the owner's DEK, wrap for the recipient, sign the event; the
// server checks, verifies the signature, stores and chains it) against the
// raw wrap it contains. cost-ratio = total / raw wrap.
func BenchmarkShare(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			id := k.make(b)
			w, alice, _, it := benchWorld(b, id)
			mem := w.svc.Stores.Keys.(*share.Memory)
			r := recipientOf(id)
			dek := envelope.NewKey()
			benchutil.Compare(b, 0, func() {
				sh, err := alice.Share(ctx, it.ID, "bob2")
				if err != nil {
					b.Fatal(err)
				}
				mem.DeleteKey(ctx, it.ID, "bob2") // undo, so the next share is not a duplicate
				mem.DeleteShare(ctx, sh.ID)
			}, func() {
				if _, err := envelope.WrapKey(dek, r); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkReceive: the recipient fetching its wrapped key and the item,
// unwrapping and verifying the DEK, signing a download event and opening a
// one-byte payload, against the raw unwrap it contains.
func BenchmarkReceive(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			id := k.make(b)
			_, alice, bob, it := benchWorld(b, id)
			if _, err := alice.Share(ctx, it.ID, "bob2"); err != nil {
				b.Fatal(err)
			}
			rec, _ := envelope.WrapKey(envelope.NewKey(), recipientOf(id))
			benchutil.Compare(b, 0, func() {
				if _, err := bob.ReadAll(ctx, it.ID); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if _, err := envelope.UnwrapKey(rec, id); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkClaim: claiming a space share (fetch space, connection and the
// wrapped connection key; unwrap the connection key under the KEK and the
// space key with it; check it opens the item; rewrap under the KEK) against
// the raw hybrid unwrap it contains. Connection keys are always hybrid.
func BenchmarkClaim(b *testing.B) {
	w := newWorld(b, "local")
	alice := w.addUser(b, "alice", "hybrid", 0)
	bob := w.addUser(b, "bob", "hybrid", 0)
	inv, _ := alice.Invite(ctx, "bob", 0)
	conn, err := bob.Accept(ctx, inv)
	if err != nil {
		b.Fatal(err)
	}
	it, _ := alice.Upload(ctx, strings.NewReader("x"), nil)
	sh, err := alice.ShareViaConnection(ctx, it.ID, conn.ID, share.ModeWrap)
	if err != nil {
		b.Fatal(err)
	}
	mem := w.svc.Stores.Spaces.(*share.Memory)
	orig, _ := mem.Space(ctx, sh.Space)
	hid, _ := envelope.GenerateHybridIdentity()
	rec, _ := envelope.WrapKey(envelope.NewKey(), hid.Recipient())
	benchutil.Compare(b, 0, func() {
		if err := bob.Claim(ctx, sh); err != nil {
			b.Fatal(err)
		}
		mem.DeleteSpace(ctx, orig.ID) // undo the claim
		mem.CreateSpace(ctx, orig)
	}, func() {
		if _, err := envelope.UnwrapKey(rec, hid); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRangeRead: a 64 KiB range from the middle of a 64 MiB item
// (OpenRange, which fetches the final segment, then one ReadAt: two
// ranged downloads of a segment or two each) against reading the whole
// item (Read), and a ReadAt on a reader already open. SetBytes is what the
// caller gets: 64 KiB or 64 MiB.
func BenchmarkRangeRead(b *testing.B) {
	const size, span = 64 << 20, 64 << 10
	for _, tr := range []string{"local", "http"} {
		w := newWorld(b, tr)
		alice := w.addUser(b, "alice", "hybrid", 0)
		pt := make([]byte, size)
		it, err := alice.Upload(ctx, bytes.NewReader(pt), nil)
		if err != nil {
			b.Fatal(err)
		}
		mid := int64(size/2 + 1000) // not segment-aligned: two segments
		b.Run(tr+"/whole", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := alice.Read(ctx, it.ID, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tr+"/range", func(b *testing.B) {
			b.SetBytes(span)
			b.ReportAllocs()
			p := make([]byte, span)
			for b.Loop() {
				r, err := alice.OpenRange(ctx, it.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadAt(p, mid); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tr+"/range-open", func(b *testing.B) {
			b.SetBytes(span)
			b.ReportAllocs()
			r, err := alice.OpenRange(ctx, it.ID)
			if err != nil {
				b.Fatal(err)
			}
			p := make([]byte, span)
			i := int64(0)
			for b.Loop() {
				i++
				if _, err := r.ReadAt(p, mid+i%64*span); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
