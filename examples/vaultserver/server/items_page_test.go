package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// TestItemsPages: the user's own files are share's listing under /api:
// pages follow "next" to the end, oldest first, each item once; a
// malformed cursor or limit is 400 invalid. The usage route counts them.
func TestItemsPages(t *testing.T) {
	ctx := context.Background()
	ts := start(t, nil)
	alice := ts.register(t, "alice")
	var want []string
	for _, name := range []string{"a", "b", "c"} {
		it, err := alice.Upload(ctx, name, strings.NewReader(name), 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, it.ID)
	}
	page := func(q string) (int, sharehttp.ItemPage) {
		resp, err := alice.HTTPClient().Get(ts.URL + "/api/v1/items?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p sharehttp.ItemPage
		json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p
	}
	var got []string
	next := ""
	for range 3 {
		status, p := page("limit=2&after=" + url.QueryEscape(next))
		if status != http.StatusOK {
			t.Fatalf("page after %q: %d, %+v", next, status, p)
		}
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		if next = p.Next; next == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v (oldest first, each once)", got, want)
	}
	for _, q := range []string{"after=not-a-cursor", "limit=0", "limit=101", "limit=9223372036854775808"} {
		if status, _ := page(q); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
	files, err := alice.List(ctx)
	if err != nil || len(files) != 3 || files[0].Name != "a" {
		t.Fatalf("List: %+v, %v", files, err)
	}
	u, err := alice.Storage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.FileCount != 3 || u.MaxFiles != server.DefaultMaxItems || u.QuotaBytes != server.DefaultQuota ||
		u.MaxObjectBytes != server.DefaultMaxObjectSize || u.UsedBytes <= 3 || u.PercentageUsed <= 0 {
		t.Fatalf("Storage: %+v", u)
	}
}
