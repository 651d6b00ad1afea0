package keystore_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/sealkit/sealkit/keystore"
)

// contactsVectors is testdata/contacts.json (SPEC.md §10): sealed contact
// books under the master KEK of the frozen "pbkdf2" account of vectors.json.
type contactsVectors struct {
	Comment   string          `json:"comment"`
	Owner     string          `json:"owner"`
	MasterKEK string          `json:"master_kek"`
	Label     string          `json:"label"`
	SealKey   string          `json:"sealing_key"`
	AD        string          `json:"ad"`
	Books     []contactVector `json:"books"`
}

type contactVector struct {
	Name      string `json:"name"`
	Record    string `json:"record"`
	Plaintext string `json:"plaintext"`
	Expect    string `json:"expect"` // ok, corrupt
	Seq       uint64 `json:"seq,omitempty"`
	Contacts  []struct {
		User          string `json:"user"`
		IdentityKey   string `json:"identity_key"`
		Verified      bool   `json:"verified"`
		BundleVersion uint64 `json:"bundle_version"`
	} `json:"contacts,omitempty"`
}

const contactsVectorFile = "testdata/contacts.json"

// makeContactsVectors seals each plaintext with a nonce derived from its
// name, so the file is reproducible byte for byte.
// It returns nil where GCM with a chosen nonce is refused
// (GODEBUG=fips140=only).
func makeContactsVectors(t *testing.T, kek []byte, owner string) []byte {
	const label = "sealkit/keystore/v1/contacts"
	key, err := hkdf.Key(sha256.New, kek, nil, label, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil
	}
	ad := func(o string) []byte { return append([]byte("sealkit/keystore/v1/contacts-record\x00"), o...) }
	seal := func(name, plain, o string) string {
		n := sha256.Sum256([]byte("nonce " + name))
		return hex.EncodeToString(gcm.Seal(n[:12:12], n[:12], []byte(plain), ad(o)))
	}
	k1 := "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" // RFC 8032 test 1 public key
	k2 := "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c" // RFC 8032 test 2 public key
	b64 := func(h string) string {
		b, _ := hex.DecodeString(h)
		j, _ := json.Marshal(b)
		return string(j)
	}
	two := `{"seq":3,"contacts":[{"user":"bob","identity_key":` + b64(k1) + `,"verified":true,"pinned":"2026-12-02T09:00:00Z","bundle_version":2},{"user":"carol","identity_key":` + b64(k2) + `,"pinned":"2026-12-02T09:30:00Z"}]}`
	f := contactsVectors{
		Comment:   "sealkit keystore contact books (SPEC.md §10). Made by go test -run TestContactsVectors ./keystore -args -update.",
		Owner:     owner,
		MasterKEK: hex.EncodeToString(kek),
		Label:     label,
		SealKey:   hex.EncodeToString(key),
		AD:        hex.EncodeToString(ad(owner)),
	}
	add := func(name, plain, record, expect string) {
		f.Books = append(f.Books, contactVector{Name: name, Plaintext: hex.EncodeToString([]byte(plain)), Record: record, Expect: expect})
	}
	add("two-contacts", two, seal("two-contacts", two, owner), "ok")
	empty := `{"seq":1,"contacts":[]}`
	add("empty", empty, seal("empty", empty, owner), "ok")
	good, _ := hex.DecodeString(seal("two-contacts", two, owner))
	good[len(good)-1] ^= 1
	add("flipped-tag", two, hex.EncodeToString(good), "corrupt")
	add("another-owner", two, seal("another-owner", two, "mallory@example.com"), "corrupt")
	add("truncated", two, seal("two-contacts", two, owner)[:40], "corrupt")
	for _, bad := range []struct{ name, plain string }{
		{"unknown-field", `{"seq":1,"contacts":[],"extra":1}`},
		{"out-of-order", `{"seq":1,"contacts":[{"user":"carol","identity_key":` + b64(k2) + `,"pinned":"2026-12-02T09:30:00Z"},{"user":"bob","identity_key":` + b64(k1) + `,"pinned":"2026-12-02T09:00:00Z"}]}`},
		{"duplicate-user", `{"seq":1,"contacts":[{"user":"bob","identity_key":` + b64(k1) + `,"pinned":"2026-12-02T09:00:00Z"},{"user":"bob","identity_key":` + b64(k2) + `,"pinned":"2026-12-02T09:30:00Z"}]}`},
		{"short-key", `{"seq":1,"contacts":[{"user":"bob","identity_key":` + b64(k1[:62]) + `,"pinned":"2026-12-02T09:00:00Z"}]}`},
		{"empty-user", `{"seq":1,"contacts":[{"user":"","identity_key":` + b64(k1) + `,"pinned":"2026-12-02T09:00:00Z"}]}`},
		{"trailing-data", empty + `{}`},
		{"not-json", `seq=1`},
	} {
		add(bad.name, bad.plain, seal(bad.name, bad.plain, owner), "corrupt")
	}
	f.Books[0].Seq = 3
	f.Books[0].Contacts = []struct {
		User          string `json:"user"`
		IdentityKey   string `json:"identity_key"`
		Verified      bool   `json:"verified"`
		BundleVersion uint64 `json:"bundle_version"`
	}{{"bob", k1, true, 2}, {"carol", k2, false, 0}}
	f.Books[1].Seq = 1
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestContactsVectors(t *testing.T) {
	vf := loadVectors(t)
	acct := vf.Accounts[0]
	if acct.Name != "pbkdf2" {
		t.Fatalf("first account vector is %q", acct.Name)
	}
	kek, _ := hex.DecodeString(acct.MasterKEK)
	want := makeContactsVectors(t, kek, acct.Owner)
	if want == nil {
		t.Log("GCM with chosen nonces refused (FIPS 140-only mode): checking the frozen file without regenerating it")
	}
	if *update && want != nil {
		if err := os.WriteFile(contactsVectorFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(contactsVectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if want != nil && !bytes.Equal(got, want) {
		t.Fatalf("%s differs from what the generator makes: frozen vectors must not change", contactsVectorFile)
	}
	var f contactsVectors
	if err := json.Unmarshal(got, &f); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	store := keystore.NewMemoryStore()
	rec, _ := hex.DecodeString(acct.Record)
	if _, err := store.Put(ctx, acct.Owner, "account", rec); err != nil {
		t.Fatal(err)
	}
	ks := keystore.New(store, keystore.BrowserPolicy())
	s, err := ks.Unlock(ctx, acct.Owner, acct.Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, v := range f.Books {
		t.Run(v.Name, func(t *testing.T) {
			data, _ := hex.DecodeString(v.Record)
			store.Delete(ctx, acct.Owner, "contacts")
			if _, err := store.Put(ctx, acct.Owner, "contacts", data); err != nil {
				t.Fatal(err)
			}
			book, err := ks.Contacts(ctx, s)
			if v.Expect == "corrupt" {
				if !errors.Is(err, keystore.ErrCorrupt) {
					t.Fatalf("%v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			list := book.List()
			if book.Seq() != v.Seq || len(list) != len(v.Contacts) {
				t.Fatalf("seq %d, %d contacts", book.Seq(), len(list))
			}
			for i, c := range v.Contacts {
				g := list[i]
				if g.User != c.User || hex.EncodeToString(g.IdentityKey) != c.IdentityKey || g.Verified != c.Verified || g.BundleVersion != c.BundleVersion || g.Pinned.IsZero() {
					t.Fatalf("contact %d: %+v", i, g)
				}
			}
		})
	}
}

// FuzzContactsBook: any plaintext sealed under the owner's key either is
// refused as corrupt or yields a book that saves and reads back the same.
func FuzzContactsBook(f *testing.F) {
	var vf contactsVectors
	raw, err := os.ReadFile(contactsVectorFile)
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(raw, &vf); err != nil {
		f.Fatal(err)
	}
	for _, v := range vf.Books {
		p, _ := hex.DecodeString(v.Plaintext)
		f.Add(p)
	}
	acct := loadVectors(f).Accounts[0]
	ctx := context.Background()
	store := keystore.NewMemoryStore()
	rec, _ := hex.DecodeString(acct.Record)
	store.Put(ctx, acct.Owner, "account", rec)
	ks := keystore.New(store, keystore.BrowserPolicy())
	s, err := ks.Unlock(ctx, acct.Owner, acct.Passphrase)
	if err != nil {
		f.Fatal(err)
	}
	key, _ := hex.DecodeString(vf.SealKey)
	ad, _ := hex.DecodeString(vf.AD)
	block, _ := aes.NewCipher(key)
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		f.Skip("GCM with chosen nonces refused (FIPS 140-only mode)")
	}
	f.Fuzz(func(t *testing.T, plain []byte) {
		nonce := make([]byte, 12)
		store.Delete(ctx, acct.Owner, "contacts")
		store.Put(ctx, acct.Owner, "contacts", gcm.Seal(nonce, nonce, plain, ad))
		book, err := ks.Contacts(ctx, s)
		if err != nil {
			if !errors.Is(err, keystore.ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
			return
		}
		before := book.List()
		book.Accept("zz-fuzz", make([]byte, 32), time.Unix(0, 0))
		book.Remove("zz-fuzz")
		if err := ks.SaveContacts(ctx, s, book); err != nil {
			t.Fatal(err)
		}
		again, err := ks.Contacts(ctx, s)
		if err != nil || len(again.List()) != len(before) || again.Seq() != book.Seq() {
			t.Fatalf("round trip: %v", err)
		}
	})
}
