package storageauth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sealkit/sealkit/storageauth"
)

// seedBodies adds every store-request body of the vectors to f.
func seedBodies(f *testing.F) *vectorFile {
	vf := loadVectors(f)
	for _, v := range vf.Store {
		f.Add([]byte(v.Body))
	}
	if len(vf.Store) == 0 {
		f.Fatal("empty seed corpus")
	}
	return vf
}

// FuzzParseRecord: any bytes either fail with ErrMalformed or ErrTooLarge,
// or parse into a record within every limit whose encoding parses back to
// the same record.
func FuzzParseRecord(f *testing.F) {
	seedBodies(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := storageauth.ParseRecord(b)
		if err != nil {
			if !errors.Is(err, storageauth.ErrMalformed) && !errors.Is(err, storageauth.ErrTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if _, err := storageauth.ParseID(r.ID); err != nil {
			t.Fatalf("accepted a bad slot ID: %v", err)
		}
		if r.Version < 1 || r.Version > storageauth.MaxVersion || len(r.Signature) != storageauth.SignatureSize ||
			len(r.Ciphertext) < 28 || len(r.Ciphertext) > storageauth.MaxCiphertextBytes {
			t.Fatal("accepted a record outside the limits")
		}
		enc, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := storageauth.ParseRecord(enc)
		if err != nil || r2.ID != r.ID || r2.Version != r.Version ||
			!bytes.Equal(r2.Ciphertext, r.Ciphertext) || !bytes.Equal(r2.Signature, r.Signature) {
			t.Fatalf("re-encoding does not round-trip: %v", err)
		}
	})
}

// FuzzServePut: bodies sent to the HTTP handler of an empty server never
// crash it, get a 204 or a 4xx, and are stored only if they carry exactly
// one of the records the slot owners signed in the vectors: nothing a
// fuzzer makes up passes the signature check.
func FuzzServePut(f *testing.F) {
	vf := seedBodies(f)
	signed := map[string]bool{}
	for _, v := range vf.Store {
		if v.Expect == "ok" {
			r, err := storageauth.ParseRecord([]byte(v.Body))
			if err != nil {
				f.Fatal(err)
			}
			signed[string(mustJSON(f, r))] = true
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, perr := storageauth.ParseRecord(b)
		id := "ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		if perr == nil {
			id = r.ID
		}
		store := storageauth.NewMemoryStore()
		srv := storageauth.NewServer(store)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/"+id, bytes.NewReader(b)))
		switch {
		case w.Code == http.StatusNoContent:
			if perr != nil || !signed[string(mustJSON(t, r))] {
				t.Fatalf("stored a record nobody signed")
			}
			if _, err := store.Get(context.Background(), id); err != nil {
				t.Fatalf("204 but nothing stored: %v", err)
			}
		case w.Code >= 400 && w.Code < 500:
			if _, err := store.Get(context.Background(), id); !errors.Is(err, storageauth.ErrNotFound) {
				t.Fatalf("refused (%d) but the slot changed", w.Code)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}

// FuzzParseID: any string either fails with ErrMalformed or is a valid ID
// whose String is the input (one encoding per key).
func FuzzParseID(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Derivation {
		f.Add(v.ID)
	}
	for _, v := range vf.Store {
		f.Add(v.PathID)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := storageauth.ParseID(s)
		if err != nil {
			if !errors.Is(err, storageauth.ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if id.String() != s || id.IsZero() {
			t.Fatalf("ID %q parsed to %q", s, id)
		}
	})
}
