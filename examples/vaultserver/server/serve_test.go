package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultserver/server"
)

// TestStatic: the web client directory is served at "/", and nothing
// outside it.
func TestStatic(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>vault</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := start(t, func(c *server.Config) { c.StaticDir = dir })
	for path, want := range map[string]int{"/": 200, "/index.html": 200, "/../go.mod": 404, "/nope.js": 404, "/l/SOMELINK": 200} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}
