package keystore_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/fips140"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"strings"
	"testing"
	"testing/cryptotest"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/secure/precis"

	"github.com/sealkit/sealkit/internal/testvec"

	"github.com/sealkit/sealkit/internal/aeskw"
	"github.com/sealkit/sealkit/keystore"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json (frozen: only to add vectors)")

// vectorFile is the layout of testdata/vectors.json (SPEC.md §8).
type vectorFile struct {
	Comment     string          `json:"comment"`
	Accounts    []accountVector `json:"accounts"`
	KeyRecords  []keyVector     `json:"key_records"`
	Shares      []shareVector   `json:"recovery_shares"`
	Verifiers   []verifierVec   `json:"verifiers"`
	Passphrases []string        `json:"one_time_passphrases"`
	Preparation []prepVector    `json:"passphrase_preparation,omitempty"`
}

// prepVector is one passphrase through SPEC.md §2's preparation (RFC 8265
// OpaqueString): input and prepared are UTF-8 in hex (input may be invalid
// UTF-8); expect is ok or passphrase (refused).
type prepVector struct {
	Name     string `json:"name"`
	Input    string `json:"input"`
	Prepared string `json:"prepared,omitempty"`
	Expect   string `json:"expect"`
}

type accountVector struct {
	Name           string `json:"name"`
	Owner          string `json:"owner"`
	Passphrase     string `json:"passphrase"`
	Policy         string `json:"policy"` // default (Argon2id floors) or browser (PBKDF2 floors): the floors apply to both
	Record         string `json:"record"`
	Expect         string `json:"expect"` // ok, unlock_failed, corrupt, policy, passphrase
	KDF            string `json:"kdf,omitempty"`
	Salt           string `json:"salt,omitempty"`
	Stretched      string `json:"stretched,omitempty"`
	AuthKey        string `json:"auth_key,omitempty"`
	UnlockKey      string `json:"unlock_key,omitempty"`
	MasterKEK      string `json:"master_kek,omitempty"`
	RecoveryPhrase string `json:"recovery_phrase,omitempty"`
	RecoveryKey    string `json:"recovery_key,omitempty"`
	RecoveryWrap   string `json:"recovery_wrap_key,omitempty"`
	// PreparedPassphrase is the passphrase after SPEC.md §2's preparation,
	// UTF-8 in hex, where it differs from the passphrase's own bytes.
	PreparedPassphrase string `json:"prepared_passphrase,omitempty"`
}

type keyVector struct {
	Name       string `json:"name"`
	Account    string `json:"account"`
	Record     string `json:"record"`
	Expect     string `json:"expect"` // ok, corrupt
	Kind       string `json:"kind,omitempty"`
	Public     string `json:"public,omitempty"`
	Private    string `json:"private,omitempty"` // PKCS#8, seed, or DEK
	SealingKey string `json:"sealing_key,omitempty"`
	AD         string `json:"associated_data,omitempty"`
}

type shareVector struct {
	Name           string   `json:"name"`
	RecoveryPhrase string   `json:"recovery_phrase"`
	Shares         []string `json:"shares"`
	Expect         string   `json:"expect"` // ok, invalid
}

type verifierVec struct {
	Pepper  string `json:"pepper"`
	Owner   string `json:"owner"`
	AuthKey string `json:"auth_key"`
	Stored  string `json:"stored"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var vf vectorFile
	testvec.LoadGolden(t, &vf)
	if len(vf.Accounts) == 0 || len(vf.KeyRecords) == 0 || len(vf.Shares) == 0 {
		t.Fatal("vector file has an empty section")
	}
	return &vf
}

// rawAccount is SPEC.md §3 decoded independently of the package.
type rawAccount struct {
	owner                 string
	kdf                   byte
	time, mem, iterations uint32
	threads               byte
	salt, wrapped, rec    []byte
	paramsOff             int
}

func decodeAccount(t testing.TB, b []byte) rawAccount {
	t.Helper()
	var a rawAccount
	n := int(b[5])
	a.owner = string(b[6 : 6+n])
	p := 6 + n
	a.kdf = b[p]
	a.paramsOff = p + 1
	p++
	if a.kdf == 1 {
		a.time, a.mem, a.threads = binary.BigEndian.Uint32(b[p:]), binary.BigEndian.Uint32(b[p+4:]), b[p+8]
		p += 9
	} else {
		a.iterations = binary.BigEndian.Uint32(b[p:])
		p += 4
	}
	a.salt, a.wrapped = b[p:p+32], b[p+32:p+72]
	a.rec = b[p+73 : p+73+int(b[p+72])]
	return a
}

// specUnlock computes SPEC.md §2 with primitives only.
func specUnlock(t testing.TB, a rawAccount, pass string) (stretched, auth, unlock, kek []byte) {
	t.Helper()
	if a.kdf == 1 {
		stretched = argon2.IDKey([]byte(pass), a.salt, a.time, a.mem, a.threads, 32)
	} else {
		var err error
		if stretched, err = pbkdf2.Key(sha256.New, pass, a.salt, int(a.iterations), 32); err != nil {
			t.Fatal(err)
		}
	}
	auth, _ = hkdf.Key(sha256.New, stretched, nil, "sealkit/keystore/v1/auth", 32)
	unlock, _ = hkdf.Key(sha256.New, stretched, nil, "sealkit/keystore/v1/unlock", 32)
	kek, _ = aeskw.Unwrap(unlock, a.wrapped)
	return
}

// specPrepared returns the bytes SPEC.md §2 stretches for pass: the
// vector's prepared form if it gives one (checked against RFC 8265
// OpaqueString), else pass itself (which must be its own preparation).
func specPrepared(t testing.TB, pass, preparedHex string) string {
	t.Helper()
	want := pass
	if preparedHex != "" {
		want = string(unhex(t, preparedHex))
	}
	if got, err := precis.OpaqueString.String(pass); err != nil || got != want {
		t.Fatalf("OpaqueString(%+q) = %+q, %v; the vector says %+q", pass, got, err, want)
	}
	return want
}

func recoveryBytes(t testing.TB, phrase string) []byte {
	b, err := crockford.DecodeString(strings.ReplaceAll(phrase, "-", ""))
	if err != nil || len(b) != 35 {
		t.Fatalf("recovery phrase does not decode per SPEC: %v", err)
	}
	return b[:32]
}

// specOpen opens a key record's sealed part with primitives only.
func specOpen(t testing.TB, kek []byte, r rawRecord) (sealingKey, ad, pt []byte) {
	label := "sealkit/keystore/v1/private-key"
	if r.kind == "dek" {
		label = "sealkit/keystore/v1/dek"
	}
	sealingKey, _ = hkdf.Key(sha256.New, kek, nil, label, 32)
	ad = []byte("sealkit/keystore/v1/key-record")
	for _, s := range []string{r.owner, r.name, r.kind} {
		ad = append(append(ad, byte(len(s))), s...)
	}
	ad = binary.BigEndian.AppendUint32(ad, r.version)
	ad = append(binary.BigEndian.AppendUint16(ad, uint16(len(r.public))), r.public...)
	blk, _ := aes.NewCipher(sealingKey)
	gcm, _ := cipher.NewGCMWithRandomNonce(blk)
	pt, _ = gcm.Open(nil, nil, r.sealed, ad)
	return
}

func policyNamed(name string) *keystore.Policy {
	if name == "browser" {
		return keystore.BrowserPolicy()
	}
	return keystore.DefaultPolicy()
}

func TestVectors(t *testing.T) {
	if *update {
		generateVectors(t)
	}
	vf := loadVectors(t)
	kek := map[string][]byte{}
	sessions := map[string]*keystore.Session{}
	okAccounts := 0
	for _, v := range vf.Accounts {
		t.Run("account/"+v.Name, func(t *testing.T) {
			rec := unhex(t, v.Record)
			a, err := keystore.ParseAccount(rec)
			if err == nil {
				var s *keystore.Session
				s, err = a.Unlock(v.Passphrase, policyNamed(v.Policy))
				if err == nil {
					sessions[v.Name] = s
				}
			}
			switch v.Expect {
			case "ok":
				if err != nil {
					t.Fatal(err)
				}
				okAccounts++
			case "unlock_failed":
				if err != keystore.ErrUnlock {
					t.Fatalf("%v, want ErrUnlock", err)
				}
				return
			case "corrupt":
				if !errors.Is(err, keystore.ErrCorrupt) {
					t.Fatalf("%v, want ErrCorrupt", err)
				}
				return
			case "policy":
				if !errors.Is(err, keystore.ErrPolicy) {
					t.Fatalf("%v, want ErrPolicy", err)
				}
				return
			case "passphrase":
				if !errors.Is(err, keystore.ErrPassphrase) {
					t.Fatalf("%v, want ErrPassphrase", err)
				}
				return
			default:
				t.Fatalf("unknown expect %q", v.Expect)
			}
			// The browser path: primitives only, following SPEC.md §2.
			ra := decodeAccount(t, rec)
			stretched, auth, unlock, k := specUnlock(t, ra, specPrepared(t, v.Passphrase, v.PreparedPassphrase))
			for name, pair := range map[string][2][]byte{
				"salt": {ra.salt, unhex(t, v.Salt)}, "stretched": {stretched, unhex(t, v.Stretched)},
				"auth_key": {auth, unhex(t, v.AuthKey)}, "unlock_key": {unlock, unhex(t, v.UnlockKey)},
				"master_kek": {k, unhex(t, v.MasterKEK)}, "session auth key": {sessions[v.Name].AuthKey(), unhex(t, v.AuthKey)},
			} {
				if !bytes.Equal(pair[0], pair[1]) {
					t.Errorf("%s differs from the vector", name)
				}
			}
			rk := recoveryBytes(t, v.RecoveryPhrase)
			wk, _ := hkdf.Key(sha256.New, rk, nil, "sealkit/keystore/v1/recovery", 32)
			if k2, err := aeskw.Unwrap(wk, ra.rec); err != nil || !bytes.Equal(k2, k) || !bytes.Equal(rk, unhex(t, v.RecoveryKey)) || !bytes.Equal(wk, unhex(t, v.RecoveryWrap)) {
				t.Error("recovery path differs from the vector")
			}
			prk, err := keystore.ParseRecoveryKey(v.RecoveryPhrase)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Recover(prk); err != nil {
				t.Fatal(err)
			}
			kek[v.Name] = k
		})
	}
	if okAccounts < 2 {
		t.Fatalf("%d positive account vectors, want both KDFs", okAccounts)
	}
	for _, v := range vf.KeyRecords {
		t.Run("key/"+v.Name, func(t *testing.T) {
			s := sessions[v.Account]
			if s == nil {
				t.Fatalf("no session for account %q", v.Account)
			}
			b := unhex(t, v.Record)
			r, err := keystore.ParseKeyRecord(b)
			if err == nil {
				if r.Kind() == keystore.DEK {
					_, err = s.OpenDEK(r)
				} else {
					_, err = s.OpenKey(r)
				}
			}
			switch v.Expect {
			case "ok":
				// Under fips140=only an X25519 key authenticates but does not parse.
				if err != nil && kindWorks(keystore.Kind(v.Kind)) {
					t.Fatal(err)
				}
				sk, ad, pt := specOpen(t, kek[v.Account], decodeRaw(t, b))
				if !bytes.Equal(sk, unhex(t, v.SealingKey)) || !bytes.Equal(ad, unhex(t, v.AD)) || !bytes.Equal(pt, unhex(t, v.Private)) || !bytes.Equal(r.Public(), unhex(t, v.Public)) {
					t.Fatal("spec computation differs from the vector")
				}
			case "corrupt":
				if !errors.Is(err, keystore.ErrCorrupt) {
					t.Fatalf("%v, want ErrCorrupt", err)
				}
			default:
				t.Fatalf("unknown expect %q", v.Expect)
			}
		})
	}
	for _, v := range vf.Shares {
		t.Run("shares/"+v.Name, func(t *testing.T) {
			rk, err := keystore.CombineRecoveryShares(v.Shares)
			switch v.Expect {
			case "ok":
				if err != nil || rk.Phrase() != v.RecoveryPhrase {
					t.Fatalf("combine: %v", err)
				}
			case "invalid":
				if !errors.Is(err, keystore.ErrRecoveryKey) {
					t.Fatalf("%v, want ErrRecoveryKey", err)
				}
			default:
				t.Fatalf("unknown expect %q", v.Expect)
			}
		})
	}
	for _, v := range vf.Verifiers {
		vr, err := keystore.NewVerifier(unhex(t, v.Pepper), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := vr.Enroll(v.Owner, unhex(t, v.AuthKey))
		if !bytes.Equal(got, unhex(t, v.Stored)) {
			t.Fatal("verifier value differs from the vector")
		}
	}
	if len(vf.Preparation) == 0 {
		t.Fatal("no passphrase_preparation vectors")
	}
	weak := &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1}, InsecureAllowWeak: true}
	for _, v := range vf.Preparation {
		t.Run("preparation/"+v.Name, func(t *testing.T) {
			in := string(unhex(t, v.Input))
			a, s, _, err := keystore.NewAccount("alice", in, weak)
			switch v.Expect {
			case "ok":
				if err != nil {
					t.Fatal(err)
				}
				_, auth, _, kek := specUnlock(t, decodeAccount(t, a.Bytes()), specPrepared(t, in, v.Prepared))
				if kek == nil || !bytes.Equal(auth, s.AuthKey()) {
					t.Fatal("the account does not open with the prepared bytes")
				}
			case "passphrase":
				if !errors.Is(err, keystore.ErrPassphrase) {
					t.Fatalf("%v, want ErrPassphrase", err)
				}
			default:
				t.Fatalf("unknown expect %q", v.Expect)
			}
		})
	}
	t.Logf("vectors: %d accounts, %d key records, %d share sets, %d verifiers, %d passphrase preparations",
		len(vf.Accounts), len(vf.KeyRecords), len(vf.Shares), len(vf.Verifiers), len(vf.Preparation))
}

func generateVectors(t *testing.T) {
	if fips140.Enforced() {
		t.Fatal("generate vectors outside FIPS mode")
	}
	cryptotest.SetGlobalRandom(t, 3)
	const owner, pass = "alice@example.com", "correct horse battery staple"
	vf := &vectorFile{Comment: "sealkit keystore v1 golden vectors; see SPEC.md §8. Frozen: regenerate only to add vectors."}
	type made struct {
		rec []byte
		s   *keystore.Session
		kek []byte
	}
	accounts := map[string]made{}
	for _, c := range []struct {
		name, policy string
		p            *keystore.Policy
	}{
		{"pbkdf2", "browser", keystore.BrowserPolicy()},
		{"argon2id", "default", &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.Argon2id, Time: 2, MemoryKiB: 19 << 10, Threads: 1}}},
	} {
		a, s, rk, err := keystore.NewAccount(owner, pass, c.p)
		if err != nil {
			t.Fatal(err)
		}
		rec := a.Bytes()
		ra := decodeAccount(t, rec)
		st, auth, unlock, kek := specUnlock(t, ra, pass)
		rkb := recoveryBytes(t, rk.Phrase())
		wk, _ := hkdf.Key(sha256.New, rkb, nil, "sealkit/keystore/v1/recovery", 32)
		accounts[c.name] = made{rec, s, kek}
		vf.Accounts = append(vf.Accounts, accountVector{
			Name: c.name, Owner: owner, Passphrase: pass, Policy: c.policy, Record: hex.EncodeToString(rec), Expect: "ok",
			KDF: a.Params().String(), Salt: hex.EncodeToString(ra.salt), Stretched: hex.EncodeToString(st),
			AuthKey: hex.EncodeToString(auth), UnlockKey: hex.EncodeToString(unlock), MasterKEK: hex.EncodeToString(kek),
			RecoveryPhrase: rk.Phrase(), RecoveryKey: hex.EncodeToString(rkb), RecoveryWrap: hex.EncodeToString(wk),
		})
	}
	neg := func(name, base, policy, passphrase string, rec []byte, expect string) {
		vf.Accounts = append(vf.Accounts, accountVector{Name: name, Owner: owner, Passphrase: passphrase, Policy: policy, Record: hex.EncodeToString(rec), Expect: expect})
	}
	p, ar := accounts["pbkdf2"].rec, accounts["argon2id"].rec
	setU32 := func(rec []byte, off int, v uint32) []byte {
		b := bytes.Clone(rec)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	po, ao := decodeAccount(t, p).paramsOff, decodeAccount(t, ar).paramsOff
	flipped := bytes.Clone(p)
	flipped[po+4+32+5] ^= 1
	neg("pbkdf2-wrong-passphrase", "pbkdf2", "browser", "Tr0ub4dor&3", p, "unlock_failed")
	neg("argon2id-wrong-passphrase", "argon2id", "default", "Tr0ub4dor&3", ar, "unlock_failed")
	neg("pbkdf2-wrapped-kek-flipped", "pbkdf2", "browser", pass, flipped, "unlock_failed")
	neg("pbkdf2-truncated", "pbkdf2", "browser", pass, p[:len(p)-1], "corrupt")
	neg("pbkdf2-trailing-byte", "pbkdf2", "browser", pass, append(bytes.Clone(p), 0), "corrupt")
	neg("pbkdf2-iterations-beyond-cap", "pbkdf2", "browser", pass, setU32(p, po, 10_000_001), "policy")
	neg("pbkdf2-iterations-below-floor", "pbkdf2", "browser", pass, setU32(p, po, 100_000), "policy")
	neg("argon2id-memory-beyond-cap", "argon2id", "default", pass, setU32(ar, ao+4, 4<<20), "policy")
	neg("argon2id-time-beyond-cap", "argon2id", "default", pass, setU32(ar, ao, 1000), "policy")
	neg("argon2id-memory-below-floor", "argon2id", "default", pass, setU32(ar, ao+4, 1024), "policy")

	s := accounts["pbkdf2"].s
	var ed []byte
	for _, kind := range []keystore.Kind{keystore.Ed25519, keystore.ECDSAP256, keystore.X25519, keystore.MLKEM768X25519, keystore.RSA2048, keystore.DEK} {
		r := genKey(t, s, "key-"+string(kind), kind, 1)
		b := r.Bytes()
		sk, ad, pt := specOpen(t, accounts["pbkdf2"].kek, decodeRaw(t, b))
		if pt == nil {
			t.Fatal("spec open failed while generating")
		}
		vf.KeyRecords = append(vf.KeyRecords, keyVector{Name: string(kind), Account: "pbkdf2", Record: hex.EncodeToString(b), Expect: "ok",
			Kind: string(kind), Public: hex.EncodeToString(r.Public()), Private: hex.EncodeToString(pt), SealingKey: hex.EncodeToString(sk), AD: hex.EncodeToString(ad)})
		if kind == keystore.Ed25519 {
			ed = b
		}
	}
	other := decodeRaw(t, genKey(t, s, "other", keystore.Ed25519, 1).Bytes())
	// A slice, not a map: the order is the frozen file's.
	for _, c := range []struct {
		name string
		m    func(r *rawRecord)
	}{
		{"ed25519-owner-swapped", func(r *rawRecord) { r.owner = "mallory@example.com" }},
		{"ed25519-name-swapped", func(r *rawRecord) { r.name = "other" }},
		{"ed25519-version-swapped", func(r *rawRecord) { r.version = 2 }},
		{"ed25519-kind-swapped", func(r *rawRecord) { r.kind = "x25519" }},
		{"ed25519-public-swapped", func(r *rawRecord) { r.public = other.public }},
		{"ed25519-sealed-flipped", func(r *rawRecord) { r.sealed = bytes.Clone(r.sealed); r.sealed[30] ^= 0x80 }},
	} {
		r := decodeRaw(t, ed)
		c.m(&r)
		vf.KeyRecords = append(vf.KeyRecords, keyVector{Name: c.name, Account: "pbkdf2", Record: hex.EncodeToString(r.encode()), Expect: "corrupt"})
	}
	vf.KeyRecords = append(vf.KeyRecords, keyVector{Name: "ed25519-truncated", Account: "pbkdf2", Record: hex.EncodeToString(ed[:len(ed)-1]), Expect: "corrupt"})
	vf.KeyRecords = append(vf.KeyRecords, keyVector{Name: "argon2id-account-key", Account: "argon2id", Record: hex.EncodeToString(genKey(t, accounts["argon2id"].s, "sig", keystore.Ed25519, 1).Bytes()), Expect: "ok"})
	last := &vf.KeyRecords[len(vf.KeyRecords)-1]
	sk, ad, pt := specOpen(t, accounts["argon2id"].kek, decodeRaw(t, unhex(t, last.Record)))
	last.Kind, last.SealingKey, last.AD, last.Private = "ed25519", hex.EncodeToString(sk), hex.EncodeToString(ad), hex.EncodeToString(pt)
	last.Public = hex.EncodeToString(decodeRaw(t, unhex(t, last.Record)).public)

	rk := keystore.GenerateRecoveryKey()
	shares, err := keystore.SplitRecoveryKey(rk, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	other5, _ := keystore.SplitRecoveryKey(keystore.GenerateRecoveryKey(), 3, 5)
	vf.Shares = []shareVector{
		{"3-of-5-first", rk.Phrase(), shares[:3], "ok"},
		{"3-of-5-last", rk.Phrase(), shares[2:], "ok"},
		{"3-of-5-all", rk.Phrase(), shares, "ok"},
		{"3-of-5-two-shares", rk.Phrase(), shares[:2], "invalid"},
		{"3-of-5-duplicate", rk.Phrase(), []string{shares[0], shares[0], shares[1]}, "invalid"},
		{"3-of-5-mixed-splits", rk.Phrase(), []string{shares[0], shares[1], other5[2]}, "invalid"},
		{"3-of-5-typo", rk.Phrase(), []string{shares[0], shares[1], strings.Replace(shares[2], shares[2][:1], "Z", 1)}, "invalid"},
	}
	pepper := bytes.Repeat([]byte{0x42}, 32)
	vr, _ := keystore.NewVerifier(pepper, nil)
	auth := unhex(t, vf.Accounts[0].AuthKey)
	stored, _ := vr.Enroll(owner, auth)
	vf.Verifiers = []verifierVec{{hex.EncodeToString(pepper), owner, hex.EncodeToString(auth), hex.EncodeToString(stored)}}
	vf.Passphrases = []string{keystore.GeneratePassphrase()}

	// Added after the first freeze, so they come last and draw their
	// randomness after everything above: the older entries stay
	// byte-identical.
	generatePreparationVectors(t, vf, owner, p)

	testvec.WriteGolden(t, vf)
}

// Spellings of one passphrase that SPEC.md §2 makes equal (NFC, NFD, and
// non-ASCII spaces), and its prepared form.
const (
	vecPassNFC      = "p\u00e2t\u00e9 cr\u00e8me br\u00fbl\u00e9e"
	vecPassNFD      = "pa\u0302te\u0301 cre\u0300me bru\u0302le\u0301e"
	vecPassSpaces   = "p\u00e2t\u00e9\u00a0cr\u00e8me\u3000br\u00fbl\u00e9e"
	vecPassRefused  = "p\u00e2t\u00e9\tcr\u00e8me br\u00fbl\u00e9e"
	vecPassPrepared = vecPassNFC
)

// generatePreparationVectors appends SPEC.md §2's passphrase preparation
// vectors: accounts made from non-ASCII spellings, and the preparation
// table. pbkdf2 is the first, ASCII, account's record.
func generatePreparationVectors(t *testing.T, vf *vectorFile, owner string, pbkdf2 []byte) {
	prepared := func(pass string) string {
		if pass == vecPassPrepared || pass == vecPassNFC {
			return "" // its own preparation
		}
		return hex.EncodeToString([]byte(vecPassPrepared))
	}
	for _, c := range []struct {
		name, policy, create string
		p                    *keystore.Policy
		unlock               []string
	}{
		{"pbkdf2-non-ascii", "browser", vecPassSpaces, keystore.BrowserPolicy(), []string{vecPassSpaces, vecPassNFC, vecPassNFD}},
		{"argon2id-non-ascii", "default", vecPassNFD, &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.Argon2id, Time: 2, MemoryKiB: 19 << 10, Threads: 1}}, []string{vecPassNFD, vecPassNFC}},
	} {
		a, _, rk, err := keystore.NewAccount(owner, c.create, c.p)
		if err != nil {
			t.Fatal(err)
		}
		rec := a.Bytes()
		ra := decodeAccount(t, rec)
		st, auth, unlock, kek := specUnlock(t, ra, vecPassPrepared)
		if kek == nil {
			t.Fatal("the prepared passphrase does not open the account")
		}
		rkb := recoveryBytes(t, rk.Phrase())
		wk, _ := hkdf.Key(sha256.New, rkb, nil, "sealkit/keystore/v1/recovery", 32)
		spelling := map[string]string{vecPassSpaces: "spaces", vecPassNFC: "nfc", vecPassNFD: "nfd"}
		for _, pass := range c.unlock {
			vf.Accounts = append(vf.Accounts, accountVector{
				Name: c.name + "-" + spelling[pass], Owner: owner, Passphrase: pass, Policy: c.policy, Record: hex.EncodeToString(rec), Expect: "ok",
				KDF: a.Params().String(), Salt: hex.EncodeToString(ra.salt), Stretched: hex.EncodeToString(st),
				AuthKey: hex.EncodeToString(auth), UnlockKey: hex.EncodeToString(unlock), MasterKEK: hex.EncodeToString(kek),
				RecoveryPhrase: rk.Phrase(), RecoveryKey: hex.EncodeToString(rkb), RecoveryWrap: hex.EncodeToString(wk),
				PreparedPassphrase: prepared(pass),
			})
		}
		if c.policy == "browser" {
			for _, n := range []struct{ name, pass, expect string }{
				{"-upper-case", strings.ToUpper(vecPassNFC), "unlock_failed"},
				{"-refused-tab", vecPassRefused, "passphrase"},
			} {
				vf.Accounts = append(vf.Accounts, accountVector{Name: c.name + n.name, Owner: owner, Passphrase: n.pass, Policy: c.policy, Record: hex.EncodeToString(rec), Expect: n.expect})
			}
		}
	}
	vf.Accounts = append(vf.Accounts, accountVector{Name: "pbkdf2-empty-passphrase", Owner: owner, Passphrase: "", Policy: "browser", Record: hex.EncodeToString(pbkdf2), Expect: "passphrase"})

	for _, c := range []struct{ name, in string }{
		{"ascii", "correct horse battery staple"},
		{"ascii-symbols-and-spaces", " ~!@#$%^&*()_+`-={}|[]\\:\";'<>?,./ "},
		{"nfc", vecPassNFC},
		{"nfd-to-nfc", vecPassNFD},
		{"no-break-space", "a\u00a0b"},
		{"ideographic-space", "a\u3000b"},
		{"en-quad", "a\u2000b"},
		{"narrow-no-break-space", "a\u202fb"},
		{"ogham-space-mark", "a\u1680b"},
		{"leading-and-trailing-spaces-kept", " a "},
		{"case-kept", "\u00c4bc"},
		{"fullwidth-kept", "\uff21\uff22\uff23"},
		{"ligature-kept", "\ufb01"},
		{"angstrom-sign-to-a-ring", "\u212b"},
		{"hangul-jamo-compose", "\u1100\u1161"},
		{"combining-marks-reordered", "a\u0301\u0323"},
		{"emoji", "\U0001f511 key"},
		{"middle-dot-between-l", "l\u00b7l"},
		{"greek-keraia-before-greek", "\u0375\u03b1"},
		{"hebrew-geresh-after-hebrew", "\u05d0\u05f3"},
		{"katakana-middle-dot-with-katakana", "\u30a2\u30fb\u30a2"},
		{"arabic-indic-digits", "\u0660\u0661"},
		{"eszett-and-final-sigma", "\u00df\u03c2"},
		{"zero-width-joiner-after-virama", "\u0915\u094d\u200d\u0937"},
		{"zero-width-non-joiner-after-virama", "\u0915\u094d\u200c\u0937"},
		{"zero-width-non-joiner-between-joining-letters", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"},
		{"empty", ""},
		{"only-no-break-space", "\u00a0"},
		{"tab", "a\tb"},
		{"line-feed", "a\nb"},
		{"nul", "a\x00b"},
		{"delete", "a\x7fb"},
		{"c1-control", "a\u0085b"},
		{"invalid-utf-8", "a\xffb"},
		{"utf-8-surrogate", "a\xed\xa0\x80b"},
		{"zero-width-space", "a\u200bb"},
		{"soft-hyphen", "a\u00adb"},
		{"byte-order-mark", "\ufeffab"},
		{"line-separator", "a\u2028b"},
		{"arabic-number-sign", "\u0600\u0661"},
		{"tag-character", "a\U000e0041"},
		{"private-use", "a\ue000b"},
		{"unassigned", "a\u0378b"},
		{"noncharacter", "a\ufffeb"},
		{"old-hangul-jamo", "a\u1100"},
		{"zero-width-joiner-without-virama", "a\u200db"},
		{"zero-width-non-joiner-without-context", "a\u200cb"},
		{"middle-dot-without-l", "a\u00b7b"},
		{"greek-keraia-at-end", "\u03b1\u0375"},
		{"hebrew-geresh-after-latin", "a\u05f3"},
		{"katakana-middle-dot-alone", "a\u30fbb"},
		{"arabic-indic-digits-mixed", "\u0660\u06f0"},
		{"arabic-tatweel", "\u0628\u0640\u0628"},
	} {
		v := prepVector{Name: c.name, Input: hex.EncodeToString([]byte(c.in)), Expect: "ok"}
		if _, _, _, err := keystore.NewAccount(owner, c.in, &keystore.Policy{Params: keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1}, InsecureAllowWeak: true}); err != nil {
			if !errors.Is(err, keystore.ErrPassphrase) {
				t.Fatal(err)
			}
			v.Expect = "passphrase"
		} else {
			out, err := precis.OpaqueString.String(c.in)
			if err != nil {
				t.Fatal(err)
			}
			v.Prepared = hex.EncodeToString([]byte(out))
		}
		vf.Preparation = append(vf.Preparation, v)
	}
}
