package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultserver/server"
)

// TestStaticCSP: the CSP lets through exactly the import maps of the
// static index.html (by hash), and no inline script otherwise.
func TestStaticCSP(t *testing.T) {
	const importMap = `{"imports":{"a":"/a.js"}}`
	sum := sha256.Sum256([]byte(importMap))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	for _, tc := range []struct {
		name, page string
		want       string // "" means: no script-src at all
	}{
		{"import map", `<script type="importmap">` + importMap + `</script><script type="module" src="/app.js"></script>`, "script-src 'self' " + hash},
		{"no import map", `<script>alert(1)</script>`, ""},
		{"unterminated", `<script type="importmap">{}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(tc.page), 0o644); err != nil {
				t.Fatal(err)
			}
			ts := start(t, func(c *server.Config) { c.StaticDir = dir })
			for _, path := range []string{"/", "/l/SOMELINK", "/api/v1/items"} {
				resp, err := ts.Client().Get(ts.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				csp := resp.Header.Get("Content-Security-Policy")
				if !strings.HasPrefix(csp, "default-src 'self'") {
					t.Errorf("GET %s: CSP %q lacks default-src 'self'", path, csp)
				}
				switch {
				case tc.want == "" && strings.Contains(csp, "script-src"):
					t.Errorf("GET %s: CSP %q has a script-src", path, csp)
				case tc.want != "" && !strings.HasSuffix(csp, "; "+tc.want):
					t.Errorf("GET %s: CSP %q, want it to end in %q", path, csp, tc.want)
				}
			}
		})
	}
}
