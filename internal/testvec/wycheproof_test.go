package testvec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/internal/testenv"
	"github.com/sealkit/sealkit/internal/testvec"
)

// The Wycheproof module the files in testdata/wycheproof were copied from,
// and its go.sum hash (checked, so the comparison is against exactly the
// pinned content whatever GONOSUMDB or GOFLAGS say).
const (
	wycheproofModule  = "github.com/c2sp/wycheproof"
	wycheproofVersion = "v0.0.0-20260902155932-3fa63dd0344a"
	wycheproofSum     = "h1:pNbL2nztRsWfW/ispAwsvcDFxs9Id38uIsR2/Up5G2c="
)

const wycheproofDir = "testdata/wycheproof"

// TestWycheproofCopiesMatchModule checks that every file in
// testdata/wycheproof is byte-identical to the same file of the pinned
// Wycheproof module (vectors from testvectors_v1/, and LICENSE), fetched
// with go mod download as Go's own crypto tests do. With -short, or without
// the module proxy (offline), it skips and says so.
func TestWycheproofCopiesMatchModule(t *testing.T) {
	const how = "make the Go module proxy reachable to compare testdata/wycheproof with " + wycheproofModule + "@" + wycheproofVersion
	if testing.Short() {
		t.Skip("-short: not fetching " + wycheproofModule)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing("internal/testvec", "the go command", how)
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.Command(goTool, "mod", "download", "-json", wycheproofModule+"@"+wycheproofVersion)
	cmd.Dir = t.TempDir() // outside this module: its go.mod need not mention Wycheproof
	out, runErr := cmd.Output()
	var mod struct{ Dir, Sum, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || runErr != nil || mod.Error != "" {
		testenv.Missing("internal/testvec", "the Go module proxy", how)
		t.Skipf("cannot fetch %s@%s: %v %v %s", wycheproofModule, wycheproofVersion, runErr, err, mod.Error)
	}
	if mod.Sum != wycheproofSum {
		t.Fatalf("%s@%s has hash %s, want %s", wycheproofModule, wycheproofVersion, mod.Sum, wycheproofSum)
	}

	entries, err := os.ReadDir(wycheproofDir)
	if err != nil {
		t.Fatal(err)
	}
	identical := 0
	for _, e := range entries {
		var upstream string
		switch name := e.Name(); {
		case name == "README.md":
			continue // ours
		case name == "LICENSE":
			upstream = filepath.Join(mod.Dir, "LICENSE")
		case strings.HasSuffix(name, ".json"):
			upstream = filepath.Join(mod.Dir, "testvectors_v1", name)
		default:
			t.Errorf("%s/%s: not a Wycheproof vector file or its LICENSE", wycheproofDir, name)
			continue
		}
		ours, err := os.ReadFile(filepath.Join(wycheproofDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := os.ReadFile(upstream)
		if err != nil {
			t.Errorf("%s: not in %s@%s: %v", e.Name(), wycheproofModule, wycheproofVersion, err)
			continue
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s/%s differs from %s@%s", wycheproofDir, e.Name(), wycheproofModule, wycheproofVersion)
			continue
		}
		identical++
	}
	t.Logf("%d files identical to %s@%s", identical, wycheproofModule, wycheproofVersion)
}

// TestWycheproofREADMENamesVersion keeps the provenance note in step with
// the version the copies are checked against.
func TestWycheproofREADMENamesVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(wycheproofDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(wycheproofModule+"@"+wycheproofVersion)) {
		t.Fatalf("%s/README.md does not name %s@%s", wycheproofDir, wycheproofModule, wycheproofVersion)
	}
}

// TestReadServesEveryCopiedFile proves the embed patterns cover every vector
// file kept in testdata, byte for byte, and that a missing one is an error.
func TestReadServesEveryCopiedFile(t *testing.T) {
	n := 0
	for _, dir := range []string{"wycheproof", "rfc", "hpke"} {
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() == "README.md" || e.Name() == "LICENSE" {
				continue
			}
			want, err := os.ReadFile(filepath.Join("testdata", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if got := testvec.Read(t, dir+"/"+e.Name()); !bytes.Equal(got, want) {
				t.Errorf("Read(%s/%s) differs from the file", dir, e.Name())
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no vector files in testdata")
	}
}
