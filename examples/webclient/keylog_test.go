package webclient_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// keylogVectors is the key transparency log's golden vector file.
var keylogVectors = filepath.Join("..", "..", "keylog", "testdata", "vectors.json")

// needNodeOnly skips the test unless node is on PATH; keylog-vectors.mjs
// needs no npm package.
func needNodeOnly(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: install Node.js >= 20 to check the keylog vectors with WebCrypto")
	}
	return node
}

// runKeylogCheck runs keylog-vectors.mjs on file and returns its output
// and whether it exited 0.
func runKeylogCheck(t *testing.T, node, file string) (string, bool) {
	t.Helper()
	out, err := exec.Command(node, "keylog-vectors.mjs", file).CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// TestNodeChecksKeylogVectors has the WebCrypto checker verify every
// keylog vector: leaves, tree heads, proofs, signed checkpoints and the
// client's fork and rollback rules.
func TestNodeChecksKeylogVectors(t *testing.T) {
	node := needNodeOnly(t)
	out, ok := runKeylogCheck(t, node, keylogVectors)
	t.Logf("node keylog-vectors.mjs:\n%s", out)
	if !ok || !strings.Contains(out, " 0 failed") {
		t.Fatal("the JavaScript check of the keylog vectors failed")
	}
}

// TestNodeKeylogCheckFailsOnTamperedVectors shows the checker is not a
// rubber stamp: each tampered copy of the vectors makes it name the case
// and exit 1.
func TestNodeKeylogCheckFailsOnTamperedVectors(t *testing.T) {
	node := needNodeOnly(t)
	b, err := os.ReadFile(keylogVectors)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		tamper     func(vs map[string]any)
	}{
		{"leaf hash", "FAIL entries/", func(vs map[string]any) {
			e := item(vs, "entries", 0)
			e["leaf_hash"] = flipFirstHex(e["leaf_hash"].(string))
		}},
		{"tree head", "FAIL tree_heads/size-7", func(vs map[string]any) {
			h := item(vs, "tree_heads", 7)
			h["root"] = flipFirstHex(h["root"].(string))
		}},
		{"inclusion hash", "FAIL inclusion/", func(vs map[string]any) {
			v := item(vs, "inclusion", 40)
			hs := v["hashes"].([]any)
			hs[0] = flipFirstHex(hs[0].(string))
		}},
		{"consistency hash", "FAIL consistency/", func(vs map[string]any) {
			v := item(vs, "consistency", 60)
			hs := v["hashes"].([]any)
			hs[len(hs)-1] = flipFirstHex(hs[len(hs)-1].(string))
		}},
		{"bad signature accepted", "FAIL checkpoints/flipped-signature-byte", func(vs map[string]any) {
			named(t, vs, "checkpoints", "flipped-signature-byte")["expect"] = "ok"
		}},
		{"fork accepted", "FAIL client/fork-same-size", func(vs map[string]any) {
			named(t, vs, "client", "fork-same-size")["expect"] = "ok"
		}},
		{"rollback accepted", "FAIL client/rollback", func(vs map[string]any) {
			named(t, vs, "client", "rollback")["expect"] = "ok"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vs map[string]any
			if err := json.Unmarshal(b, &vs); err != nil {
				t.Fatal(err)
			}
			tc.tamper(vs)
			file := filepath.Join(t.TempDir(), "vectors.json")
			tb, err := json.Marshal(vs)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, tb, 0o644); err != nil {
				t.Fatal(err)
			}
			out, ok := runKeylogCheck(t, node, file)
			if ok || !strings.Contains(out, tc.want) {
				t.Fatalf("tampered vectors: exit ok=%v, want failure naming %q; output:\n%s", ok, tc.want, out)
			}
		})
	}
}

func item(vs map[string]any, section string, i int) map[string]any {
	return vs[section].([]any)[i].(map[string]any)
}

func named(t *testing.T, vs map[string]any, section, name string) map[string]any {
	t.Helper()
	for _, v := range vs[section].([]any) {
		if m := v.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no vector %s/%s", section, name)
	return nil
}

func flipFirstHex(s string) string {
	if s[0] == '0' {
		return "1" + s[1:]
	}
	return "0" + s[1:]
}
