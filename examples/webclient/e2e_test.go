package webclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/keystore"
)

// chromiumPath returns the Chromium binary, or skips the test saying how
// to get one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("skipping: no Chromium (/usr/bin/chromium or chromium on PATH); install it with `apt-get install -y chromium`")
	return ""
}

// needNodeModules skips the test when `npm ci` has not been run here: the
// page imports its HPKE library from node_modules.
func needNodeModules(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("node_modules", "@hpke", "core", "package.json")); err != nil {
		t.Skip("skipping: node_modules missing; run `npm ci` in examples/webclient")
	}
}

// weakPolicy keeps the Go user's account KDF cheap; the server is told to
// accept it. The browser's account uses the real floor (PBKDF2 600,000),
// which is what keystore.js insists on when it unlocks.
var weakPolicy = &keystore.Policy{
	Params:            keystore.KDFParams{KDF: keystore.PBKDF2SHA256, Iterations: 1000},
	InsecureAllowWeak: true,
}

// startVault runs the vault server in process on a loopback port over
// plain HTTP, SQLite in dir, serving this directory as its static files.
func startVault(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	stores, err := server.OpenSQLite(context.Background(), filepath.Join(dir, "vault.db"))
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
	h, err := server.New(server.Config{
		Stores: stores, Pepper: pepper, Authority: ln.Addr().String(), InsecureLoopback: true,
		StaticDir: ".", KDFPolicy: weakPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// result is what app.js records for each action (window.vaultApp.results).
type result struct {
	Action  string `json:"action"`
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Message string `json:"message"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	Size    int    `json:"size"`
	SHA256  string `json:"sha256"`
	URL     string `json:"url"`
	User    string `json:"user"`
	Files   []struct {
		ID, Name string
	} `json:"files"`
	Received []struct {
		ID, Name, SharedBy string
	} `json:"received"`
	Remaining int `json:"remaining"`
}

// act runs script (which fills a form and submits it) in the page and
// waits for the action it starts to finish, returning its result.
func act(ctx context.Context, t *testing.T, p *page, action, script string) result {
	t.Helper()
	var n int
	if err := p.eval(ctx, `window.vaultApp.results.length`, &n); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if err := p.eval(ctx, script, nil); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return waitResult(ctx, t, p, action, n)
}

// waitResult waits until the page has recorded result number n, which
// must be a success of action.
func waitResult(ctx context.Context, t *testing.T, p *page, action string, n int) result {
	t.Helper()
	r := waitOutcome(ctx, t, p, n)
	if r.Action != action || !r.OK {
		t.Fatalf("%s: page reported %+v", action, r)
	}
	return r
}

// waitOutcome waits until the page has recorded result number n.
func waitOutcome(ctx context.Context, t *testing.T, p *page, n int) result {
	t.Helper()
	if _, err := p.waitFor(ctx, fmt.Sprintf(`window.vaultApp && window.vaultApp.results.length > %d`, n)); err != nil {
		var status string
		p.eval(context.Background(), `document.getElementById("status").textContent`, &status)
		t.Fatalf("result %d: %v (page status %q)", n, err, status)
	}
	var r result
	if err := p.eval(ctx, fmt.Sprintf(`window.vaultApp.results[%d]`, n), &r); err != nil {
		t.Fatalf("result %d: %v", n, err)
	}
	return r
}

// actFail is act for an action that must fail with code.
func actFail(ctx context.Context, t *testing.T, p *page, action, code, script string) {
	t.Helper()
	var n int
	if err := p.eval(ctx, `window.vaultApp.results.length`, &n); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if err := p.eval(ctx, script, nil); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	if r := waitOutcome(ctx, t, p, n); r.Action != action || r.OK || r.Error != code {
		t.Errorf("%s: page reported %+v, want error %q", action, r, code)
	}
}

// submit returns a script that fills form fields (id → value) and submits
// the form.
func submit(form string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString("(() => {")
	for id, v := range fields {
		js, _ := json.Marshal(v)
		fmt.Fprintf(&b, "document.getElementById(%q).value = %s;", id, js)
	}
	fmt.Fprintf(&b, "document.getElementById(%q).requestSubmit(); })()", form)
	return b.String()
}

// uploadScript puts a file with these bytes in the upload form's file
// input (as a user picking it would) and submits.
func uploadScript(name, typ string, content []byte) string {
	return fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%q), (c) => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], %q, { type: %q }));
		document.getElementById("upload-file").files = dt.files;
		document.getElementById("upload-form").requestSubmit();
	})()`, base64.StdEncoding.EncodeToString(content), name, typ)
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// secretContent returns distinctive text no store may ever hold in clear.
func secretContent(label string) []byte {
	r := make([]byte, 24)
	rand.Read(r)
	return []byte(strings.Repeat(label+" "+hex.EncodeToString(r)+"\n", 40))
}

// TestBrowserInterop drives the web client in headless Chromium against
// the vault server on 127.0.0.1: the browser registers, uploads and
// shares; a file the Go client encrypted is decrypted in the browser and
// one the browser encrypted is decrypted by the Go client; a public link
// made by Go opens in the browser; Go logs in to the browser's account.
// Both hashes are checked, and the server's storage holds no plaintext.
func TestBrowserInterop(t *testing.T) {
	chromium := chromiumPath(t)
	needNodeModules(t)
	storeDir := t.TempDir()
	ts := startVault(t, storeDir)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	b := startBrowser(t, chromium)
	p, err := b.newPage(ctx, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.waitFor(ctx, `document.body && document.body.dataset.ready`); err != nil {
		t.Fatalf("page did not load: %v", err)
	}

	// 1. The browser registers (keys made in the page, PBKDF2 600,000).
	const browserPass = "browser passphrase 42"
	act(ctx, t, p, "register", submit("register-form", map[string]string{"register-user": "browser", "register-pass": browserPass}))

	// 2. The Go client registers and uploads a file shared with the browser.
	opts := client.Options{URL: ts.URL, HTTPClient: ts.Client(), Policy: weakPolicy, AllowLegacy: true} // the browser publishes no key bundle yet
	gopher, _, err := client.Register(ctx, opts, "gopher", "gopher passphrase 42")
	if err != nil {
		t.Fatal(err)
	}
	defer gopher.Close()
	goContent := secretContent("from-go")
	goItem, err := gopher.Upload(ctx, "go-notes.txt", bytes.NewReader(goContent), int64(len(goContent)), nil, "browser")
	if err != nil {
		t.Fatal(err)
	}

	// 3. The browser uploads a file and shares it with gopher.
	browserContent := secretContent("from-browser")
	up := act(ctx, t, p, "upload", uploadScript("browser-notes.txt", "text/plain", browserContent))
	if up.ID == "" || up.Size != len(browserContent) {
		t.Fatalf("upload: %+v", up)
	}
	act(ctx, t, p, "share", submit("share-form", map[string]string{"share-id": up.ID, "share-user": "gopher"}))

	// 4. The browser lists, then downloads and decrypts gopher's file.
	lists := act(ctx, t, p, "refresh", submit("refresh-form", nil))
	if len(lists.Files) != 1 || lists.Files[0].Name != "browser-notes.txt" {
		t.Errorf("browser's files: %+v", lists.Files)
	}
	if len(lists.Received) != 1 || lists.Received[0].ID != goItem.ID || lists.Received[0].Name != "go-notes.txt" || lists.Received[0].SharedBy != "gopher" {
		t.Errorf("browser's received files: %+v", lists.Received)
	}
	dl := act(ctx, t, p, "download", submit("download-form", map[string]string{"download-id": goItem.ID}))
	if dl.SHA256 != hexSHA256(goContent) || dl.Name != "go-notes.txt" {
		t.Errorf("browser decrypted gopher's file to %s (%q), want %s", dl.SHA256, dl.Name, hexSHA256(goContent))
	}

	// 5. The Go client finds and decrypts the browser's file.
	recv, err := gopher.Received(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recv) != 1 || recv[0].ID != up.ID || recv[0].Name != "browser-notes.txt" || recv[0].Owner != "browser" {
		t.Fatalf("gopher's received files: %+v", recv)
	}
	var got bytes.Buffer
	meta, err := gopher.Download(ctx, up.ID, &got)
	if err != nil {
		t.Fatalf("Go decrypting the browser's file: %v", err)
	}
	if hexSHA256(got.Bytes()) != hexSHA256(browserContent) || meta.Name != "browser-notes.txt" || meta.ContentType != "text/plain" {
		t.Errorf("Go decrypted the browser's file to %s (%+v), want %s", hexSHA256(got.Bytes()), meta, hexSHA256(browserContent))
	}

	// 6. A public link made by Go opens in a fresh browser page.
	link, err := gopher.CreateLink(ctx, goItem.ID, time.Hour, 2)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := b.newPage(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	opened := waitResult(ctx, t, lp, "open-link", 0)
	if opened.SHA256 != hexSHA256(goContent) || opened.Remaining != 1 {
		t.Errorf("link opened in the browser: %+v, want SHA-256 %s and 1 download left", opened, hexSHA256(goContent))
	}

	// 7. The browser makes a link to its own file; Go opens it.
	bl := act(ctx, t, p, "link", submit("link-form", map[string]string{"link-id": up.ID, "link-max": "1"}))
	got.Reset()
	if _, err := client.OpenLink(ctx, ts.Client(), bl.URL, &got); err != nil {
		t.Fatalf("Go opening the browser's link: %v", err)
	}
	if !bytes.Equal(got.Bytes(), browserContent) {
		t.Error("Go opened the browser's link to other bytes")
	}

	// 8. Log in again in a fresh page, and from Go (same account, keys
	// sealed by keystore.js, opened by the Go keystore).
	p2, err := b.newPage(ctx, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.waitFor(ctx, `document.body && document.body.dataset.ready`); err != nil {
		t.Fatal(err)
	}
	act(ctx, t, p2, "login", submit("login-form", map[string]string{"login-user": "browser", "login-pass": browserPass}))
	dl2 := act(ctx, t, p2, "download", submit("download-form", map[string]string{"download-id": up.ID}))
	if dl2.SHA256 != hexSHA256(browserContent) {
		t.Errorf("after login the browser decrypted its file to %s", dl2.SHA256)
	}
	bs, err := client.Login(ctx, client.Options{URL: ts.URL, HTTPClient: ts.Client(), Policy: keystore.BrowserPolicy(), AllowLegacy: true}, "browser", browserPass) // the browser signs no manifest yet
	if err != nil {
		t.Fatalf("Go logging in to the browser's account: %v", err)
	}
	defer bs.Close()
	got.Reset()
	if _, err := bs.Download(ctx, up.ID, &got); err != nil || !bytes.Equal(got.Bytes(), browserContent) {
		t.Errorf("Go as the browser user: %v", err)
	}

	// 9. Refusals the page must report: a wrong passphrase (found here,
	// after the full KDF), a revoked share, a wrong link secret, a link
	// with no downloads left.
	actFail(ctx, t, p2, "login", "unlock_failed", submit("login-form", map[string]string{"login-user": "browser", "login-pass": "not the passphrase"}))
	if err := gopher.Revoke(ctx, goItem.ID, "browser", false); err != nil {
		t.Fatal(err)
	}
	actFail(ctx, t, p2, "download", "permission", submit("download-form", map[string]string{"download-id": goItem.ID}))
	for _, tc := range []struct{ url, code string }{
		{link[:strings.IndexByte(link, '#')+1] + "AAAAAAAAAAAAAAAAAAAAAA", "bad_proof"},
		{bl.URL, "exhausted"},
	} {
		lp, err := b.newPage(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if r := waitOutcome(ctx, t, lp, 0); r.Action != "open-link" || r.OK || r.Error != tc.code {
			t.Errorf("opening %s: page reported %+v, want error %q", tc.url, r, tc.code)
		}
	}

	// 10. The server stored ciphertext only: no plaintext and no file name
	// anywhere under its storage directory.
	assertNoPlaintext(t, storeDir, goContent[:64], browserContent[:64], []byte("browser-notes.txt"), []byte("go-notes.txt"))
}

func assertNoPlaintext(t *testing.T, dir string, secrets ...[]byte) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds %q in clear", filepath.Base(path), s[:min(len(s), 20)])
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("scanning the server's storage: %d files, %v", n, err)
	}
}

// TestBrowserDriver checks the DevTools pipe driver alone.
func TestBrowserDriver(t *testing.T) {
	b := startBrowser(t, chromiumPath(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := b.newPage(ctx, "about:blank")
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := p.eval(ctx, `Promise.resolve(20 + 22)`, &sum); err != nil || sum != 42 {
		t.Fatalf("eval: %d, %v", sum, err)
	}
	if err := p.eval(ctx, `(() => { throw new Error("boom") })()`, nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("a thrown error came back as %v", err)
	}
}
