package main_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sealkit/sealkit/keylog"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

const origin = "log.example/keys"

// buildWitness builds the command into a temporary directory.
func buildWitness(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sealkit-witness")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// switchable serves one log, then another under the same key.
type switchable struct {
	mu  sync.Mutex
	src keylog.Source
}

func (s *switchable) get() keylog.Source    { s.mu.Lock(); defer s.mu.Unlock(); return s.src }
func (s *switchable) set(src keylog.Source) { s.mu.Lock(); defer s.mu.Unlock(); s.src = src }
func (s *switchable) Checkpoint(ctx context.Context) ([]byte, error) {
	return s.get().Checkpoint(ctx)
}
func (s *switchable) Entries(ctx context.Context, start uint64, n int) ([]keylog.Entry, error) {
	return s.get().Entries(ctx, start, n)
}
func (s *switchable) InclusionProof(ctx context.Context, i, n uint64) (*keylog.InclusionProof, error) {
	return s.get().InclusionProof(ctx, i, n)
}
func (s *switchable) ConsistencyProof(ctx context.Context, a, b uint64) (*keylog.ConsistencyProof, error) {
	return s.get().ConsistencyProof(ctx, a, b)
}
func (s *switchable) UserEntries(ctx context.Context, u string, st uint64, l int, n uint64) ([]keylog.UserEntry, error) {
	return s.get().UserEntries(ctx, u, st, l, n)
}

func newLog(t *testing.T) (*keylog.Log, string) {
	t.Helper()
	seed := sha256.Sum256([]byte("witness test log"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	vkey, err := note.NewEd25519VerifierKey(origin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	skey := "PRIVATE+KEY+" + origin + "+" + strings.Split(vkey, "+")[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := keylog.New(&keylog.MemStore{}, origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	return l, vkey
}

func appendN(t *testing.T, l *keylog.Log, n int, prefix string) {
	t.Helper()
	for i := range n {
		if _, err := l.Append(context.Background(), keylog.Entry{User: "alice", Data: fmt.Appendf(nil, "%s%d", prefix, i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWitnessCosignsAndRefusesFork runs the witness as its own process
// against an HTTP log: it cosigns the log as it grows, then refuses a
// forked log (same key, different history), keeping its state.
func TestWitnessCosignsAndRefusesFork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the witness binary")
	}
	bin := buildWitness(t)
	dir := t.TempDir()
	keyFile, stateFile := filepath.Join(dir, "witness.key"), filepath.Join(dir, "state.json")

	out, err := exec.Command(bin, "-generate", "witness.example/w1", "-key", keyFile).Output()
	if err != nil {
		t.Fatalf("-generate: %v", err)
	}
	wvkey := strings.TrimSpace(string(out))
	cosigV, err := fnote.NewVerifierForCosignatureV1(wvkey)
	if err != nil {
		t.Fatalf("printed verifier key %q: %v", wvkey, err)
	}

	honest, vkey := newLog(t)
	forked, _ := newLog(t)
	appendN(t, honest, 5, "e")
	appendN(t, forked, 5, "e")
	src := &switchable{src: honest}
	srv := httptest.NewServer(keylog.NewHandler(src))
	defer srv.Close()
	logV, _ := note.NewVerifier(vkey)

	round := func() (int, []byte, string) {
		cmd := exec.Command(bin, "-log", srv.URL, "-origin", origin, "-log-key", vkey, "-key", keyFile, "-state", stateFile, "-once")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stdout.Bytes(), stderr.String()
	}
	checkCosigned := func(b []byte, size uint64) {
		t.Helper()
		n, err := note.Open(b, note.VerifierList(logV, cosigV))
		if err != nil {
			t.Fatalf("cosigned checkpoint does not open: %v\n%s", err, b)
		}
		if len(n.Sigs) != 2 {
			t.Fatalf("%d verified signatures, want the log's and the witness's", len(n.Sigs))
		}
		if !strings.HasPrefix(n.Text, fmt.Sprintf("%s\n%d\n", origin, size)) {
			t.Fatalf("cosigned checkpoint %q, want size %d", n.Text, size)
		}
	}

	size := uint64(5)
	for _, grow := range []int{0, 3, 0, 9} {
		appendN(t, honest, grow, "e")
		appendN(t, forked, grow, "e")
		size += uint64(grow)
		code, stdout, stderr := round()
		if code != 0 {
			t.Fatalf("round on an honest log: exit %d: %s", code, stderr)
		}
		checkCosigned(stdout, size)
	}
	// The logs diverge; the witness cosigns the honest one.
	appendN(t, honest, 2, "honest")
	appendN(t, forked, 2, "forged")
	size += 2
	if code, stdout, stderr := round(); code != 0 {
		t.Fatalf("round on the honest log: exit %d: %s", code, stderr)
	} else {
		checkCosigned(stdout, size)
	}
	good, _ := os.ReadFile(stateFile)

	// Shown the forked log, of the same size and then larger, it refuses.
	src.set(forked)
	for _, grow := range []int{0, 4} {
		appendN(t, forked, grow, "f")
		code, stdout, stderr := round()
		if code != 1 || len(stdout) != 0 || !strings.Contains(stderr, "fork") {
			t.Fatalf("round on a forked log (+%d): exit %d, stdout %q, stderr %q; want exit 1 and a fork", grow, code, stdout, stderr)
		}
		if now, _ := os.ReadFile(stateFile); !bytes.Equal(now, good) {
			t.Fatal("a refused round changed the witness's state")
		}
	}
	src.set(honest)
	appendN(t, honest, 1, "e")
	if code, stdout, stderr := round(); code != 0 {
		t.Fatalf("round back on the honest log: exit %d: %s", code, stderr)
	} else {
		checkCosigned(stdout, size+1)
	}
}
