package keystore_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/keystore"
)

func genKey(t testing.TB, s *keystore.Session, name string, kind keystore.Kind, version uint32) *keystore.KeyRecord {
	t.Helper()
	r, err := s.GenerateKey(name, kind, version)
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", kind, err)
	}
	return r
}

func TestKeyKinds(t *testing.T) {
	_, s, _ := mustAccount(t, weakPBKDF2())
	kinds := keystore.Kinds()
	if testing.Short() {
		kinds = []keystore.Kind{keystore.RSA2048, keystore.X25519, keystore.MLKEM768X25519, keystore.Ed25519, keystore.ECDSAP256, keystore.DEK}
	}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			if !kindWorks(kind) {
				skipInFIPS(t, string(kind))
			}
			r := genKey(t, s, "k", kind, 7)
			r2, err := keystore.ParseKeyRecord(r.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r2.Bytes(), r.Bytes()) || r2.Kind() != kind || r2.Name() != "k" || r2.Version() != 7 || r2.Owner() != s.Owner() {
				t.Fatal("key record does not round-trip")
			}
			if kind == keystore.DEK {
				k, err := s.OpenDEK(r2)
				if err != nil {
					t.Fatal(err)
				}
				ct, err := envelope.Seal([]byte("x"), nil, &envelope.SealOptions{Key: k})
				if err != nil {
					t.Fatal(err)
				}
				k2, _ := s.OpenDEK(r)
				if pt, err := envelope.Open(ct, nil, &envelope.OpenOptions{Key: k2}); err != nil || string(pt) != "x" {
					t.Fatalf("DEK opened twice differs: %v", err)
				}
				if _, err := s.OpenKey(r); err == nil {
					t.Fatal("OpenKey accepted a DEK")
				}
				return
			}
			pk, err := s.OpenKey(r2)
			if err != nil {
				t.Fatal(err)
			}
			if pk.Kind() != kind || pk.Name() != "k" || pk.Version() != 7 {
				t.Fatal("opened key has the wrong naming")
			}
			checkPublicMatches(t, kind, pk, r.Public())
			if signer, err := pk.Signer(); err == nil {
				msg := sha256.Sum256([]byte("message"))
				opts := crypto.SignerOpts(crypto.SHA256)
				if kind == keystore.Ed25519 {
					opts = crypto.Hash(0)
				}
				in := msg[:]
				if kind == keystore.Ed25519 {
					in = []byte("message")
				}
				if _, err := signer.Sign(nil, in, opts); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := pk.Identity(); err == nil {
				// The session is an envelope identity for its added records.
				rcpt := recipientFor(t, kind, r.Public())
				ct, err := envelope.Seal([]byte("hello"), nil, nil, rcpt)
				if err != nil {
					t.Fatal(err)
				}
				s.AddKeys(r)
				pt, err := envelope.Open(ct, nil, nil, s)
				if err != nil || string(pt) != "hello" {
					t.Fatalf("envelope.Open with the session: %q, %v", pt, err)
				}
			} else if kind != keystore.Ed25519 && kind != keystore.ECDSAP256 {
				t.Fatalf("no identity for %s: %v", kind, err)
			}
			if s := fmt.Sprintf("%v %#v", pk, pk); strings.Contains(s, "PRIVATE") || len(s) > 200 {
				t.Fatalf("private key prints itself: %s", s)
			}
		})
	}
}

func checkPublicMatches(t *testing.T, kind keystore.Kind, pk *keystore.PrivateKey, pub []byte) {
	t.Helper()
	var got []byte
	switch k := pk.Key().(type) {
	case *rsa.PrivateKey:
		got, _ = x509.MarshalPKIXPublicKey(&k.PublicKey)
	case *ecdsa.PrivateKey:
		got, _ = x509.MarshalPKIXPublicKey(&k.PublicKey)
	case ed25519.PrivateKey:
		got = k.Public().(ed25519.PublicKey)
	case interface {
		PublicKey() interface{ Bytes() []byte }
	}:
		got = k.PublicKey().Bytes()
	case *envelope.HybridIdentity:
		got = k.Recipient().Bytes()
	default:
		id, err := pk.Identity()
		if err != nil {
			t.Fatal(err)
		}
		got = id.(*envelope.X25519Identity).Recipient().Bytes()
	}
	if !bytes.Equal(got, pub) {
		t.Fatalf("%s: public part does not match the private key", kind)
	}
}

func recipientFor(t *testing.T, kind keystore.Kind, pub []byte) envelope.Recipient {
	t.Helper()
	var r envelope.Recipient
	var err error
	switch kind {
	case keystore.X25519:
		r, err = envelope.ParseX25519Recipient(pub)
	case keystore.MLKEM768X25519:
		r, err = envelope.ParseHybridRecipient(pub)
	default:
		r, err = envelope.ParseRSARecipient(pub)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawRecord is the key record layout of SPEC.md §4, decoded independently
// of the package, so tests can move a record to another owner, name, kind,
// version or public key the way an attacker with the database would.
type rawRecord struct {
	owner, name, kind string
	version           uint32
	public, sealed    []byte
}

func decodeRaw(t testing.TB, b []byte) rawRecord {
	t.Helper()
	if string(b[:4]) != "SKKR" || b[4] != 1 {
		t.Fatal("not a v1 key record")
	}
	b = b[5:]
	str := func() string { n := int(b[0]); s := string(b[1 : 1+n]); b = b[1+n:]; return s }
	blob := func() []byte { n := int(binary.BigEndian.Uint16(b)); v := b[2 : 2+n]; b = b[2+n:]; return v }
	var r rawRecord
	r.owner, r.name, r.kind = str(), str(), str()
	r.version = binary.BigEndian.Uint32(b)
	b = b[4:]
	r.public, r.sealed = blob(), blob()
	if len(b) != 0 {
		t.Fatal("trailing bytes")
	}
	return r
}

func (r rawRecord) encode() []byte {
	b := []byte("SKKR\x01")
	for _, s := range []string{r.owner, r.name, r.kind} {
		b = append(append(b, byte(len(s))), s...)
	}
	b = binary.BigEndian.AppendUint32(b, r.version)
	b = append(binary.BigEndian.AppendUint16(b, uint16(len(r.public))), r.public...)
	return append(binary.BigEndian.AppendUint16(b, uint16(len(r.sealed))), r.sealed...)
}

// TestKeyRecordBinding: a sealed record moved or altered in any named field
// fails to open with ErrCorrupt.
func TestKeyRecordBinding(t *testing.T) {
	_, s, _ := mustAccount(t, weakPBKDF2())
	orig := genKey(t, s, "signing", keystore.Ed25519, 2)
	other := genKey(t, s, "other", keystore.Ed25519, 1)
	dek := genKey(t, s, "data", keystore.DEK, 1)
	raw := decodeRaw(t, orig.Bytes())
	mutate := map[string]func(r *rawRecord){
		"owner":        func(r *rawRecord) { r.owner = "mallory@example.com" },
		"name":         func(r *rawRecord) { r.name = "other" },
		"version":      func(r *rawRecord) { r.version = 1 },
		"kind":         func(r *rawRecord) { r.kind = "x25519" },
		"public":       func(r *rawRecord) { r.public = decodeRaw(t, other.Bytes()).public },
		"sealed":       func(r *rawRecord) { r.sealed = decodeRaw(t, other.Bytes()).sealed },
		"sealed-flip":  func(r *rawRecord) { r.sealed = bytes.Clone(r.sealed); r.sealed[20] ^= 1 },
		"nonce-flip":   func(r *rawRecord) { r.sealed = bytes.Clone(r.sealed); r.sealed[0] ^= 1 },
		"tag-truncate": func(r *rawRecord) { r.sealed = r.sealed[:len(r.sealed)-1] },
	}
	for name, m := range mutate {
		t.Run(name, func(t *testing.T) {
			r := raw
			m(&r)
			rec, err := keystore.ParseKeyRecord(r.encode())
			if err != nil {
				if !errors.Is(err, keystore.ErrCorrupt) {
					t.Fatalf("parse: %v, want ErrCorrupt", err)
				}
				return
			}
			if _, err := s.OpenKey(rec); !errors.Is(err, keystore.ErrCorrupt) {
				t.Fatalf("OpenKey: %v, want ErrCorrupt", err)
			}
		})
	}
	t.Run("dek-as-key-kind", func(t *testing.T) {
		r := decodeRaw(t, dek.Bytes())
		r.kind, r.public = "ed25519", make([]byte, 32)
		rec, err := keystore.ParseKeyRecord(r.encode())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenKey(rec); !errors.Is(err, keystore.ErrCorrupt) {
			t.Fatalf("DEK relabelled as a key: %v", err)
		}
	})
	t.Run("another-account", func(t *testing.T) {
		_, s2, _ := mustAccount(t, weakPBKDF2())
		if _, err := s2.OpenKey(orig); !errors.Is(err, keystore.ErrCorrupt) {
			t.Fatalf("same owner name, other account: %v", err)
		}
	})
}

func TestParseKeyRecordLimits(t *testing.T) {
	_, s, _ := mustAccount(t, weakPBKDF2())
	good := decodeRaw(t, genKey(t, s, "k", keystore.Ed25519, 1).Bytes())
	tests := map[string]func(r *rawRecord){
		"empty-owner":   func(r *rawRecord) { r.owner = "" },
		"empty-name":    func(r *rawRecord) { r.name = "" },
		"name-slash":    func(r *rawRecord) { r.name = "a/b" },
		"long-name":     func(r *rawRecord) { r.name = strings.Repeat("a", 129) },
		"version-0":     func(r *rawRecord) { r.version = 0 },
		"unknown-kind":  func(r *rawRecord) { r.kind = "dsa" },
		"short-public":  func(r *rawRecord) { r.public = r.public[:31] },
		"short-sealed":  func(r *rawRecord) { r.sealed = r.sealed[:28] },
		"huge-sealed":   func(r *rawRecord) { r.sealed = make([]byte, 4097) },
		"dek-with-pub":  func(r *rawRecord) { r.kind = "dek" },
		"rsa-no-public": func(r *rawRecord) { r.kind, r.public = "rsa-2048", nil },
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			r := good
			m(&r)
			if _, err := keystore.ParseKeyRecord(r.encode()); !errors.Is(err, keystore.ErrCorrupt) {
				t.Fatalf("%v, want ErrCorrupt", err)
			}
		})
	}
	b := good.encode()
	for i := range len(b) {
		if _, err := keystore.ParseKeyRecord(b[:i]); !errors.Is(err, keystore.ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", i, err)
		}
	}
	if _, err := keystore.ParseKeyRecord(append(b, 0)); !errors.Is(err, keystore.ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := s.GenerateKey("bad/name", keystore.Ed25519, 1); err == nil {
		t.Fatal("GenerateKey accepted a bad name")
	}
	if _, err := s.GenerateKey("k", "dsa", 1); err == nil {
		t.Fatal("GenerateKey accepted an unknown kind")
	}
}

func TestSessionClose(t *testing.T) {
	_, s, _ := mustAccount(t, weakPBKDF2())
	r := genKey(t, s, "k", keystore.Ed25519, 1)
	s.Close()
	if s.AuthKey() != nil {
		t.Fatal("auth key survives Close")
	}
	if _, err := s.OpenKey(r); !errors.Is(err, keystore.ErrClosed) {
		t.Fatalf("OpenKey after Close: %v", err)
	}
	if _, err := s.GenerateKey("k2", keystore.Ed25519, 1); !errors.Is(err, keystore.ErrClosed) {
		t.Fatalf("GenerateKey after Close: %v", err)
	}
	s.Close() // idempotent
}
