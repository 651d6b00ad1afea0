package keylog_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keylog"
	"golang.org/x/mod/sumdb/note"
)

// logKey returns the signed-note signer and verifier keys of an Ed25519
// key made from a fixed seed, so signatures are reproducible.
func logKey(t testing.TB, name string, seed byte) (note.Signer, string) {
	t.Helper()
	s := sha256.Sum256([]byte{seed})
	priv := ed25519.NewKeyFromSeed(s[:])
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(vkey, "+")
	skey := "PRIVATE+KEY+" + name + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, s[:]...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, vkey
}

const origin = "log.example/keys"

// testLog is a log over a MemStore with its verifier.
type testLog struct {
	*keylog.Log
	v       *keylog.Verifier
	entries []keylog.Entry
}

func newTestLog(t testing.TB, seed byte) *testLog {
	t.Helper()
	signer, vkey := logKey(t, origin, seed)
	l, err := keylog.New(&keylog.MemStore{}, origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keylog.NewVerifier(origin, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{Log: l, v: v}
}

// appendN appends n entries named prefix0, prefix1, … under users u0…u2.
func (l *testLog) appendN(t testing.TB, n int, prefix string) {
	t.Helper()
	for range n {
		i := len(l.entries)
		e := keylog.Entry{User: fmt.Sprintf("u%d", i%3), Data: fmt.Appendf(nil, "%s%d", prefix, i)}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		l.entries = append(l.entries, e)
	}
}

func (l *testLog) checkpoint(t testing.TB) *keylog.Checkpoint {
	t.Helper()
	b, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := l.v.ParseCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}
