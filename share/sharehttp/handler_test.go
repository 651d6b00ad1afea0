package sharehttp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

func newService() *share.Service {
	return share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
}

// target is a request line for rt with every {wildcard} set to X.
func target(rt sharehttp.Route) string {
	p := rt.Path
	for {
		i, j := strings.IndexByte(p, '{'), strings.IndexByte(p, '}')
		if i < 0 {
			return p
		}
		p = p[:i] + "X" + p[j+1:]
	}
}

func serve(h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, bytes.NewReader(body)))
	return rec
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	want := `{"error":"` + code + `"}`
	if rec.Code != status || strings.TrimSpace(rec.Body.String()) != want {
		t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, status, want)
	}
}

// Every signed route refuses a request no user is verified for, whatever
// the principal function says, and every link route is served without
// asking it.
func TestHandlerAuth(t *testing.T) {
	svc := newService()
	var asked atomic.Int32
	principals := map[string]func(*http.Request) (string, error){
		"nil": nil,
		"error": func(*http.Request) (string, error) {
			asked.Add(1)
			return "alice", share.ErrUnauthenticated
		},
		"invalid user": func(*http.Request) (string, error) { asked.Add(1); return "../alice", nil },
		"empty user":   func(*http.Request) (string, error) { asked.Add(1); return "", nil },
	}
	for name, p := range principals {
		h := sharehttp.NewHandler(svc, p)
		for _, rt := range sharehttp.Routes() {
			t.Run(name+"/"+rt.Name, func(t *testing.T) {
				asked.Store(0)
				rec := serve(h, rt.Method, target(rt), nil)
				switch rt.Auth {
				case sharehttp.AuthSigned:
					wantError(t, rec, http.StatusUnauthorized, "unauthenticated")
					if p != nil && asked.Load() != 1 {
						t.Errorf("principal asked %d times", asked.Load())
					}
				case sharehttp.AuthLink:
					if rec.Code == http.StatusUnauthorized || asked.Load() != 0 {
						t.Errorf("link route: %d, principal asked %d times", rec.Code, asked.Load())
					}
				default:
					t.Fatalf("auth %d", rt.Auth)
				}
			})
		}
	}
}

// Request bodies are one JSON value under the cap, with no unknown fields.
func TestHandlerBodies(t *testing.T) {
	h := sharehttp.NewHandler(newService(), func(*http.Request) (string, error) { return "alice", nil })
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"unknown field", `{"recipient":"bob","event":{},"extra":1}`, http.StatusBadRequest, "invalid"},
		{"trailing data", `{"recipient":"bob"} {}`, http.StatusBadRequest, "invalid"},
		{"not JSON", `recipient=bob`, http.StatusBadRequest, "invalid"},
		{"over the cap", `{"recipient":"` + strings.Repeat("b", share.MaxSmallRecord) + `"}`, http.StatusRequestEntityTooLarge, "too_large"},
		{"no event", `{"recipient":"bob"}`, http.StatusBadRequest, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, serve(h, "POST", "/v1/items/I1/revoke", []byte(tc.body)), tc.status, tc.code)
		})
	}
}

// fakeServer answers every request with status and body.
func fakeServer(t *testing.T, status int, body string) *sharehttp.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
}

// The client returns one *share.HTTPError for every answer but the route's
// success status, matched by errors.Is to share's sentinel for the code.
func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   error // nil: a code share does not know
	}{
		{"not found", http.StatusNotFound, `{"error":"not_found"}`, share.ErrNotFound},
		{"locked", http.StatusLocked, `{"error":"locked"}`, share.ErrLocked},
		{"a server's own code", http.StatusInsufficientStorage, `{"error":"quota_exceeded"}`, nil},
		{"no JSON", http.StatusBadGateway, `<html>`, nil},
		{"another success status", http.StatusOK, `{}`, nil}, // publishUser answers 201
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fakeServer(t, tc.status, tc.body).PublishUser(ctx, &share.User{ID: "alice"})
			var he *share.HTTPError
			if !errors.As(err, &he) || he.Status != tc.status {
				t.Fatalf("got %v, want an HTTPError with status %d", err, tc.status)
			}
			if tc.want != nil && (!errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.want.Error())) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == nil && he.Err != nil {
				t.Fatalf("got sentinel %v for code %q", he.Err, he.Code)
			}
		})
	}
}

// A server's answers are capped and validated before the client uses them.
func TestClientAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		body string
		call func(*sharehttp.Client) error
		want error
	}{
		{"record over the cap", `{"id":"` + strings.Repeat("a", share.MaxSmallRecord) + `"}`,
			func(c *sharehttp.Client) error { _, err := c.User(ctx, "alice"); return err }, share.ErrTooLarge},
		{"invalid record", `{"id":"../alice"}`,
			func(c *sharehttp.Client) error { _, err := c.User(ctx, "alice"); return err }, share.ErrInvalid},
		{"unknown field", `{"id":"alice","admin":true}`,
			func(c *sharehttp.Client) error { _, err := c.User(ctx, "alice"); return err }, share.ErrInvalid},
		{"list over its count", "[" + strings.Repeat(`{},`, 10) + `{}]`,
			func(c *sharehttp.Client) error { _, err := c.Audit(ctx, "I1", 0, 10); return err }, share.ErrTooLarge},
		{"invalid list entry", `[{"item":"../I1"}]`,
			func(c *sharehttp.Client) error { _, err := c.ItemKeys(ctx, "I1"); return err }, share.ErrInvalid},
		{"negative max blob size", `{"used":{"bytes":0,"items":0},"limit":{"bytes":0,"items":0},"max_blob_size":-1}`,
			func(c *sharehttp.Client) error { _, err := c.UsageReport(ctx); return err }, share.ErrInvalid},
		{"short link frame", "\x00\x00\x00\x10{}",
			func(c *sharehttp.Client) error {
				_, _, err := c.AccessLink(ctx, "L1", &share.AccessRequest{})
				return err
			}, share.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(fakeServer(t, http.StatusOK, tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// A listing page ends early once its items pass the body budget, with the
// cursor of its last item, so the client reads every item, each once, in
// pages of bounded size; and the client refuses a page longer than it
// asked for.
func TestListItemsPages(t *testing.T) {
	svc := newService()
	const n = 12 // 1 MiB headers: about 1.4 MB of JSON each
	var want []string
	for i := range n {
		id := fmt.Sprintf("I%02d", i)
		h := bytes.Repeat([]byte{byte(i)}, 1<<20)
		if err := svc.Stores.Items.CreateItem(context.Background(), &share.Item{ID: id, Owner: "alice", Version: 1, Header: h, BlobRef: "B" + id}); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	srv := httptest.NewServer(sharehttp.NewHandler(svc, func(*http.Request) (string, error) { return "alice", nil }))
	defer srv.Close()
	c := &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
	var got []string
	pages := 0
	for after := ""; ; pages++ {
		page, next, err := c.Items(context.Background(), share.SortByID, after, sharehttp.ListPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page {
			got = append(got, it.ID)
		}
		if next == "" {
			break
		}
		if len(page) == 0 {
			t.Fatal("an empty page with a next cursor")
		}
		after = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if pages < 2 {
		t.Fatalf("%d MB of items came in %d page", n*14/10, pages+1)
	}

	lying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[`+strings.Repeat(`{"id":"x"},`, 2)+`{"id":"x"}],"next":""}`)
	}))
	defer lying.Close()
	c = &sharehttp.Client{BaseURL: lying.URL, HTTPClient: lying.Client()}
	if _, _, err := c.Items(context.Background(), share.SortByID, "", 2); !errors.Is(err, share.ErrTooLarge) {
		t.Fatalf("a page of 3 items for a limit of 2: %v, want ErrTooLarge", err)
	}
	if _, _, err := c.Items(context.Background(), share.SortByID, "", sharehttp.ListPageSize+1); !errors.Is(err, share.ErrInvalid) {
		t.Fatalf("a limit past ListPageSize: %v, want ErrInvalid", err)
	}
}

// The usage route reports the Service's largest payload, its default when
// the Service sets none.
func TestUsageReport(t *testing.T) {
	for _, tc := range []struct{ set, want int64 }{{0, share.DefaultMaxBlobSize}, {1 << 20, 1 << 20}} {
		svc := newService()
		svc.MaxBlobSize = tc.set
		srv := httptest.NewServer(sharehttp.NewHandler(svc, func(*http.Request) (string, error) { return "alice", nil }))
		c := &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
		r, err := c.UsageReport(context.Background())
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if r.MaxBlobSize != tc.want || r.Used != (share.Usage{}) {
			t.Errorf("MaxBlobSize %d: got %+v, want max_blob_size %d", tc.set, r, tc.want)
		}
	}
}
