package storageauth_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/sealkit/sealkit/internal/testvec"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/sealkit/sealkit/storageauth"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json (the committed file is frozen: only for new vectors)")

// vectorFile is the layout of testdata/vectors.json, documented in SPEC.md §8.
type vectorFile struct {
	Comment    string             `json:"comment"`
	Wallet     walletVector       `json:"wallet"`
	Derivation []derivationVector `json:"derivation"`
	Store      []storeVector      `json:"store_requests"`
	Retrieve   []retrieveVector   `json:"retrieve_proofs"`
}

type walletVector struct {
	PrivateKey  string `json:"private_key"`
	Message     string `json:"message"`
	EIP191Hash  string `json:"eip191_hash"`
	Signature   string `json:"signature"`
	Description string `json:"description"`
}

type derivationVector struct {
	Name       string `json:"name"`
	Scheme     string `json:"scheme"`
	Source     string `json:"source"` // raw, seed, prf, wallet
	Input      string `json:"input"`  // hex; for raw, the IKM itself
	IKM        string `json:"ikm"`
	Info       string `json:"info"`
	KEK        string `json:"kek"`
	SigningOKM string `json:"signing_okm"`
	SigningKey string `json:"signing_key"` // Ed25519 seed or ECDSA scalar
	PKCS8      string `json:"pkcs8,omitempty"`
	PublicKey  string `json:"public_key"`
	ID         string `json:"id"`
}

type storeVector struct {
	Name    string   `json:"name"`
	Key     string   `json:"key,omitempty"` // derivation vector whose KEK opens an ok body
	PathID  string   `json:"path_id"`
	Before  []string `json:"before,omitempty"` // store vectors applied first, each must be ok
	Body    string   `json:"body"`
	Message string   `json:"message,omitempty"` // hex of the signed store message (for ok)
	AD      string   `json:"associated_data,omitempty"`
	Keyring string   `json:"keyring,omitempty"` // hex, for ok
	Expect  string   `json:"expect"`            // ok, malformed, too_large, invalid_signature, conflict
}

type retrieveVector struct {
	Name      string `json:"name"`
	ID        string `json:"id"`
	Now       int64  `json:"now"`
	Timestamp int64  `json:"timestamp"`
	Signature string `json:"signature"`
	Message   string `json:"message"`
	Expect    string `json:"expect"` // ok, invalid_signature
}

// --- The spec, written out again independently of the package. ---

const (
	specSalt         = "sealkit/storageauth/v1"
	specCandidates   = 4
	specProofWindow  = 300
	specStoreContext = "sealkit/storageauth/v1/store"
)

func specHKDF(t testing.TB, ikm []byte, info string, n int) []byte {
	t.Helper()
	out, err := hkdf.Key(sha256.New, ikm, []byte(specSalt), info, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func specIKM(t testing.TB, source string, input []byte) []byte {
	t.Helper()
	switch source {
	case "raw":
		return input
	case "seed":
		return specHKDF(t, input, "raw seed", 32)
	case "prf":
		return specHKDF(t, input, "webauthn prf", 32)
	case "wallet":
		s := input[32:64]
		var b [32]byte
		copy(b[:], s)
		var k secp256k1.ModNScalar
		k.SetBytes(&b)
		if k.IsOverHalfOrder() {
			s = negateModN(s)
		}
		return specHKDF(t, append(bytes.Clone(input[:32]), s...), "eip-191 wallet signature", 32)
	}
	t.Fatalf("unknown source %q", source)
	return nil
}

// specKeys returns kek, the signing OKM, the signing key and the public key.
func specKeys(t testing.TB, scheme string, ikm, info []byte) (kek, okm, sk, pub []byte) {
	t.Helper()
	kek = specHKDF(t, ikm, "key encryption key\x00"+string(info), 32)
	n := 32
	if scheme != "ed25519" {
		n = 32 * specCandidates
	}
	okm = specHKDF(t, ikm, "storage authorisation secret key\x00"+scheme+"\x00"+string(info), n)
	switch scheme {
	case "ed25519":
		sk = okm
		pub = ed25519.NewKeyFromSeed(sk).Public().(ed25519.PublicKey)
	case "p256":
		for i := range specCandidates {
			k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), okm[32*i:32*i+32])
			if err == nil {
				sk = okm[32*i : 32*i+32]
				pub, _ = k.PublicKey.Bytes()
				break
			}
		}
	case "secp256k1":
		for i := range specCandidates {
			var b [32]byte
			copy(b[:], okm[32*i:])
			var k secp256k1.ModNScalar
			if k.SetBytes(&b) == 0 && !k.IsZero() {
				sk = okm[32*i : 32*i+32]
				pub = secp256k1.NewPrivateKey(&k).PubKey().SerializeUncompressed()
				break
			}
		}
	}
	if sk == nil {
		t.Fatalf("%s: no valid scalar", scheme)
	}
	return kek, okm, sk, pub
}

func specBound(context, id string) []byte {
	b := append([]byte(context), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

func specStoreMessage(id string, version uint64, ct []byte) []byte {
	h := sha256.Sum256(ct)
	b := binary.BigEndian.AppendUint64(specBound(specStoreContext, id), version)
	return append(b, h[:]...)
}

func specAD(id string, version uint64) []byte {
	return binary.BigEndian.AppendUint64(specBound("sealkit/storageauth/v1/keyring", id), version)
}

func specRetrieveMessage(id string, ts int64) []byte {
	return binary.BigEndian.AppendUint64(specBound("sealkit/storageauth/v1/retrieve", id), uint64(ts))
}

// specOpen decrypts ct with kek as a WebCrypto client would: the first 12
// bytes are the IV, the rest ciphertext || tag.
func specOpen(t testing.TB, kek, ct, ad []byte) ([]byte, error) {
	t.Helper()
	b, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		t.Fatal(err)
	}
	return g.Open(nil, nil, ct, ad)
}

// --- Checking. ---

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var f vectorFile
	testvec.LoadGolden(t, &f)
	if len(f.Derivation) == 0 || len(f.Store) == 0 || len(f.Retrieve) == 0 {
		t.Fatalf("%s has an empty section", testvec.GoldenFile)
	}
	return &f
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vectors: %v", err)
	}
	return b
}

func schemeNamed(t testing.TB, name string) storageauth.Scheme {
	t.Helper()
	for _, s := range schemes {
		if s.String() == name {
			return s
		}
	}
	t.Fatalf("unknown scheme %q", name)
	return 0
}

// outcome names err as the vectors' expect field does.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, storageauth.ErrTooLarge):
		return "too_large"
	case errors.Is(err, storageauth.ErrMalformed):
		return "malformed"
	case errors.Is(err, storageauth.ErrInvalidSignature):
		return "invalid_signature"
	case errors.Is(err, storageauth.ErrConflict):
		return "conflict"
	case errors.Is(err, storageauth.ErrNotFound):
		return "not_found"
	}
	return "unexpected: " + err.Error()
}

func deriveVector(t testing.TB, v derivationVector) *storageauth.Keys {
	t.Helper()
	input := unhex(t, v.Input)
	var ikm []byte
	var err error
	switch v.Source {
	case "raw":
		ikm = input
	case "seed":
		ikm, err = storageauth.IKMFromSeed(input)
	case "prf":
		ikm, err = storageauth.IKMFromPRF(input)
	case "wallet":
		ikm, err = storageauth.IKMFromWalletSignature(input)
	default:
		t.Fatalf("%s: unknown source %q", v.Name, v.Source)
	}
	if err != nil {
		t.Fatalf("%s: IKM: %v", v.Name, err)
	}
	if hex.EncodeToString(ikm) != v.IKM {
		t.Fatalf("%s: IKM %x, want %s", v.Name, ikm, v.IKM)
	}
	k, err := storageauth.Derive(schemeNamed(t, v.Scheme), ikm, unhex(t, v.Info))
	if err != nil {
		t.Fatalf("%s: Derive: %v", v.Name, err)
	}
	return k
}

func TestDerivationVectors(t *testing.T) {
	f := loadVectors(t)
	for _, v := range f.Derivation {
		t.Run(v.Name, func(t *testing.T) {
			k := deriveVector(t, v)
			if k.ID().String() != v.ID || hex.EncodeToString(k.ID().PublicKey()) != v.PublicKey {
				t.Fatalf("ID %s, want %s", k.ID(), v.ID)
			}
			// The spec, independently, gives the same bytes as the file.
			kek, okm, sk, pub := specKeys(t, v.Scheme, unhex(t, v.IKM), unhex(t, v.Info))
			for name, got := range map[string][]byte{"kek": kek, "signing_okm": okm, "signing_key": sk, "public_key": pub} {
				want := map[string]string{"kek": v.KEK, "signing_okm": v.SigningOKM, "signing_key": v.SigningKey, "public_key": v.PublicKey}[name]
				if hex.EncodeToString(got) != want {
					t.Fatalf("spec %s %x, want %s", name, got, want)
				}
			}
			if v.ID != v.Scheme+":"+base64.RawURLEncoding.EncodeToString(pub) {
				t.Fatal("ID is not scheme:base64url(public key)")
			}
			if v.PKCS8 != "" {
				priv, err := x509.ParsePKCS8PrivateKey(unhex(t, v.PKCS8))
				if err != nil {
					t.Fatal(err)
				}
				var raw []byte
				switch p := priv.(type) {
				case ed25519.PrivateKey:
					raw = p.Seed()
				case *ecdsa.PrivateKey:
					raw, _ = p.Bytes()
				}
				if !bytes.Equal(raw, sk) {
					t.Fatal("PKCS#8 holds another key")
				}
			}
			// The package's KEK is the file's: what it seals opens under the
			// file's KEK with the spec's associated data.
			rec, err := k.Seal([]byte("probe"), 9)
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := specOpen(t, unhex(t, v.KEK), rec.Ciphertext, specAD(v.ID, 9)); err != nil || string(pt) != "probe" {
				t.Fatalf("KEK differs from the package's: %v", err)
			}
		})
	}
}

func TestWalletVector(t *testing.T) {
	w := loadVectors(t).Wallet
	if w.Message != storageauth.WalletMessage {
		t.Fatal("wallet message differs from WalletMessage")
	}
	if hex.EncodeToString(eip191Hash(w.Message)) != w.EIP191Hash {
		t.Fatal("EIP-191 hash differs")
	}
	if hex.EncodeToString(walletSignature(t)) != w.Signature {
		t.Fatal("wallet signature differs (RFC 6979 is deterministic)")
	}
}

// applyStore runs body through the server, either with Put or over HTTP.
func applyStore(t *testing.T, srv *storageauth.Server, viaHTTP bool, pathID, body string) string {
	t.Helper()
	if viaHTTP {
		req := httptest.NewRequest(http.MethodPut, "/"+pathID, strings.NewReader(body))
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code == http.StatusNoContent {
			return "ok"
		}
		var e struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("error body %q: %v", w.Body.String(), err)
		}
		return e.Error
	}
	rec, err := storageauth.ParseRecord([]byte(body))
	if err != nil {
		return outcome(err)
	}
	if rec.ID != pathID {
		return "malformed"
	}
	return outcome(srv.Put(context.Background(), rec))
}

func TestStoreVectors(t *testing.T) {
	f := loadVectors(t)
	byName := map[string]storeVector{}
	for _, v := range f.Store {
		byName[v.Name] = v
	}
	keys := map[string]derivationVector{}
	for _, v := range f.Derivation {
		keys[v.Name] = v
	}
	seen := map[string]int{}
	for _, v := range f.Store {
		seen[v.Expect]++
		for _, viaHTTP := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/http=%v", v.Name, viaHTTP), func(t *testing.T) {
				store := storageauth.NewMemoryStore()
				srv := storageauth.NewServer(store)
				for _, b := range v.Before {
					bv, ok := byName[b]
					if !ok {
						t.Fatalf("unknown vector %q in before", b)
					}
					if got := applyStore(t, srv, viaHTTP, bv.PathID, bv.Body); got != "ok" {
						t.Fatalf("before %s: %s", b, got)
					}
				}
				prior, priorErr := store.Get(context.Background(), v.PathID)
				if got := applyStore(t, srv, viaHTTP, v.PathID, v.Body); got != v.Expect {
					t.Fatalf("outcome %s, want %s", got, v.Expect)
				}
				after, afterErr := store.Get(context.Background(), v.PathID)
				if v.Expect != "ok" {
					if (priorErr == nil) != (afterErr == nil) || priorErr == nil && after.Version != prior.Version {
						t.Fatal("a refused request changed the slot")
					}
					return
				}
				// An accepted body: its message and ciphertext follow the
				// spec, and the key's owner decrypts it.
				rec, err := storageauth.ParseRecord([]byte(v.Body))
				if err != nil || afterErr != nil || after.Version != rec.Version {
					t.Fatalf("stored record: %v %v", err, afterErr)
				}
				if hex.EncodeToString(specStoreMessage(rec.ID, rec.Version, rec.Ciphertext)) != v.Message {
					t.Fatal("store message differs from the spec")
				}
				kv := keys[v.Key]
				pt, err := specOpen(t, unhex(t, kv.KEK), rec.Ciphertext, specAD(rec.ID, rec.Version))
				if err != nil || hex.EncodeToString(pt) != v.Keyring || hex.EncodeToString(specAD(rec.ID, rec.Version)) != v.AD {
					t.Fatalf("spec decryption: %v", err)
				}
				pt, err = deriveVector(t, kv).Open(rec)
				if err != nil || hex.EncodeToString(pt) != v.Keyring {
					t.Fatalf("Keys.Open: %v", err)
				}
			})
		}
	}
	for _, want := range []string{"ok", "malformed", "invalid_signature", "conflict"} {
		if seen[want] == 0 {
			t.Errorf("no store vector expects %s", want)
		}
	}
	t.Logf("%d store vectors: %v", len(f.Store), seen)
}

func TestRetrieveVectors(t *testing.T) {
	f := loadVectors(t)
	for _, v := range f.Retrieve {
		t.Run(v.Name, func(t *testing.T) {
			if hex.EncodeToString(specRetrieveMessage(v.ID, v.Timestamp)) != v.Message {
				t.Fatal("retrieve message differs from the spec")
			}
			srv := storageauth.NewServer(storageauth.NewMemoryStore())
			srv.RequireRetrieveProof = true
			srv.Now = func() time.Time { return time.Unix(v.Now, 0) }
			sig, err := base64.RawURLEncoding.DecodeString(v.Signature)
			if err != nil {
				t.Fatal(err)
			}
			_, err = srv.Get(context.Background(), v.ID, &storageauth.RetrieveProof{Timestamp: v.Timestamp, Signature: sig})
			got := outcome(err)
			if got == "not_found" {
				got = "ok" // the proof passed; the slot is empty
			}
			if got != v.Expect {
				t.Fatalf("outcome %s, want %s", got, v.Expect)
			}
		})
	}
}
