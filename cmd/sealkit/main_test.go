package main

import (
	"bytes"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
)

// result is what one invocation of the command produced.
type result struct {
	code   int
	stdout []byte
	stderr string
}

// sealkit runs the command in-process with stdin as standard input and env
// as its only environment.
func sealkit(t *testing.T, stdin []byte, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, bytes.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.Bytes(), errOut.String()}
}

func (r result) ok(t *testing.T) []byte {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

func (r result) fails(t *testing.T, code int, msg string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, msg) {
		t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, code, msg)
	}
}

func write(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keygen returns an identity file's path and its recipient. X25519 is not
// allowed under GODEBUG=fips140=only, so keys are hybrid ones there.
func keygen(t *testing.T, args ...string) (string, string) {
	t.Helper()
	if fips140.Enforced() && len(args) == 0 {
		args = []string{"-pq"}
	}
	out := sealkit(t, nil, nil, append([]string{"keygen"}, args...)...).ok(t)
	ids, err := envelope.ParseIdentities(bytes.NewReader(out))
	if err != nil || len(ids) != 1 {
		t.Fatalf("keygen output: %d identities, %v", len(ids), err)
	}
	var rec string
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "# public key: "); ok {
			rec = s
		}
	}
	if _, err := envelope.ParseRecipient(rec); err != nil {
		t.Fatalf("keygen public key line: %v", err)
	}
	return write(t, "key.txt", out), rec
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestKeygen(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		prefix string
	}{
		{nil, "SEALKIT-SECRET-KEY-1"},
		{[]string{"-pq"}, "SEALKIT-HYBRID-SECRET-KEY-1"},
	} {
		if fips140.Enforced() && tc.args == nil {
			continue // X25519 is not allowed under GODEBUG=fips140=only
		}
		out := string(sealkit(t, nil, nil, append([]string{"keygen"}, tc.args...)...).ok(t))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "# created: ") || !strings.HasPrefix(lines[2], tc.prefix) {
			t.Fatalf("keygen %v printed %d lines", tc.args, len(lines))
		}
		id, err := envelope.ParseIdentity(lines[2])
		if err != nil {
			t.Fatal(err)
		}
		var rec string
		switch id := id.(type) {
		case *envelope.X25519Identity:
			rec = id.Recipient().String()
		case *envelope.HybridIdentity:
			rec = id.Recipient().String()
		}
		if lines[1] != "# public key: "+rec {
			t.Fatalf("keygen %v: the public key line is not the identity's recipient", tc.args)
		}
	}
}

func TestKeygenFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "key.txt")
	r := sealkit(t, nil, nil, "keygen", "-pq", "-o", name)
	if len(r.ok(t)) != 0 || !strings.HasPrefix(r.stderr, "Public key: sealkit-hybrid1") {
		t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	before, _ := os.ReadFile(name)
	sealkit(t, nil, nil, "keygen", "-pq", "-o", name).fails(t, 1, "exists")
	if after, _ := os.ReadFile(name); !bytes.Equal(before, after) {
		t.Fatal("keygen -o overwrote an existing file")
	}
}

// TestRoundTrip encrypts to each recipient type, armored or not, from
// standard input or a file, to standard output or a file.
func TestRoundTrip(t *testing.T) {
	xKey, xRec := keygen(t)
	hKey, hRec := keygen(t, "-pq")
	rsaID, err := envelope.GenerateRSAIdentity(2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaText, err := rsaID.SecretKeyString()
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := write(t, "rsa.txt", []byte(rsaText+"\n"))
	rsaRec := rsaID.Recipient().String()

	plain := randomBytes(200_000) // several 64 KiB segments
	for _, tc := range []struct {
		name, key, rec string
	}{
		{"x25519", xKey, xRec},
		{"mlkem768x25519", hKey, hRec},
		{"rsa", rsaKey, rsaRec},
	} {
		for _, armor := range []bool{false, true} {
			args := []string{"encrypt", "-r", tc.rec}
			if armor {
				args = append(args, "-a")
			}
			enc := sealkit(t, plain, nil, args...).ok(t)
			if armored := bytes.HasPrefix(enc, []byte(armorBegin+"\n")); armored != armor {
				t.Fatalf("%s: armored = %v", tc.name, armored)
			}
			got := sealkit(t, enc, nil, "decrypt", "-i", tc.key).ok(t)
			if !bytes.Equal(got, plain) {
				t.Fatalf("%s armor=%v: plaintext differs", tc.name, armor)
			}
		}
	}

	// Files in and out.
	dir := t.TempDir()
	in, enc, dec := filepath.Join(dir, "in"), filepath.Join(dir, "in.sk"), filepath.Join(dir, "out")
	os.WriteFile(in, plain, 0o600)
	sealkit(t, nil, nil, "encrypt", "-R", write(t, "recipients.txt", []byte("# x\n"+xRec+"\n")), "-o", enc, in).ok(t)
	sealkit(t, nil, nil, "decrypt", "-i", xKey, "-o", dec, enc).ok(t)
	if got, _ := os.ReadFile(dec); !bytes.Equal(got, plain) {
		t.Fatal("file round trip: plaintext differs")
	}
}

// TestMultipleRecipients: each recipient given with -r or -R opens the file;
// classical and post-quantum recipients are not mixed.
func TestMultipleRecipients(t *testing.T) {
	k1, r1 := keygen(t)
	k2, r2 := keygen(t)
	k3, r3 := keygen(t)
	recs := write(t, "recipients.txt", []byte("# two of them\n"+r2+"\n\n"+r3+"\n"))
	enc := sealkit(t, []byte("to three"), nil, "encrypt", "-r", r1, "-R", recs).ok(t)
	for _, k := range []string{k1, k2, k3} {
		if got := sealkit(t, enc, nil, "decrypt", "-i", k).ok(t); string(got) != "to three" {
			t.Fatalf("got %q", got)
		}
	}
	// An identity file with several keys, the matching one last.
	both := write(t, "both.txt", append(must(os.ReadFile(keygenFile(t))), must(os.ReadFile(k3))...))
	if got := sealkit(t, enc, nil, "decrypt", "-i", both).ok(t); string(got) != "to three" {
		t.Fatalf("got %q", got)
	}

	if fips140.Enforced() {
		return // the classical key for the mixing check would be X25519
	}
	_, hRec := keygen(t, "-pq")
	r := sealkit(t, []byte("x"), nil, "encrypt", "-r", r1, "-r", hRec)
	r.fails(t, 1, "post-quantum")
	if len(r.stdout) != 0 {
		t.Fatal("output written for refused recipients")
	}
}

func keygenFile(t *testing.T) string {
	k, _ := keygen(t)
	return k
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestPassphrase(t *testing.T) {
	env := map[string]string{passphraseEnv: "correct horse battery staple"}
	for _, armor := range []bool{false, true} {
		args := []string{"encrypt", "-p"}
		if armor {
			args = append(args, "-a")
		}
		enc := sealkit(t, []byte("secret plans"), env, args...).ok(t)
		h, err := envelope.ReadHeader(bytes.NewReader(encBytes(t, enc)))
		if err != nil || len(h.Stanzas()) != 1 || h.Stanzas()[0].Type != "argon2id" {
			t.Fatalf("header: %v", err)
		}
		if got := sealkit(t, enc, env, "decrypt", "-p").ok(t); string(got) != "secret plans" {
			t.Fatalf("got %q", got)
		}
		if armor {
			wrong := map[string]string{passphraseEnv: "wrong"}
			sealkit(t, enc, wrong, "decrypt", "-p").fails(t, 1, "wrong passphrase?")
		}
	}
	sealkit(t, []byte("x"), nil, "encrypt", "-p").fails(t, 1, passphraseEnv)
	_, rec := keygen(t)
	sealkit(t, []byte("x"), env, "encrypt", "-p", "-r", rec).fails(t, 2, "cannot be combined")
}

// encBytes returns the binary envelope of possibly armored output.
func encBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(armorBegin)) {
		return b
	}
	raw, err := io.ReadAll(newArmorReader(bufioReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestWrongIdentity(t *testing.T) {
	_, rec := keygen(t)
	other, _ := keygen(t)
	enc := sealkit(t, []byte("not for you"), nil, "encrypt", "-r", rec).ok(t)
	r := sealkit(t, enc, nil, "decrypt", "-i", other)
	r.fails(t, 1, "no identity matched")
	if len(r.stdout) != 0 {
		t.Fatal("plaintext written")
	}
}

// TestDamaged: truncated, extended and tampered files are refused with a
// clear error and a non-zero exit; with -o no output file is left behind.
func TestDamaged(t *testing.T) {
	key, rec := keygen(t)
	plain := randomBytes(150_000)
	enc := sealkit(t, plain, nil, "encrypt", "-r", rec).ok(t)
	armored := sealkit(t, plain, nil, "encrypt", "-a", "-r", rec).ok(t)
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"truncated-payload", enc[:len(enc)-1], "damaged, truncated or was tampered with"},
		{"truncated-segment", enc[:len(enc)-30_000], "damaged, truncated or was tampered with"},
		{"truncated-header", enc[:40], "damaged, truncated or was tampered with"},
		{"extended", append(bytes.Clone(enc), 0), "damaged, truncated or was tampered with"},
		{"tampered-payload", flip(enc, len(enc)-100), "damaged, truncated or was tampered with"},
		{"tampered-header", flip(enc, 10), "damaged, truncated or was tampered with"},
		{"empty", nil, "damaged, truncated or was tampered with"},
		{"armor-truncated", armored[:len(armored)-100], "armor line"},
		{"armor-no-end", armored[:bytes.LastIndex(armored, []byte("-----END"))], "missing"},
		{"armor-tampered", bytes.Replace(armored, []byte("\n"), []byte("\nA"), 1), "armor line 2"},
		{"armor-trailing-data", append(bytes.Clone(armored), "x\n"...), "data after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sealkit(t, tc.in, nil, "decrypt", "-i", key)
			r.fails(t, 1, tc.msg)
			if bytes.Equal(r.stdout, plain) {
				t.Fatal("whole plaintext released")
			}
			out := filepath.Join(t.TempDir(), "out")
			sealkit(t, tc.in, nil, "decrypt", "-i", key, "-o", out).fails(t, 1, tc.msg)
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("output file left behind: %v", err)
			}
			if left, _ := os.ReadDir(filepath.Dir(out)); len(left) != 0 {
				t.Fatalf("temporary file left behind: %v", left[0].Name())
			}
		})
	}
	// Trailing whitespace after the armor is allowed.
	if got := sealkit(t, append(bytes.Clone(armored), "\n \r\n"...), nil, "decrypt", "-i", key).ok(t); !bytes.Equal(got, plain) {
		t.Fatal("armor with trailing whitespace")
	}
}

func TestKeyFileErrors(t *testing.T) {
	key, rec := keygen(t)
	secret := string(must(os.ReadFile(key)))
	secretLine := strings.TrimSpace(secret[strings.LastIndex(strings.TrimSpace(secret), "\n")+1:])
	enc := sealkit(t, []byte("x"), nil, "encrypt", "-r", rec).ok(t)

	r := sealkit(t, enc, nil, "decrypt", "-i", write(t, "recs", []byte(rec+"\n")))
	r.fails(t, 1, "line 1: this is a recipient")
	r = sealkit(t, []byte("x"), nil, "encrypt", "-R", key)
	r.fails(t, 1, "line 3: this is a secret key")
	if strings.Contains(r.stderr, secretLine[len(secretLine)-20:]) {
		t.Fatal("the secret key reached stderr")
	}
	r = sealkit(t, []byte("x"), nil, "encrypt", "-r", "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj")
	r.fails(t, 1, "an age recipient")
	damaged := strings.Replace(secret, "SECRET-KEY-1", "SECRET-KEY-1Q", 1)
	r = sealkit(t, enc, nil, "decrypt", "-i", write(t, "bad", []byte(damaged)))
	r.fails(t, 1, "line 3: malformed key text")
	if strings.Contains(r.stderr, secretLine[len(secretLine)-20:]) {
		t.Fatal("the secret key reached stderr")
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "Usage"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"encrypt"}, "no recipients"},
		{[]string{"decrypt"}, "no identities"},
		{[]string{"encrypt", "-x"}, "flag provided but not defined"},
		{[]string{"encrypt", "-p", "a", "b"}, "unexpected arguments"},
		{[]string{"keygen", "extra"}, "unexpected arguments"},
	} {
		sealkit(t, nil, nil, tc.args...).fails(t, 2, tc.msg)
	}
	if r := sealkit(t, nil, nil, "help"); r.code != 0 || !bytes.Contains(r.stdout, []byte("sealkit encrypt")) {
		t.Fatalf("help: %d", r.code)
	}
}
