package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
)

// TestFilesHugeOffset: an offset near the largest int is an empty page, not
// a panic (offset+limit would overflow).
func TestFilesHugeOffset(t *testing.T) {
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	if _, err := alice.Upload(context.Background(), "a", strings.NewReader("a"), 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"limit=1000&offset=9223372036854775800", "offset=1", "offset=0&limit=1"} {
		resp, err := alice.HTTPClient().Get(ts.URL + "/api/v1/files?" + q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var fr api.FilesResponse
		err = json.NewDecoder(resp.Body).Decode(&fr)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", q, resp.StatusCode, err)
		}
		want := 0
		if q == "offset=0&limit=1" {
			want = 1
		}
		if len(fr.Files) != want || fr.Total != 1 {
			t.Fatalf("%s: %d files of %d, want %d of 1", q, len(fr.Files), fr.Total, want)
		}
	}
}

// TestFilesCursor: pages follow "next" to the end, oldest first, each item
// once; a malformed cursor is 400.
func TestFilesCursor(t *testing.T) {
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	var want []string
	for _, name := range []string{"a", "b", "c"} {
		it, err := alice.Upload(context.Background(), name, strings.NewReader(name), 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, it.ID)
	}
	page := func(q string) (int, api.FilesResponse) {
		resp, err := alice.HTTPClient().Get(ts.URL + "/api/v1/files?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var fr api.FilesResponse
		json.NewDecoder(resp.Body).Decode(&fr)
		return resp.StatusCode, fr
	}
	var got []string
	next := ""
	for range 3 {
		status, fr := page("limit=2&after=" + url.QueryEscape(next))
		if status != http.StatusOK || fr.Total != 3 {
			t.Fatalf("page after %q: %d, %+v", next, status, fr)
		}
		for _, it := range fr.Files {
			got = append(got, it.ID)
		}
		if next = fr.Next; next == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v (oldest first, each once)", got, want)
	}
	if status, _ := page("after=not-a-cursor"); status != http.StatusBadRequest {
		t.Fatalf("malformed cursor: %d, want 400", status)
	}
}
