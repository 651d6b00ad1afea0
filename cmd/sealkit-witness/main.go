// Command sealkit-witness is a witness of a sealkit key transparency log:
// it fetches the log's newest checkpoint over HTTP, checks that it extends
// the last one it cosigned (a consistency proof; state in a file), and
// cosigns it with a C2SP tlog-cosignature (cosignature/v1, Ed25519). A
// log that forks, rolls back or cannot prove consistency is refused, and
// the state keeps the last good checkpoint as evidence.
//
// Usage:
//
//	sealkit-witness -generate NAME -key FILE      write a new witness key, print its verifier key
//	sealkit-witness -log URL -origin ORIGIN -log-key VKEY -key FILE -state FILE [-once | -interval D]
//
// Each round prints the cosigned checkpoint (the log's signed note with
// the witness's signature line added) to standard output and keeps it in
// the state file. Exit status: 0 when every round cosigned, 1 when a
// checkpoint was refused, 2 on a usage or I/O error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealkit/sealkit/keylog"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// state is the witness's memory of a log: the last checkpoint it cosigned,
// as the log signed it, and as cosigned.
type state struct {
	Checkpoint string `json:"checkpoint"`
	Cosigned   string `json:"cosigned"`
}

// errRefused marks a checkpoint the witness will not cosign.
var errRefused = errors.New("refused")

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sealkit-witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		generate = fs.String("generate", "", "write a new witness key named `NAME` to -key and print its verifier key")
		logURL   = fs.String("log", "", "the log's base `URL`")
		origin   = fs.String("origin", "", "the log's origin line")
		logKey   = fs.String("log-key", "", "the log's signed-note verifier key")
		keyFile  = fs.String("key", "", "`file` with the witness's private key")
		stateF   = fs.String("state", "", "`file` keeping the last cosigned checkpoint")
		once     = fs.Bool("once", false, "run one round and exit")
		interval = fs.Duration("interval", time.Minute, "time between rounds")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *generate != "" {
		vkey, err := generateKey(*generate, *keyFile)
		if err != nil {
			fmt.Fprintln(stderr, "sealkit-witness:", err)
			return 2
		}
		fmt.Fprintln(stdout, vkey)
		return 0
	}
	if *logURL == "" || *origin == "" || *logKey == "" || *keyFile == "" || *stateF == "" {
		fmt.Fprintln(stderr, "sealkit-witness: -log, -origin, -log-key, -key and -state are required")
		return 2
	}
	w, err := newWitness(*logURL, *origin, *logKey, *keyFile, *stateF)
	if err != nil {
		fmt.Fprintln(stderr, "sealkit-witness:", err)
		return 2
	}
	for {
		cosigned, err := w.round(ctx)
		switch {
		case errors.Is(err, errRefused):
			fmt.Fprintln(stderr, "sealkit-witness:", err)
			return 1
		case err != nil:
			fmt.Fprintln(stderr, "sealkit-witness:", err)
			if *once {
				return 2
			}
		default:
			stdout.Write(cosigned)
		}
		if *once {
			return 0
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*interval):
		}
	}
}

// generateKey writes a new Ed25519 signed-note key named name to file
// (refusing to overwrite one) and returns its cosignature/v1 verifier key.
func generateKey(name, file string) (string, error) {
	if file == "" {
		return "", errors.New("-generate needs -key FILE")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return fnote.VKeyToCosignatureV1(vkey)
}

type witness struct {
	v      *keylog.Verifier
	logKey note.Verifier
	src    *keylog.HTTPSource
	signer note.Signer
	state  string
}

func newWitness(logURL, origin, logKey, keyFile, stateFile string) (*witness, error) {
	v, err := keylog.NewVerifier(origin, logKey)
	if err != nil {
		return nil, err
	}
	lk, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, err
	}
	skey, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	signer, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("witness key in %s: %v", keyFile, err)
	}
	src := &keylog.HTTPSource{BaseURL: logURL, Client: &http.Client{Timeout: 30 * time.Second}}
	return &witness{v: v, logKey: lk, src: src, signer: signer, state: stateFile}, nil
}

// round fetches, checks and cosigns the log's newest checkpoint.
func (w *witness) round(ctx context.Context) ([]byte, error) {
	var st state
	b, err := os.ReadFile(w.state)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("state file %s: %v", w.state, err)
		}
	}
	var last []byte
	if st.Checkpoint != "" {
		last = []byte(st.Checkpoint)
	}
	c, err := keylog.NewClient(w.v, w.src, last)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %v", w.state, err)
	}
	cp, err := c.Refresh(ctx)
	if err != nil {
		if errors.Is(err, keylog.ErrFork) || errors.Is(err, keylog.ErrRollback) || errors.Is(err, keylog.ErrBadProof) ||
			errors.Is(err, keylog.ErrBadSignature) || errors.Is(err, keylog.ErrWrongOrigin) || errors.Is(err, keylog.ErrMalformed) {
			return nil, fmt.Errorf("%w: %v", errRefused, err)
		}
		return nil, err
	}
	n, err := note.Open(cp.Note, note.VerifierList(w.logKey))
	if err != nil {
		return nil, err
	}
	n.UnverifiedSigs = nil // vouch for the log's signature and ours only
	cosigned, err := note.Sign(n, w.signer)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(state{Checkpoint: string(cp.Note), Cosigned: string(cosigned)})
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(w.state, out); err != nil {
		return nil, err
	}
	return cosigned, nil
}

// writeAtomic replaces file with b: a crash leaves the old state or the
// new one, never a mix.
func writeAtomic(file string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(file), ".witness-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), file)
}
