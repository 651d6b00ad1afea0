package webclient_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/fips140"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// manifest is the layout check-vectors.mjs writes with --emit and reads
// with --open: the vector-file key layout of envelope/SPEC.md §9, and
// envelopes and records kept in files beside it.
type manifest struct {
	Comment   string                  `json:"comment"`
	Keys      map[string]manifestKey  `json:"keys"`
	Envelopes []manifestEnvelope      `json:"envelopes"`
	Wrapped   []manifestWrappedRecord `json:"wrapped_keys"`
}

type manifestKey struct {
	Type       string `json:"type"`
	Private    string `json:"private,omitempty"`
	Public     string `json:"public,omitempty"`
	ID         string `json:"id,omitempty"`
	Passphrase string `json:"passphrase,omitempty"`
}

type manifestEnvelope struct {
	Name           string             `json:"name"`
	Identity       string             `json:"identity"`
	File           string             `json:"file"`
	AssociatedData string             `json:"associated_data"`
	Plaintext      string             `json:"plaintext"`
	Metadata       *envelope.Metadata `json:"metadata"`
	Suite          int                `json:"suite"`
}

type manifestWrappedRecord struct {
	Name     string `json:"name"`
	Identity string `json:"identity"`
	File     string `json:"file"`
	FileKey  string `json:"file_key"`
}

// needNode skips the test unless node and the pinned npm packages are here.
func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: install Node.js, then run `npm ci` in examples/webclient")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@hpke", "core", "package.json")); err != nil {
		t.Skip("examples/webclient/node_modules is missing: run `npm ci` in examples/webclient")
	}
	return node
}

// runNode runs check-vectors.mjs with args and fails the test if it exits
// non-zero; its output goes to the test log.
func runNode(t *testing.T, node string, args ...string) {
	t.Helper()
	cmd := exec.Command(node, append([]string{"check-vectors.mjs"}, args...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("node check-vectors.mjs %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("node check-vectors.mjs %s: %v", strings.Join(args, " "), err)
	}
}

// TestNodeChecksVectorsAndGoOpensItsEnvelopes runs the JavaScript checker
// over envelope's golden vectors, has it seal fresh envelopes, and opens
// every one with the Go envelope package.
func TestNodeChecksVectorsAndGoOpensItsEnvelopes(t *testing.T) {
	node := needNode(t)
	dir := t.TempDir()
	runNode(t, node, "--emit", dir)
	m := readManifest(t, dir)
	if len(m.Envelopes) == 0 || len(m.Wrapped) == 0 {
		t.Fatalf("manifest lists %d envelopes and %d records; want some of each", len(m.Envelopes), len(m.Wrapped))
	}
	checkPublicKeys(t, m.Keys)
	for _, e := range m.Envelopes {
		t.Run("open/"+e.Name, func(t *testing.T) {
			skipInFIPS(t, m.Keys[e.Identity].Type, e.Suite)
			env, err := os.ReadFile(filepath.Join(dir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			ids, opts := identity(t, m.Keys, e.Identity)
			ad := unhex(t, e.AssociatedData)
			h, err := envelope.ParseHeader(env)
			if err != nil {
				t.Fatal(err)
			}
			if int(h.Suite()) != e.Suite {
				t.Errorf("suite %d, want %d", h.Suite(), e.Suite)
			}
			pt, meta, err := envelope.OpenWithMetadata(env, ad, opts, ids...)
			if err != nil {
				t.Fatalf("OpenWithMetadata: %v", err)
			}
			if want := unhex(t, e.Plaintext); !bytes.Equal(pt, want) {
				t.Errorf("plaintext differs: got %d bytes, want %d", len(pt), len(want))
			}
			if !reflect.DeepEqual(meta, e.Metadata) {
				t.Errorf("metadata %+v, want %+v", meta, e.Metadata)
			}
			// The streaming reader agrees, and a wrong associated data is refused.
			r, err := envelope.NewReader(bytes.NewReader(env), ad, opts, ids...)
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("streaming open: %d bytes, %v", len(got), err)
			}
			bad := append(bytes.Clone(ad), '!')
			if _, err := envelope.Open(env, bad, opts, ids...); !errors.Is(err, envelope.ErrCorrupt) {
				t.Errorf("Open with other associated data: %v, want ErrCorrupt", err)
			}
		})
	}
	for _, w := range m.Wrapped {
		t.Run("unwrap/"+w.Name, func(t *testing.T) {
			skipInFIPS(t, m.Keys[w.Identity].Type, 0)
			rec, err := os.ReadFile(filepath.Join(dir, w.File))
			if err != nil {
				t.Fatal(err)
			}
			ids, _ := identity(t, m.Keys, w.Identity)
			key, err := envelope.UnwrapKey(rec, ids...)
			if err != nil {
				t.Fatalf("UnwrapKey: %v", err)
			}
			// A Key does not reveal itself: check it opens an envelope sealed
			// under the expected key.
			want, err := envelope.NewKeyFromBytes(unhex(t, w.FileKey))
			if err != nil {
				t.Fatal(err)
			}
			env, err := envelope.Seal([]byte("probe"), nil, &envelope.SealOptions{Key: want})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := envelope.Open(env, nil, &envelope.OpenOptions{Key: key}); err != nil {
				t.Errorf("the unwrapped key is not the expected one: %v", err)
			}
		})
	}
}

// TestNodeOpensGoEnvelopes seals fresh envelopes and records with the Go
// package and has the JavaScript implementation open them.
func TestNodeOpensGoEnvelopes(t *testing.T) {
	node := needNode(t)
	dir := t.TempDir()
	m := sealWithGo(t, dir)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	runNode(t, node, "--no-vectors", "--open", dir)
}

func readManifest(t *testing.T, dir string) *manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest{}
	if err := json.Unmarshal(b, m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return m
}

// skipInFIPS skips what GODEBUG=fips140=only refuses: X25519 (alone or in
// the hybrid KEM) and the counter-nonce suite.
func skipInFIPS(t *testing.T, keyType string, suite int) {
	t.Helper()
	if !fips140.Enforced() {
		return
	}
	if keyType == "x25519" || keyType == "mlkem768x25519" {
		t.Skipf("FIPS 140-3 mode refuses X25519 (key type %s)", keyType)
	}
	if suite == int(envelope.SuiteStream) {
		t.Skip("FIPS 140-3 mode refuses caller-chosen GCM nonces (suite 1)")
	}
}

// identity returns the Go identities (or detached key) for a manifest key.
func identity(t *testing.T, keys map[string]manifestKey, name string) ([]envelope.Identity, *envelope.OpenOptions) {
	t.Helper()
	k, ok := keys[name]
	if !ok {
		t.Fatalf("manifest names unknown key %q", name)
	}
	var id envelope.Identity
	var err error
	switch k.Type {
	case "x25519":
		id, err = envelope.ParseX25519Identity(unhex(t, k.Private))
	case "rsa":
		id, err = envelope.ParseRSAIdentity(unhex(t, k.Private))
	case "mlkem768x25519":
		id, err = envelope.ParseHybridIdentity(unhex(t, k.Private))
	case "kek":
		id, err = envelope.NewKEK(k.ID, unhex(t, k.Private))
	case "aes-gcm-aead":
		id, err = envelope.NewAEADKey(k.ID, newGCMAEAD(t, unhex(t, k.Private)))
	case "passphrase-pbkdf2", "passphrase-argon2id":
		id, err = envelope.NewPassphraseIdentity(k.Passphrase)
	case "file-key":
		key, err := envelope.NewKeyFromBytes(unhex(t, k.Private))
		if err != nil {
			t.Fatal(err)
		}
		return nil, &envelope.OpenOptions{Key: key}
	default:
		t.Fatalf("unknown key type %q", k.Type)
	}
	if err != nil {
		t.Fatalf("key %s: %v", name, err)
	}
	return []envelope.Identity{id}, &envelope.OpenOptions{}
}

// checkPublicKeys checks that the public keys sealkit.js derived match the
// ones Go derives from the same private keys.
func checkPublicKeys(t *testing.T, keys map[string]manifestKey) {
	t.Helper()
	for name, k := range keys {
		if k.Public == "" {
			continue
		}
		var got []byte
		switch k.Type {
		case "x25519":
			if fips140.Enforced() {
				continue
			}
			id, err := envelope.ParseX25519Identity(unhex(t, k.Private))
			if err != nil {
				t.Fatal(err)
			}
			got = id.Recipient().Bytes()
		case "mlkem768x25519":
			if fips140.Enforced() {
				continue
			}
			id, err := envelope.ParseHybridIdentity(unhex(t, k.Private))
			if err != nil {
				t.Fatal(err)
			}
			got = id.Recipient().Bytes()
		case "rsa":
			id, err := envelope.ParseRSAIdentity(unhex(t, k.Private))
			if err != nil {
				t.Fatal(err)
			}
			got = id.Recipient().MarshalPKIX()
		default:
			continue
		}
		if hex.EncodeToString(got) != k.Public {
			t.Errorf("key %s: public key differs between sealkit.js and Go", name)
		}
	}
}

// gcmAEAD is the external AEAD of the "aes-gcm-aead" keys: AES-256-GCM
// with a random nonce prepended, as sealkit.js's aesGcmAead writes it.
type gcmAEAD struct{ aead cipher.AEAD }

func newGCMAEAD(t *testing.T, key []byte) *gcmAEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmAEAD{a}
}

func (g *gcmAEAD) Encrypt(pt, ad []byte) ([]byte, error) { return g.aead.Seal(nil, nil, pt, ad), nil }
func (g *gcmAEAD) Decrypt(ct, ad []byte) ([]byte, error) { return g.aead.Open(nil, nil, ct, ad) }

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

// sealWithGo seals envelopes and wrapped-key records with fresh keys into
// dir and returns their manifest. In FIPS mode it leaves out what that
// mode refuses (X25519, the hybrid KEM, suite 1).
func sealWithGo(t *testing.T, dir string) *manifest {
	t.Helper()
	fips := fips140.Enforced()
	m := &manifest{Comment: "envelopes sealed by the Go envelope package", Keys: map[string]manifestKey{}}
	type recip struct {
		name string
		r    envelope.Recipient
	}
	var recips []recip

	if !fips {
		x, err := envelope.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		m.Keys["x25519"] = manifestKey{Type: "x25519", Private: hex.EncodeToString(x.Bytes()), Public: hex.EncodeToString(x.Recipient().Bytes())}
		recips = append(recips, recip{"x25519", x.Recipient()})
		hy, err := envelope.GenerateHybridIdentity()
		if err != nil {
			t.Fatal(err)
		}
		m.Keys["mlkem768x25519"] = manifestKey{Type: "mlkem768x25519", Private: hex.EncodeToString(hy.Bytes()), Public: hex.EncodeToString(hy.Recipient().Bytes())}
		recips = append(recips, recip{"mlkem768x25519", hy.Recipient()})
	}
	rsaID, err := envelope.GenerateRSAIdentity(2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := rsaID.MarshalPKCS8()
	if err != nil {
		t.Fatal(err)
	}
	m.Keys["rsa"] = manifestKey{Type: "rsa", Private: hex.EncodeToString(pkcs8), Public: hex.EncodeToString(rsaID.Recipient().MarshalPKIX())}
	recips = append(recips, recip{"rsa", rsaID.Recipient()})

	kekRaw := randBytes(32)
	kek, err := envelope.NewKEK("go-kek", kekRaw)
	if err != nil {
		t.Fatal(err)
	}
	m.Keys["kek"] = manifestKey{Type: "kek", ID: "go-kek", Private: hex.EncodeToString(kekRaw)}
	recips = append(recips, recip{"kek", kek})

	aeadRaw := randBytes(32)
	ak, err := envelope.NewAEADKey("go/kms/key-1", newGCMAEAD(t, aeadRaw))
	if err != nil {
		t.Fatal(err)
	}
	m.Keys["aead"] = manifestKey{Type: "aes-gcm-aead", ID: "go/kms/key-1", Private: hex.EncodeToString(aeadRaw)}
	recips = append(recips, recip{"aead", ak})

	const pass = "correct horse battery staple (go)"
	pb, err := envelope.NewPBKDF2Recipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	m.Keys["pbkdf2"] = manifestKey{Type: "passphrase-pbkdf2", Passphrase: pass}
	recips = append(recips, recip{"pbkdf2", pb})
	ar, err := envelope.NewArgon2idRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := ar.SetParams(envelope.Argon2idParams{Time: 2, MemoryKiB: 19456, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	m.Keys["argon2id"] = manifestKey{Type: "passphrase-argon2id", Passphrase: pass}
	recips = append(recips, recip{"argon2id", ar})

	detachedRaw := randBytes(32)
	detached, err := envelope.NewKeyFromBytes(detachedRaw)
	if err != nil {
		t.Fatal(err)
	}
	m.Keys["detached"] = manifestKey{Type: "file-key", Private: hex.EncodeToString(detachedRaw)}

	ad := []byte("object:9|owner:go")
	meta := &envelope.Metadata{Name: "from-go.bin", ContentType: "application/octet-stream", Size: 300,
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Extra: map[string]string{"by": "go"}}
	suites := []envelope.Suite{envelope.SuiteStream, envelope.SuiteRandomNonce}
	if fips {
		suites = suites[1:]
	}
	plaintext := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*5 + 1)
		}
		return b
	}
	add := func(name, idName string, suite envelope.Suite, n int, md *envelope.Metadata, key *envelope.Key, rs ...envelope.Recipient) {
		pt := plaintext(n)
		env, err := envelope.Seal(pt, ad, &envelope.SealOptions{Key: key, Metadata: md, SegmentSize: 64, Suite: suite}, rs...)
		if err != nil {
			t.Fatalf("Seal %s: %v", name, err)
		}
		file := name + ".skev"
		if err := os.WriteFile(filepath.Join(dir, file), env, 0o600); err != nil {
			t.Fatal(err)
		}
		m.Envelopes = append(m.Envelopes, manifestEnvelope{Name: name, Identity: idName, File: file,
			AssociatedData: hex.EncodeToString(ad), Plaintext: hex.EncodeToString(pt), Metadata: md, Suite: int(suite)})
	}
	for _, s := range suites {
		for _, r := range recips {
			add(fmt.Sprintf("%s-suite%d", r.name, s), r.name, s, 300, meta, nil, r.r)
		}
		add(fmt.Sprintf("detached-suite%d", s), "detached", s, 300, meta, detached)
		for _, n := range []int{0, 1, 64, 65, 129} {
			add(fmt.Sprintf("kek-%d-bytes-suite%d", n, s), "kek", s, n, nil, nil, kek)
		}
	}
	for _, r := range recips {
		rec, err := envelope.WrapKey(detached, r.r)
		if err != nil {
			t.Fatalf("WrapKey %s: %v", r.name, err)
		}
		file := r.name + ".skwk"
		if err := os.WriteFile(filepath.Join(dir, file), rec, 0o600); err != nil {
			t.Fatal(err)
		}
		m.Wrapped = append(m.Wrapped, manifestWrappedRecord{Name: r.name, Identity: r.name, File: file, FileKey: hex.EncodeToString(detachedRaw)})
	}
	return m
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
