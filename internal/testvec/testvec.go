// Package testvec locates and decodes the shared known-answer vectors
// (Wycheproof, RFC and HPKE files kept in ../shared/vectors beside the
// repository) for tests. A missing vector file fails the test: a
// known-answer test that silently skips proves nothing.
package testvec

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names an environment variable that, when set, overrides where the
// shared vectors are looked for.
const EnvDir = "SEALKIT_VECTORS"

// Dir returns the directory holding the shared vectors: $SEALKIT_VECTORS if
// set, otherwise ../shared/vectors relative to the module root (the
// directory holding go.mod, found by walking up from the working directory).
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("testvec: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "vectors")
		}
		if filepath.Dir(d) == d {
			t.Fatalf("testvec: no go.mod above %s", wd)
		}
	}
}

// Read returns the bytes of the vector file at rel (for example
// "wycheproof/aes_gcm_test.json"), failing the test if it is missing.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("testvec: vector file %s is required: %v", rel, err)
	}
	return b
}

// JSON decodes the vector file at rel into v, failing the test if it is
// missing or malformed.
func JSON(t testing.TB, rel string, v any) {
	t.Helper()
	if err := json.Unmarshal(Read(t, rel), v); err != nil {
		t.Fatalf("testvec: decoding %s: %v", rel, err)
	}
}

// Hex decodes a hex string from a vector, failing the test if it is malformed.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("testvec: bad hex %q: %v", s, err)
	}
	return b
}

// Wycheproof is the common top level of a Wycheproof v1 vector file. Groups
// are left raw because every schema shapes them differently.
type Wycheproof struct {
	Algorithm     string            `json:"algorithm"`
	Schema        string            `json:"schema"`
	NumberOfTests int               `json:"numberOfTests"`
	TestGroups    []json.RawMessage `json:"testGroups"`
}

// Count fails the test unless ran equals want: it proves a loop over a vector
// file really visited every case instead of passing vacuously.
func Count(t testing.TB, name string, ran, want int) {
	t.Helper()
	if ran != want {
		t.Fatalf("%s: ran %d vectors, want %d", name, ran, want)
	}
	t.Logf("%s: %d vectors", name, ran)
}

// GoldenFile is where a package keeps its own frozen golden vectors.
const GoldenFile = "testdata/vectors.json"

// LoadGolden decodes the package's GoldenFile into v. A missing or
// undecodable file fails the test.
func LoadGolden(t testing.TB, v any) {
	t.Helper()
	b, err := os.ReadFile(GoldenFile)
	if err != nil {
		t.Fatalf("golden vectors %s are required: %v", GoldenFile, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", GoldenFile, err)
	}
}

// WriteGolden writes v to the package's GoldenFile as indented JSON. Only
// generators run with -update call it: the committed files are frozen.
func WriteGolden(t testing.TB, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(GoldenFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
