package share_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
)

// A server that moves keys, headers or payloads between records, or edits
// space and link records, is caught on the client with ErrCorrupt (or,
// where the change only breaks the proof, ErrBadProof); nothing decrypts.
func TestTamperedRecords(t *testing.T) {
	type setup struct {
		w          *world
		alice, bob *share.Client
		a, b       *share.Item
		mem        *share.Memory
	}
	mk := func(t *testing.T) *setup {
		w := newWorld(t, "local")
		s := &setup{w: w, alice: w.addUser(t, "alice", "rsa", 0), bob: w.addUser(t, "bob", "rsa", 1)}
		var err error
		if s.a, err = s.alice.Upload(ctx, strings.NewReader("item A"), nil, "bob"); err != nil {
			t.Fatal(err)
		}
		if s.b, err = s.alice.Upload(ctx, strings.NewReader("item B"), nil, "bob"); err != nil {
			t.Fatal(err)
		}
		s.mem = w.svc.Stores.Items.(*share.Memory)
		return s
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, s *setup)
	}{
		{"wrapped key moved to another item", func(t *testing.T, s *setup) {
			ka, _ := s.mem.Key(ctx, s.a.ID, "bob")
			s.mem.DeleteKey(ctx, s.b.ID, "bob")
			ka.Item = s.b.ID
			s.mem.PutKey(ctx, ka)
		}},
		{"header swapped between records", func(t *testing.T, s *setup) {
			b, _ := s.mem.Item(ctx, s.b.ID)
			b.Header = s.a.Header
			s.mem.UpdateItem(ctx, b, b.Version)
		}},
		{"payload swapped between records", func(t *testing.T, s *setup) {
			b, _ := s.mem.Item(ctx, s.b.ID)
			b.BlobRef = s.a.BlobRef
			s.mem.UpdateItem(ctx, b, b.Version)
		}},
		{"owner changed", func(t *testing.T, s *setup) {
			b, _ := s.mem.Item(ctx, s.b.ID)
			b.Owner = "bob"
			s.mem.UpdateItem(ctx, b, b.Version)
		}},
		{"version changed", func(t *testing.T, s *setup) {
			b, _ := s.mem.Item(ctx, s.b.ID)
			b.Version = 7
			s.mem.UpdateItem(ctx, b, 1)
			k, _ := s.mem.Key(ctx, s.b.ID, "bob")
			s.mem.DeleteKey(ctx, s.b.ID, "bob")
			k.Version = 7
			s.mem.PutKey(ctx, k)
		}},
		{"wrapped key record flipped", func(t *testing.T, s *setup) {
			k, _ := s.mem.Key(ctx, s.b.ID, "bob")
			s.mem.DeleteKey(ctx, s.b.ID, "bob")
			k.Record[len(k.Record)-1] ^= 1
			s.mem.PutKey(ctx, k)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mk(t)
			tc.tamper(t, s)
			b, err := s.bob.ReadAll(ctx, s.b.ID)
			if !errors.Is(err, share.ErrCorrupt) {
				t.Fatalf("read %q, %v; want ErrCorrupt", b, err)
			}
		})
	}
}

func TestTamperedLink(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(l *share.Link)
		want   error
	}{
		{"wrapped key flipped", func(l *share.Link) { l.WrappedKey[len(l.WrappedKey)-1] ^= 1 }, share.ErrCorrupt},
		{"wrapped key of another link", nil, share.ErrCorrupt},
		{"salt changed", func(l *share.Link) { l.Salt[0] ^= 1 }, share.ErrBadProof},
		{"iterations lowered below the floor", func(l *share.Link) { l.Iterations = testLinkIterations - 1 }, share.ErrInvalid},
		{"iterations absurd", func(l *share.Link) { l.Iterations = 1 << 30 }, share.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "local")
			alice := w.addUser(t, "alice", "rsa", 0)
			it, _ := alice.Upload(ctx, strings.NewReader("linked"), nil)
			ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 3})
			if err != nil {
				t.Fatal(err)
			}
			mem := w.svc.Stores.Links.(*share.Memory)
			l, _ := mem.Link(ctx, ls.ID)
			if tc.tamper != nil {
				tc.tamper(l)
			} else {
				other, _ := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: 3})
				ol, _ := mem.Link(ctx, other.ID)
				l.WrappedKey = ol.WrappedKey
			}
			mem.DeleteLink(ctx, l.ID)
			mem.CreateLink(ctx, l)
			var out bytes.Buffer
			if _, err := share.OpenLink(ctx, w.anon, ls, &out); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if out.Len() != 0 {
				t.Fatal("plaintext released")
			}
		})
	}
}

// A server that substitutes a connection's public key, or a space's wrapped
// key, is caught when the recipient claims.
func TestTamperedSpace(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, mem *share.Memory, sh *share.Share, conn *share.Connection, other *share.Space)
	}{
		{"space recipient key swapped", func(t *testing.T, mem *share.Memory, sh *share.Share, _ *share.Connection, other *share.Space) {
			sp, _ := mem.Space(ctx, sh.Space)
			sp.RecipientKey = other.RecipientKey
			mem.DeleteSpace(ctx, sp.ID)
			mem.CreateSpace(ctx, sp)
		}},
		{"space recipient key flipped", func(t *testing.T, mem *share.Memory, sh *share.Share, _ *share.Connection, _ *share.Space) {
			sp, _ := mem.Space(ctx, sh.Space)
			sp.RecipientKey[len(sp.RecipientKey)-1] ^= 1
			mem.DeleteSpace(ctx, sp.ID)
			mem.CreateSpace(ctx, sp)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "local")
			alice := w.addUser(t, "alice", "rsa", 0)
			bob := w.addUser(t, "bob", "rsa", 1)
			inv, _ := alice.Invite(ctx, "bob", 0)
			conn, err := bob.Accept(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			it, _ := alice.Upload(ctx, strings.NewReader("card"), nil)
			sh, err := alice.ShareViaConnection(ctx, it.ID, conn.ID, share.ModeWrap)
			if err != nil {
				t.Fatal(err)
			}
			sh2, err := alice.ShareViaConnection(ctx, it.ID+"", conn.ID, share.ModeReencrypt)
			if err != nil {
				t.Fatal(err)
			}
			mem := w.svc.Stores.Spaces.(*share.Memory)
			other, _ := mem.Space(ctx, sh2.Space)
			tc.tamper(t, mem, sh, conn, other)
			if err := bob.Claim(ctx, sh); !errors.Is(err, share.ErrCorrupt) {
				t.Fatalf("claim: %v, want ErrCorrupt", err)
			}
		})
	}
}
