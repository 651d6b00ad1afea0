package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultclient/cli"
)

// fakeTerminal stands for a terminal on stdin: it answers each no-echo
// read with the next of its answers and counts the reads.
type fakeTerminal struct {
	answers []string
	reads   int
}

func (f *fakeTerminal) readPassword() ([]byte, error) {
	if f.reads >= len(f.answers) {
		return nil, io.EOF
	}
	f.reads++
	return []byte(f.answers[f.reads-1]), nil
}

// untouchedReader fails the test if it is read: stdin must not be line-read
// when a terminal is there.
type untouchedReader struct{ t *testing.T }

func (r untouchedReader) Read([]byte) (int, error) {
	r.t.Error("stdin was read as lines although it is a terminal")
	return 0, io.EOF
}

// recordCount is how many keystore records the server holds for user:
// account, key records and one per uploaded file.
func recordCount(t *testing.T, srv *testServer, user string) int {
	t.Helper()
	entries, err := srv.Stores.Keystore.List(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestCheckNewPassphrase(t *testing.T) {
	for _, tc := range []struct {
		pass string
		ok   bool
	}{
		{"alice passphrase", true},
		{"über straße1", true},                  // 12 code points, 14 bytes
		{"über straße", false},                  // 11 code points, 13 bytes
		{"short pass", false},                   // 10
		{"passphraseonly", false},               // one class
		{"123456789012345", false},              // one class
		{"abab abab abab", false},               // 3 different characters
		{"Correct Horse Battery Staple", false}, // common
		{"password1234", false},                 // common
		{"日本語の合言葉です 猫犬", true},                  // 12: uncased letters and a space
	} {
		t.Run(tc.pass, func(t *testing.T) {
			if err := cli.CheckNewPassphrase(tc.pass); (err == nil) != tc.ok {
				t.Fatalf("CheckNewPassphrase(%q) = %v, want ok=%v", tc.pass, err, tc.ok)
			}
		})
	}
}

// TestRegisterRefusesWeakPassphrase: a weak passphrase on stdin registers
// nothing, on the server or in the state directory, and says why.
func TestRegisterRefusesWeakPassphrase(t *testing.T) {
	srv := startServer(t, nil)
	for i, tc := range []struct{ pass, why string }{
		{"short pass", "10 characters, at least 12"},
		{"über straße", "11 characters, at least 12"}, // 13 bytes
		{"passphraseonly", "all one kind of character"},
		{"Correct Horse Battery Staple", "most common passphrases"},
	} {
		t.Run(tc.pass, func(t *testing.T) {
			name := "user" + strconv.Itoa(i)
			u := &user{t, filepath.Join(t.TempDir(), "state"), tc.pass}
			_, errOut, code := u.try("register", "-url", srv.URL, "-user", name)
			if code != 1 || !strings.Contains(errOut, "passphrase refused") || !strings.Contains(errOut, tc.why) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tc.why)
			}
			if strings.Contains(errOut, tc.pass) {
				t.Fatalf("the refusal echoes the passphrase: %q", errOut)
			}
			if n := recordCount(t, srv, name); n != 0 {
				t.Fatalf("the server holds %d records for %s", n, name)
			}
			if _, err := os.Stat(filepath.Join(u.state, "state.json")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("state written: %v", err)
			}
		})
	}
}

// TestPassphraseFromTerminal: with a terminal on stdin the passphrase is
// read without echo (never as a line of stdin), asked twice at register,
// and a mismatch registers nothing.
func TestPassphraseFromTerminal(t *testing.T) {
	srv := startServer(t, nil)
	state := filepath.Join(t.TempDir(), "state")
	run := func(tty *fakeTerminal, args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := cli.RunTest(context.Background(), append([]string{"-state", state}, args...),
			untouchedReader{t}, &out, &errOut, cli.Test{ReadPassword: tty.readPassword, KDF: weakPolicy})
		return out.String(), errOut.String(), code
	}
	const pass = "terminal passphrase 1"

	tty := &fakeTerminal{answers: []string{pass, "terminal passphrase 2"}}
	_, errOut, code := run(tty, "register", "-url", srv.URL, "-user", "tina")
	if code != 1 || !strings.Contains(errOut, "the two passphrases differ") || tty.reads != 2 {
		t.Fatalf("mismatch: exit %d, %d reads, stderr %q", code, tty.reads, errOut)
	}
	if n := recordCount(t, srv, "tina"); n != 0 {
		t.Fatalf("a mismatched confirmation registered %d records", n)
	}

	tty = &fakeTerminal{answers: []string{"too short", "too short"}}
	if _, errOut, code := run(tty, "register", "-url", srv.URL, "-user", "tina"); code != 1 ||
		!strings.Contains(errOut, "passphrase refused") || tty.reads != 1 {
		t.Fatalf("short on a terminal: exit %d, %d reads, stderr %q", code, tty.reads, errOut)
	}

	tty = &fakeTerminal{answers: []string{pass, pass}}
	out, errOut, code := run(tty, "register", "-url", srv.URL, "-user", "tina")
	if code != 0 || tty.reads != 2 || !strings.Contains(out, "registered tina") {
		t.Fatalf("register: exit %d, %d reads, stdout %q, stderr %q", code, tty.reads, out, errOut)
	}
	if !strings.Contains(errOut, "new passphrase: ") || !strings.Contains(errOut, "repeat the passphrase: ") ||
		strings.Contains(errOut, pass) {
		t.Fatalf("prompts: %q", errOut)
	}

	tty = &fakeTerminal{answers: []string{pass}}
	if out, errOut, code := run(tty, "list"); code != 0 || tty.reads != 1 {
		t.Fatalf("list: exit %d, %d reads, stdout %q, stderr %q", code, tty.reads, out, errOut)
	}
	// The same account opens from a pipe, one line, as scripts do.
	u := &user{t, state, pass}
	u.run("list")
}

// TestUploadUnknownRecipient: an unknown recipient is found before
// anything is stored, and named.
func TestUploadUnknownRecipient(t *testing.T) {
	srv := startServer(t, nil)
	t.Chdir(t.TempDir())
	alice := &user{t, "alice-state", "alice passphrase"}
	bob := &user{t, "bob-state", "bob passphrase"}
	alice.run("register", "-url", srv.URL, "-user", "alice")
	bob.run("register", "-url", srv.URL, "-user", "bob")
	if err := os.WriteFile("note.txt", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := recordCount(t, srv, "alice")

	for _, list := range []string{"bob,nobody", "nobody,bob", "bob,alice"} {
		t.Run(list, func(t *testing.T) {
			out, errOut, code := alice.try("upload", "-share", list, "note.txt")
			want := "no such user to share with: nobody"
			if list == "bob,alice" {
				want = "cannot share with yourself"
			}
			if code != 1 || !strings.Contains(errOut, "nothing uploaded") || !strings.Contains(errOut, want) ||
				strings.Contains(out, "uploaded") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, want)
			}
			if n := recordCount(t, srv, "alice"); n != before {
				t.Fatalf("the server holds %d records for alice, %d before the upload", n, before)
			}
			got, err := srv.Stores.Share.Shares.SharesForRecipient(context.Background(), "bob")
			if err != nil || len(got) != 0 {
				t.Fatalf("bob has %d shares (%v)", len(got), err)
			}
		})
	}
}

// TestUploadRepeatedRecipient: a name given twice in -share is shared with
// and reported once.
func TestUploadRepeatedRecipient(t *testing.T) {
	srv := startServer(t, nil)
	t.Chdir(t.TempDir())
	alice := &user{t, "alice-state", "alice passphrase"}
	bob := &user{t, "bob-state", "bob passphrase"}
	alice.run("register", "-url", srv.URL, "-user", "alice")
	bob.run("register", "-url", srv.URL, "-user", "bob")
	if err := os.WriteFile("note.txt", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := alice.try("upload", "-share", "bob, bob", "note.txt")
	if code != 0 || !strings.Contains(out, "shared with bob\n") || strings.Count(out, "bob") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and one \"shared with bob\"", code, out, errOut)
	}
}

// TestUploadPartialShare: the file is stored and shared with bob, then the
// connection breaks on carol's share: the ID is printed with who got it.
func TestUploadPartialShare(t *testing.T) {
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/shares") {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					t.Error(err)
				}
				if bytes.Contains(body, []byte(`"carol"`)) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					conn.Close() // as a network failure: no answer at all
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			h.ServeHTTP(w, r)
		})
	})
	t.Chdir(t.TempDir())
	alice := &user{t, "alice-state", "alice passphrase"}
	alice.run("register", "-url", srv.URL, "-user", "alice")
	(&user{t, "bob-state", "bob passphrase"}).run("register", "-url", srv.URL, "-user", "bob")
	(&user{t, "carol-state", "carol passphrase"}).run("register", "-url", srv.URL, "-user", "carol")
	if err := os.WriteFile("note.txt", []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := alice.try("upload", "-share", "bob,carol", "note.txt")
	m := regexp.MustCompile(`uploaded note.txt as (\S+)`).FindStringSubmatch(out)
	if code != 1 || m == nil || !strings.Contains(out, "shared with bob\n") ||
		!strings.Contains(errOut, "not shared with carol") || !strings.Contains(errOut, "vaultclient share "+m[1]+" carol") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	shares, err := srv.Stores.Share.Shares.SharesForItem(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, sh := range shares {
		to = append(to, sh.Recipient)
	}
	if !slices.Equal(to, []string{"bob"}) {
		t.Fatalf("the server shared item %s with %v, want [bob]", m[1], to)
	}
	if _, err := srv.Stores.Share.Items.Item(context.Background(), m[1]); err != nil {
		t.Fatalf("the item printed is not stored: %v", err)
	}
}

// TestUploadProgress: on a terminal the bar is redrawn in place; in a pipe
// or log it is plain lines, at most one per tenth.
func TestUploadProgress(t *testing.T) {
	srv := startServer(t, nil)
	t.Chdir(t.TempDir())
	alice := &user{t, "alice-state", "alice passphrase"}
	alice.run("register", "-url", srv.URL, "-user", "alice")
	doc := make([]byte, 3<<20)
	rand.Read(doc)
	if err := os.WriteFile("big.bin", doc, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("pipe", func(t *testing.T) {
		_, errOut := alice.run("upload", "big.bin") // stderr is a bytes.Buffer
		if strings.Contains(errOut, "\r") {
			t.Fatalf("carriage returns in a pipe: %q", errOut)
		}
		re := regexp.MustCompile(`(?m)^big\.bin: (\d+)% \(\d+\.\d/3\.0 MiB\)$`)
		lines := re.FindAllStringSubmatch(errOut, -1)
		if len(lines) == 0 || len(lines) > 10 || lines[len(lines)-1][1] != "100" {
			t.Fatalf("progress lines: %q", errOut)
		}
		last := 0
		for _, l := range lines {
			pct, _ := strconv.Atoi(l[1])
			if pct <= last || pct%10 != 0 {
				t.Fatalf("progress lines out of order or off the tenths: %q", errOut)
			}
			last = pct
		}
	})
	t.Run("terminal", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := cli.RunTest(context.Background(), []string{"-state", alice.state, "upload", "big.bin"},
			strings.NewReader(alice.pass+"\n"), &out, &errOut, cli.Test{StderrTerminal: true, KDF: weakPolicy})
		if code != 0 || !strings.Contains(errOut.String(), "\rbig.bin [##############################] 100% 3.0/3.0 MiB\n") {
			t.Fatalf("exit %d, stderr %q", code, errOut.String())
		}
	})
}
