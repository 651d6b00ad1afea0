// Package testvec decodes the known-answer vectors tests check against:
// copies of Wycheproof, RFC and HPKE vector files kept in this package's
// testdata directory (see testdata/README.md for each file's source and
// licence) and embedded here, so a test in any package reads them without
// looking outside the repository. A missing vector file fails the test: a
// known-answer test that silently skips proves nothing.
package testvec

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"testing"
)

// vectors holds the copied vector files, named by their path under testdata.
//
//go:embed testdata/wycheproof/*.json testdata/rfc/*.json testdata/hpke/*.json
var vectors embed.FS

// Read returns the bytes of the vector file at rel, a slash-separated path
// under testdata (for example "wycheproof/aes_gcm_test.json"), failing the
// test if there is no such file.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := vectors.ReadFile(path.Join("testdata", rel))
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
	Algorithm     string            `json:"algorithm"`     // e.g. "AES-GCM"
	Schema        string            `json:"schema"`        // the JSON schema the groups follow
	NumberOfTests int               `json:"numberOfTests"` // the count of tests the file states
	TestGroups    []json.RawMessage `json:"testGroups"`    // the groups, decoded by each schema's loader
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
