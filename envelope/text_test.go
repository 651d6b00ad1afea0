package envelope_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/cryptotest"
	"testing/iotest"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/bech32"
)

var updateTextKeys = flag.Bool("update-textkeys", false, "regenerate testdata/textkeys.json (frozen once committed: only for new vectors)")

const textKeysFile = "testdata/textkeys.json"

// textKeyFile is the layout of testdata/textkeys.json, documented in SPEC.md §10.
type textKeyFile struct {
	Comment string          `json:"comment"`
	Keys    []textKeyVector `json:"keys"`
	Files   []textKeyList   `json:"files"`
}

type textKeyVector struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // recipient, identity
	Text      string `json:"text"`
	Expect    string `json:"expect"`              // ok, invalid, unknown_type
	Type      string `json:"type,omitempty"`      // x25519, mlkem768x25519, rsa (for ok)
	Key       string `json:"key,omitempty"`       // hex of the bytes the text holds (for ok)
	Recipient string `json:"recipient,omitempty"` // for ok identities: the matching recipient's text
}

type textKeyList struct {
	Name   string   `json:"name"`
	Kind   string   `json:"kind"` // recipients, identities
	Text   string   `json:"text"`
	Expect string   `json:"expect"`
	Keys   []string `json:"keys,omitempty"` // for ok: names of the keys, in order
	Line   int      `json:"line,omitempty"` // for failures on a line: its number
}

func loadTextKeys(t testing.TB) *textKeyFile {
	t.Helper()
	b, err := os.ReadFile(textKeysFile)
	if err != nil {
		t.Fatalf("text key vectors missing: %v", err)
	}
	f := &textKeyFile{}
	if err := json.Unmarshal(b, f); err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) == 0 || len(f.Files) == 0 {
		t.Fatal("text key vector file holds no vectors")
	}
	return f
}

// recipientText and identityText format a parsed key back to text.
func recipientText(t *testing.T, r envelope.Recipient) (string, []byte, string) {
	t.Helper()
	switch r := r.(type) {
	case *envelope.X25519Recipient:
		return r.String(), r.Bytes(), "x25519"
	case *envelope.HybridRecipient:
		return r.String(), r.Bytes(), "mlkem768x25519"
	case *envelope.RSARecipient:
		return r.String(), r.MarshalPKIX(), "rsa"
	}
	t.Fatalf("unexpected recipient %T", r)
	return "", nil, ""
}

func identityText(t *testing.T, id envelope.Identity) (text string, key []byte, typ, rec string) {
	t.Helper()
	switch id := id.(type) {
	case *envelope.X25519Identity:
		return id.SecretKeyString(), id.Bytes(), "x25519", id.Recipient().String()
	case *envelope.HybridIdentity:
		return id.SecretKeyString(), id.Bytes(), "mlkem768x25519", id.Recipient().String()
	case *envelope.RSAIdentity:
		s, err := id.SecretKeyString()
		if err != nil {
			t.Fatal(err)
		}
		der, err := id.MarshalPKCS8()
		if err != nil {
			t.Fatal(err)
		}
		return s, der, "rsa", id.Recipient().String()
	}
	t.Fatalf("unexpected identity %T", id)
	return
}

// checkTextOutcome asserts err is what a vector expects, and that the error
// repeats no part of the text.
func checkTextOutcome(t *testing.T, expect, text string, err error) {
	t.Helper()
	switch expect {
	case "ok":
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	case "invalid":
		if err == nil || errors.Is(err, envelope.ErrUnknownKeyType) {
			t.Fatalf("want an invalid-text error, got %v", err)
		}
	case "unknown_type":
		if !errors.Is(err, envelope.ErrUnknownKeyType) {
			t.Fatalf("want ErrUnknownKeyType, got %v", err)
		}
	default:
		t.Fatalf("unknown expectation %q", expect)
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && strings.Contains(err.Error(), line[len(line)-16:]) {
			t.Fatalf("error %q repeats the input", err)
		}
	}
}

func TestTextKeyVectors(t *testing.T) {
	f := loadTextKeys(t)
	byName := map[string]textKeyVector{}
	for _, v := range f.Keys {
		byName[v.Name] = v
		t.Run(v.Name, func(t *testing.T) {
			if v.Expect == "ok" && fipsUnavailable(v.Type, 0) != "" {
				t.Skip(fipsUnavailable(v.Type, 0))
			}
			var text, typ, rec string
			var key []byte
			var err error
			switch v.Kind {
			case "recipient":
				var r envelope.Recipient
				if r, err = envelope.ParseRecipient(v.Text); err == nil {
					text, key, typ = recipientText(t, r)
				}
			case "identity":
				var id envelope.Identity
				if id, err = envelope.ParseIdentity(v.Text); err == nil {
					text, key, typ, rec = identityText(t, id)
				}
			default:
				t.Fatalf("unknown kind %q", v.Kind)
			}
			checkTextOutcome(t, v.Expect, v.Text, err)
			if v.Expect != "ok" {
				return
			}
			if text != v.Text || typ != v.Type || !bytes.Equal(key, unhex(t, v.Key)) || rec != v.Recipient {
				t.Fatalf("parsed %s key %x, formats as %q, recipient %q", typ, key, text, rec)
			}
		})
	}
	for _, v := range f.Files {
		t.Run(v.Name, func(t *testing.T) {
			if fipsEnforced() && (strings.Contains(v.Text, "sealkit1") || strings.Contains(v.Text, "SEALKIT-SECRET-KEY-1")) {
				t.Skip("X25519 is not allowed under GODEBUG=fips140=only")
			}
			var got []string
			var err error
			switch v.Kind {
			case "recipients":
				var rs []envelope.Recipient
				rs, err = envelope.ParseRecipients(strings.NewReader(v.Text))
				for _, r := range rs {
					s, _, _ := recipientText(t, r)
					got = append(got, s)
				}
			case "identities":
				var ids []envelope.Identity
				ids, err = envelope.ParseIdentities(iotest.OneByteReader(strings.NewReader(v.Text)))
				for _, id := range ids {
					s, _, _, _ := identityText(t, id)
					got = append(got, s)
				}
			default:
				t.Fatalf("unknown kind %q", v.Kind)
			}
			checkTextOutcome(t, v.Expect, v.Text, err)
			if v.Expect != "ok" {
				want := "line " + fmt.Sprint(v.Line) + ":"
				if v.Line > 0 && !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not name %q", err, want)
				}
				return
			}
			if len(got) != len(v.Keys) {
				t.Fatalf("got %d keys, want %d", len(got), len(v.Keys))
			}
			for i, name := range v.Keys {
				if got[i] != byName[name].Text {
					t.Fatalf("key %d is not %s", i, name)
				}
			}
		})
	}
}

// TestTextKeyVectorsCover makes sure the vector file keeps a positive and a
// negative case for each kind.
func TestTextKeyVectorsCover(t *testing.T) {
	f := loadTextKeys(t)
	seen := map[string]bool{}
	for _, v := range f.Keys {
		seen[v.Kind+"/"+v.Expect] = true
		if v.Expect == "ok" {
			seen[v.Kind+"/"+v.Type] = true
		}
	}
	for _, v := range f.Files {
		seen[v.Kind+"/"+v.Expect] = true
	}
	for _, want := range []string{
		"recipient/ok", "recipient/invalid", "recipient/unknown_type",
		"identity/ok", "identity/invalid", "identity/unknown_type",
		"recipient/x25519", "recipient/mlkem768x25519", "recipient/rsa",
		"identity/x25519", "identity/mlkem768x25519", "identity/rsa",
		"recipients/ok", "recipients/invalid", "identities/ok", "identities/invalid",
	} {
		if !seen[want] {
			t.Errorf("no %s vector", want)
		}
	}
}

// TestTextKeyRoundTrip: freshly generated keys parse back from their text
// and still open what was sealed to them.
func TestTextKeyRoundTrip(t *testing.T) {
	var ids []envelope.Identity
	var texts []string
	if !fipsEnforced() {
		x, err := envelope.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x)
	}
	h, err := envelope.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, h)
	for _, id := range ids {
		s, _, _, rec := identityText(t, id)
		texts = append(texts, s)
		r, err := envelope.ParseRecipient(rec)
		if err != nil {
			t.Fatal(err)
		}
		env, err := envelope.Seal([]byte("hello"), nil, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := envelope.ParseIdentity(s)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := envelope.Open(env, nil, nil, parsed); err != nil || string(pt) != "hello" {
			t.Fatalf("%T: Open = %q, %v", id, pt, err)
		}
	}
	got, err := envelope.ParseIdentities(strings.NewReader(strings.Join(texts, "\n")))
	if err != nil || len(got) != len(texts) {
		t.Fatalf("ParseIdentities = %d, %v", len(got), err)
	}
}

// TestKeyFileLimits checks the line length, line count and key count bounds
// and the line numbers in their errors.
func TestKeyFileLimits(t *testing.T) {
	h, err := envelope.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	rec := h.Recipient().String()
	long := "# " + strings.Repeat("x", envelope.MaxKeyTextLine)
	for _, tc := range []struct {
		name, text, want string
		ok               bool
	}{
		{"longest-comment", "# " + strings.Repeat("x", envelope.MaxKeyTextLine-2) + "\r\n" + rec, "", true},
		{"line-too-long", rec + "\n" + long + "\n" + rec, "line 2: longer than", false},
		{"line-too-long-at-end", rec + "\n" + long, "line 2: longer than", false},
		{"line-one-over", rec + "\n# " + strings.Repeat("x", envelope.MaxKeyTextLine-1) + "\n" + rec, "line 2: longer than", false},
		{"line-one-over-with-crlf", rec + "\r\n# " + strings.Repeat("x", envelope.MaxKeyTextLine-1) + "\r\n" + rec, "line 2: longer than", false},
		{"max-keys", strings.Repeat(rec+"\n", envelope.MaxKeysPerFile), "", true},
		{"too-many-keys", strings.Repeat(rec+"\n", envelope.MaxKeysPerFile+1), fmt.Sprintf("line %d: more than", envelope.MaxKeysPerFile+1), false},
		{"too-many-lines", rec + strings.Repeat("\n#", envelope.MaxKeyFileLines), "more than 16384 lines", false},
		{"max-lines", rec + strings.Repeat("\n#", envelope.MaxKeyFileLines-1), "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := envelope.ParseRecipients(strings.NewReader(tc.text))
			if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := envelope.ParseRecipient(strings.Repeat("q", envelope.MaxKeyTextLine+1)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("over-long key text: %v", err)
	}
}

// TestIdentityErrorsKeepSecrets feeds damaged identities and checks that no
// part of the data part reaches the error.
func TestIdentityErrorsKeepSecrets(t *testing.T) {
	h, err := envelope.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := h.SecretKeyString()
	data := s[strings.LastIndexByte(s, '1')+1:]
	for i := 0; i < len(s); i++ {
		for _, m := range []string{s[:i] + "!" + s[i+1:], s[:i] + strings.ToLower(s[i:i+1]) + s[i+1:], s[:i]} {
			_, err := envelope.ParseIdentity(m)
			if err == nil {
				continue
			}
			for j := 0; j+6 <= len(data); j++ {
				if strings.Contains(strings.ToUpper(err.Error()), data[j:j+6]) {
					t.Fatalf("error %q holds part of the key", err)
				}
			}
		}
		_, err := envelope.ParseIdentities(strings.NewReader("# mine\n" + s[:i] + "\n"))
		if err != nil && strings.Contains(err.Error(), s[:i]) && i > 8 {
			t.Fatalf("error %q holds part of the key", err)
		}
	}
}

// TestGenerateTextKeyVectors rewrites testdata/textkeys.json when run with
// -update-textkeys, from the keys of testdata/vectors.json.
func TestGenerateTextKeyVectors(t *testing.T) {
	if !*updateTextKeys {
		t.Skip("run with -update-textkeys to regenerate " + textKeysFile)
	}
	cryptotest.SetGlobalRandom(t, 0x7e47)
	f := generateTextKeys(t)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(textKeysFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func b32(t *testing.T, hrp string, data []byte, upper bool) string {
	t.Helper()
	s, err := bech32.Encode(hrp, data)
	if err != nil {
		t.Fatal(err)
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return s
}

// flipLast changes the last character of a Bech32 string, breaking its checksum.
func flipLast(s string) string {
	c := s[len(s)-1]
	r := "q"
	if c == 'q' || c == 'Q' {
		r = "p"
	}
	if c >= 'A' && c <= 'Z' {
		r = strings.ToUpper(r)
	}
	return s[:len(s)-1] + r
}

func generateTextKeys(t *testing.T) *textKeyFile {
	vf := loadVectors(t)
	x, err := envelope.ParseX25519Identity(unhex(t, vf.Keys["x25519"].Private))
	if err != nil {
		t.Fatal(err)
	}
	h, err := envelope.ParseHybridIdentity(unhex(t, vf.Keys["mlkem768x25519"].Private))
	if err != nil {
		t.Fatal(err)
	}
	r, err := envelope.ParseRSAIdentity(unhex(t, vf.Keys["rsa-2048"].Private))
	if err != nil {
		t.Fatal(err)
	}
	f := &textKeyFile{Comment: "Text form of sealkit keys, SPEC.md §10. keys: one key text each, with its kind (recipient or identity), the expected outcome of parsing it as that kind (ok, invalid, unknown_type) and, for ok, its type, the bytes it holds in hex (raw X25519 key, ML-KEM-768+X25519 public key or seed, RSA SPKI or PKCS#8 DER) and, for identities, the matching recipient. files: recipients and identities files with the keys they hold or the line of the first error. The keys are those of vectors.json."}
	add := func(v textKeyVector) { f.Keys = append(f.Keys, v) }
	ok := func(name, kind, text, typ string, key []byte, rec string) textKeyVector {
		v := textKeyVector{Name: name, Kind: kind, Text: text, Expect: "ok", Type: typ, Key: mustHex(key), Recipient: rec}
		add(v)
		return v
	}
	bad := func(name, kind, text, expect string) {
		add(textKeyVector{Name: name, Kind: kind, Text: text, Expect: expect})
	}

	xr := ok("x25519-recipient", "recipient", x.Recipient().String(), "x25519", x.Recipient().Bytes(), "")
	hr := ok("mlkem768x25519-recipient", "recipient", h.Recipient().String(), "mlkem768x25519", h.Recipient().Bytes(), "")
	rr := ok("rsa-recipient", "recipient", r.Recipient().String(), "rsa", r.Recipient().MarshalPKIX(), "")
	xi := ok("x25519-identity", "identity", x.SecretKeyString(), "x25519", x.Bytes(), xr.Text)
	hi := ok("mlkem768x25519-identity", "identity", h.SecretKeyString(), "mlkem768x25519", h.Bytes(), hr.Text)
	rsaText, err := r.SecretKeyString()
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := r.MarshalPKCS8()
	if err != nil {
		t.Fatal(err)
	}
	ri := ok("rsa-identity", "identity", rsaText, "rsa", pkcs8, rr.Text)

	xpub := x.Recipient().Bytes()
	bad("x25519-recipient-bad-checksum", "recipient", flipLast(xr.Text), "invalid")
	bad("x25519-recipient-upper-case", "recipient", strings.ToUpper(xr.Text), "invalid")
	bad("x25519-recipient-mixed-case", "recipient", "S"+xr.Text[1:], "invalid")
	bad("x25519-recipient-31-bytes", "recipient", b32(t, "sealkit", xpub[:31], false), "invalid")
	bad("x25519-recipient-33-bytes", "recipient", b32(t, "sealkit", append(xpub, 0), false), "invalid")
	bad("x25519-recipient-leading-space", "recipient", " "+xr.Text, "invalid")
	bad("x25519-recipient-trailing-newline", "recipient", xr.Text+"\n", "invalid")
	bad("x25519-recipient-spki", "recipient", b32(t, "sealkit", x.Recipient().MarshalPKIX(), false), "invalid")
	hpub := h.Recipient().Bytes()
	bad("mlkem768x25519-recipient-truncated", "recipient", b32(t, "sealkit-hybrid", hpub[:len(hpub)-1], false), "invalid")
	unreduced := bytes.Clone(hpub)
	unreduced[0], unreduced[1] = 0xff, unreduced[1]|0x0f // first ML-KEM coefficient 4095 ≥ q
	bad("mlkem768x25519-recipient-unreduced", "recipient", b32(t, "sealkit-hybrid", unreduced, false), "invalid")
	bad("rsa-recipient-pem", "recipient", b32(t, "sealkit-rsa", r.Recipient().PEM(), false), "invalid")
	bad("rsa-recipient-pkcs1", "recipient", b32(t, "sealkit-rsa", x509.MarshalPKCS1PublicKey(rsaPublic(t, r)), false), "invalid")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallSPKI, err := x509.MarshalPKIXPublicKey(&small.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	bad("rsa-recipient-1024-bits", "recipient", b32(t, "sealkit-rsa", smallSPKI, false), "invalid")
	bad("rsa-recipient-x25519-spki", "recipient", b32(t, "sealkit-rsa", x.Recipient().MarshalPKIX(), false), "invalid")
	bad("identity-as-recipient", "recipient", xi.Text, "invalid")
	bad("empty-recipient", "recipient", "", "invalid")
	bad("no-separator", "recipient", "sealkit", "invalid")
	bad("age-recipient", "recipient", b32(t, "age", xpub, false), "unknown_type")
	bad("age-post-quantum-recipient", "recipient", b32(t, "age1pq", hpub, false), "unknown_type")
	bad("unknown-sealkit-recipient", "recipient", b32(t, "sealkit-future", xpub, false), "unknown_type")

	xpriv := x.Bytes()
	bad("x25519-identity-bad-checksum", "identity", flipLast(xi.Text), "invalid")
	bad("x25519-identity-lower-case", "identity", strings.ToLower(xi.Text), "invalid")
	bad("x25519-identity-31-bytes", "identity", b32(t, "sealkit-secret-key-", xpriv[:31], true), "invalid")
	bad("x25519-identity-pkcs8", "identity", b32(t, "sealkit-secret-key-", mustPKCS8(t, x), true), "invalid")
	bad("mlkem768x25519-identity-33-bytes", "identity", b32(t, "sealkit-hybrid-secret-key-", append(h.Bytes(), 0), true), "invalid")
	bad("mlkem768x25519-identity-expanded", "identity", b32(t, "sealkit-hybrid-secret-key-", sha256Twice(h.Bytes()), true), "invalid")
	bad("rsa-identity-pem", "identity", b32(t, "sealkit-rsa-secret-key-", pemBlock(pkcs8, "PRIVATE KEY"), true), "invalid")
	bad("rsa-identity-pkcs1", "identity", b32(t, "sealkit-rsa-secret-key-", x509.MarshalPKCS1PrivateKey(rsaPrivate(t, pkcs8)), true), "invalid")
	bad("recipient-as-identity", "identity", xr.Text, "invalid")
	bad("empty-identity", "identity", "", "invalid")
	bad("age-identity", "identity", b32(t, "age-secret-key-", xpriv, true), "unknown_type")
	bad("unknown-sealkit-identity", "identity", b32(t, "sealkit-future-secret-key-", xpriv, true), "unknown_type")

	files := func(v textKeyList) { f.Files = append(f.Files, v) }
	files(textKeyList{Name: "recipients-every-type", Kind: "recipients", Expect: "ok",
		Text: "# alice\n\n" + xr.Text + "\r\n  " + hr.Text + "\t\n# bob, RSA\n" + rr.Text,
		Keys: []string{xr.Name, hr.Name, rr.Name}})
	files(textKeyList{Name: "recipients-bad-checksum", Kind: "recipients", Expect: "invalid", Line: 3,
		Text: "# two\n" + xr.Text + "\n" + flipLast(xr.Text) + "\n"})
	files(textKeyList{Name: "recipients-inline-comment", Kind: "recipients", Expect: "invalid", Line: 1,
		Text: xr.Text + " # alice\n"})
	files(textKeyList{Name: "recipients-with-identity", Kind: "recipients", Expect: "invalid", Line: 2,
		Text: xr.Text + "\n" + xi.Text + "\n"})
	files(textKeyList{Name: "recipients-age", Kind: "recipients", Expect: "unknown_type", Line: 2,
		Text: "# from age\n" + b32(t, "age", xpub, false) + "\n"})
	files(textKeyList{Name: "recipients-comments-only", Kind: "recipients", Expect: "invalid",
		Text: "# nobody\n\n"})
	files(textKeyList{Name: "recipients-empty", Kind: "recipients", Expect: "invalid", Text: ""})
	files(textKeyList{Name: "identities-every-type", Kind: "identities", Expect: "ok",
		Text: "# public key: " + xr.Text + "\n" + xi.Text + "\n\n" + hi.Text + "\n" + ri.Text + "\n",
		Keys: []string{xi.Name, hi.Name, ri.Name}})
	files(textKeyList{Name: "identities-with-recipient", Kind: "identities", Expect: "invalid", Line: 2,
		Text: xi.Text + "\n" + xr.Text + "\n"})
	files(textKeyList{Name: "identities-lower-case", Kind: "identities", Expect: "invalid", Line: 1,
		Text: strings.ToLower(hi.Text) + "\n"})
	files(textKeyList{Name: "identities-age", Kind: "identities", Expect: "unknown_type", Line: 1,
		Text: b32(t, "age-secret-key-", xpriv, true) + "\n"})
	files(textKeyList{Name: "identities-comments-only", Kind: "identities", Expect: "invalid",
		Text: "# created by hand\n"})
	return f
}

func rsaPublic(t *testing.T, r *envelope.RSAIdentity) *rsa.PublicKey {
	k, err := x509.ParsePKIXPublicKey(r.Recipient().MarshalPKIX())
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PublicKey)
}

func rsaPrivate(t *testing.T, pkcs8 []byte) *rsa.PrivateKey {
	k, err := parsePKCS8RSA(pkcs8)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustPKCS8(t *testing.T, x *envelope.X25519Identity) []byte {
	b, err := x.MarshalPKCS8()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sha256Twice returns 64 bytes, the size of an expanded ML-KEM seed (d || z).
func sha256Twice(b []byte) []byte {
	a := sha256.Sum256(b)
	c := sha256.Sum256(a[:])
	return append(a[:], c[:]...)
}
