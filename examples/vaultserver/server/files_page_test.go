package server_test

import (
	"context"
	"encoding/json"
	"net/http"
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
