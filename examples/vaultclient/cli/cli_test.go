package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/cli"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share/sharetest"
)

var weakPolicy = &keystore.Policy{
	Params:            keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000},
	InsecureAllowWeak: true,
}

// testServer is a vault server running in process, and its stores, for
// tests to check what it holds.
type testServer struct {
	URL    string
	Stores *server.Stores
}

// startServer runs the vault server in process over plain HTTP on
// loopback, with a temporary SQLite file. wrap, if not nil, wraps its
// handler (to break chosen requests).
func startServer(t *testing.T, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	stores, err := server.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pepper := make([]byte, 32)
	rand.Read(pepper)
	h, err := server.New(server.Config{Stores: stores, Pepper: pepper, Authority: ln.Addr().String(),
		InsecureLoopback: true, KDFPolicy: weakPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	t.Cleanup(ts.Close)
	return &testServer{URL: ts.URL, Stores: stores}
}

type user struct {
	t     *testing.T
	state string
	pass  string
}

// run runs one CLI command as u, feeding the passphrase on stdin, and
// returns stdout; it fails the test on a non-zero exit.
func (u *user) run(args ...string) (string, string) {
	u.t.Helper()
	out, errOut, code := u.try(args...)
	if code != 0 {
		u.t.Fatalf("vaultclient %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out, errOut
}

func (u *user) try(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := cli.RunTest(context.Background(), append([]string{"-state", u.state}, args...),
		strings.NewReader(u.pass+"\n"), &out, &errOut, cli.Test{KDF: weakPolicy})
	return out.String(), errOut.String(), code
}

// TestCLIFlow runs the whole command-line flow against the server:
// register two users, upload with a progress bar, list, share, receive,
// download, create and open a link (and its exhaustion), storage, login.
func TestCLIFlow(t *testing.T) {
	sharetest.LowerLinkIterations(t, 1000)
	url := startServer(t, nil).URL
	work := t.TempDir()
	t.Chdir(work)
	alice := &user{t, filepath.Join(work, "alice-state"), "alice passphrase"}
	bob := &user{t, filepath.Join(work, "bob-state"), "bob passphrase"}

	out, _ := alice.run("register", "-url", url, "-user", "alice")
	if !strings.Contains(out, "registered alice") || !regexp.MustCompile(`recovery key .*\n  [0-9A-Z-]{50,}`).MatchString(out) {
		t.Fatalf("register output: %q", out)
	}
	bob.run("register", "-url", url, "-user", "bob", "-kdf", "pbkdf2")

	// The state holds no key: only URL, user, token.
	st, err := os.ReadFile(filepath.Join(alice.state, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(st), "passphrase") || !strings.Contains(string(st), `"token"`) {
		t.Fatalf("state file: %s", st)
	}

	doc := make([]byte, 3<<20)
	rand.Read(doc)
	if err := os.Mkdir("src", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("src", "report.bin"), doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut := alice.run("upload", filepath.Join("src", "report.bin"))
	m := regexp.MustCompile(`uploaded report.bin as (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("upload output: %q", out)
	}
	id := m[1]
	if !strings.Contains(errOut, "100%") || !strings.Contains(errOut, "3.0/3.0 MiB") {
		t.Fatalf("no progress bar on stderr: %q", errOut)
	}
	out, _ = alice.run("list")
	if !strings.Contains(out, id) || !strings.Contains(out, "report.bin") || !strings.Contains(out, "3145728") {
		t.Fatalf("list output: %q", out)
	}

	if _, _, code := bob.try("download", id); code != 1 {
		t.Fatalf("bob downloaded before the share: exit %d", code)
	}
	alice.run("share", id, "bob")
	out, _ = bob.run("received")
	if !strings.Contains(out, "report.bin") || !strings.Contains(out, "alice") {
		t.Fatalf("received output: %q", out)
	}
	if err := os.Mkdir("bob", 0o700); err != nil {
		t.Fatal(err)
	}
	bob.run("download", "-o", filepath.Join("bob", "copy.bin"), id)
	if got, _ := os.ReadFile(filepath.Join("bob", "copy.bin")); !bytes.Equal(got, doc) {
		t.Fatal("bob's download differs from the upload")
	}

	out, _ = alice.run("link", "create", "-ttl", "1h", "-max", "1", id)
	link := strings.TrimSpace(out)
	if !strings.HasPrefix(link, url+"/l/") || !strings.Contains(link, "#") {
		t.Fatalf("link: %q", link)
	}
	anon := &user{t, filepath.Join(work, "anon-state"), ""}
	out, _ = anon.run("link", "open", link) // default name from the metadata
	if !strings.Contains(out, "wrote report.bin") {
		t.Fatalf("link open output: %q", out)
	}
	if got, _ := os.ReadFile("report.bin"); !bytes.Equal(got, doc) {
		t.Fatal("the link's download differs from the upload")
	}
	if _, errOut, code := anon.try("link", "open", "-o", "again.bin", link); code != 1 || !strings.Contains(errOut, "no downloads left") {
		t.Fatalf("second open of a one-download link: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat("again.bin"); err == nil {
		t.Fatal("a refused download left a file")
	}

	out, _ = alice.run("storage")
	if !strings.HasPrefix(out, "1 files, ") {
		t.Fatalf("storage output: %q", out)
	}
	out, _ = alice.run("login")
	if !strings.Contains(out, "logged in as alice") {
		t.Fatalf("login output: %q", out)
	}
	wrong := &user{t, alice.state, "not alice's"}
	if _, errOut, code := wrong.try("list"); code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Fatalf("wrong passphrase: exit %d, %q", code, errOut)
	}
	if _, _, code := alice.try("frobnicate"); code != 2 {
		t.Fatalf("unknown command: exit %d, want 2", code)
	}
}
