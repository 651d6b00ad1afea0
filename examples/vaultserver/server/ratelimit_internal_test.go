package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
)

// TestUnknownLinkCreatesNoBucket: only the client's address is charged for
// a link ID that does not exist.
func TestUnknownLinkCreatesNoBucket(t *testing.T) {
	stores, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	s, err := New(Config{Stores: stores, Pepper: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r := httptest.NewRequest("GET", "/api/v1/links/nosuchlink"+strconv.Itoa(i), nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Fatalf("%d %s, want 404", w.Code, w.Body)
		}
	}
	if n := s.linkRate.Len(); n != 1 {
		t.Fatalf("%d link buckets, want 1 (the client's address)", n)
	}
}
