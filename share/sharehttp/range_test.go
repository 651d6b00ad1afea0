package sharehttp_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

type rangeVector struct {
	Range        []string `json:"range"`
	IfRange      *string  `json:"if_range"`
	Size         int64    `json:"size"`
	Status       int      `json:"status"`
	ContentRange string   `json:"content_range"`
	Note         string   `json:"note"`
}

func readRangeVectors(t testing.TB) []rangeVector {
	t.Helper()
	b, err := os.ReadFile("testdata/range.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []rangeVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no range vectors")
	}
	return doc.Vectors
}

// rangeFixture is a Service with items of alice's, by payload size, and
// a handler that serves it as the user in X-User.
type rangeFixture struct {
	svc     *share.Service
	h       *sharehttp.Handler
	alice   *share.Client
	items   map[int64]*share.Item
	payload map[int64][]byte
}

func newRangeFixture(t *testing.T) *rangeFixture {
	t.Helper()
	f := &rangeFixture{svc: newService(), items: map[int64]*share.Item{}, payload: map[int64][]byte{}}
	f.h = sharehttp.NewHandler(f.svc, func(r *http.Request) (string, error) { return r.Header.Get("X-User"), nil })
	f.alice = newClient(t, f.svc, "alice")
	newClient(t, f.svc, "carol")
	return f
}

func newClient(t *testing.T, svc *share.Service, name string) *share.Client {
	t.Helper()
	x, err := envelope.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	kek, err := envelope.NewKEK(name+"-kek", key)
	if err != nil {
		t.Fatal(err)
	}
	_, sk, _ := ed25519.GenerateKey(nil)
	c := &share.Client{User: name, Transport: share.Local{Service: svc, Actor: name},
		Identities: []envelope.Identity{x}, KEK: kek, SigningKey: sk}
	if err := c.Register(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

// item returns an item of alice's whose payload is size bytes: one
// segment, of size less the segment overhead (the payload of an empty
// item: 16 bytes, 28 with the random-nonce suite of FIPS mode).
func (f *rangeFixture) item(t *testing.T, size int64) *share.Item {
	t.Helper()
	if it, ok := f.items[size]; ok {
		return it
	}
	empty, err := f.alice.Upload(t.Context(), bytes.NewReader(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.alice.Upload(t.Context(), bytes.NewReader(make([]byte, size-empty.Size)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if it.Size != size {
		t.Fatalf("payload of %d bytes, want %d", it.Size, size)
	}
	rc, err := f.svc.Blobs.Get(t.Context(), it.BlobRef)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	f.payload[size], _ = io.ReadAll(rc)
	f.items[size] = it
	return it
}

// download serves a download request of user's for it with ranges.
func (f *rangeFixture) download(t *testing.T, user string, key ed25519.PrivateKey, it *share.Item, ranges []string, ifRange *string) *httptest.ResponseRecorder {
	t.Helper()
	ev, _ := json.Marshal(share.NewEvent(key, share.ActionDownload, user, it.ID, ""))
	req := httptest.NewRequest("POST", "/v1/items/"+it.ID+"/download", bytes.NewReader(ev))
	req.Header.Set("X-User", user)
	for _, r := range ranges {
		req.Header.Add("Range", r)
	}
	if ifRange != nil {
		req.Header.Set("If-Range", *ifRange)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// The download route answers every vector of testdata/range.json with its
// status, Content-Range and bytes.
func TestRangeVectors(t *testing.T) {
	f := newRangeFixture(t)
	for i, v := range readRangeVectors(t) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			it := f.item(t, v.Size)
			rec := f.download(t, "alice", f.alice.SigningKey, it, v.Range, v.IfRange)
			payload := f.payload[v.Size]
			if rec.Code != v.Status || rec.Header().Get("Content-Range") != v.ContentRange {
				t.Fatalf("Range %q (%s): %d Content-Range %q, want %d %q",
					v.Range, v.Note, rec.Code, rec.Header().Get("Content-Range"), v.Status, v.ContentRange)
			}
			switch v.Status {
			case http.StatusOK:
				if !bytes.Equal(rec.Body.Bytes(), payload) || rec.Header().Get("Accept-Ranges") != "bytes" {
					t.Errorf("200: %d bytes, Accept-Ranges %q", rec.Body.Len(), rec.Header().Get("Accept-Ranges"))
				}
			case http.StatusPartialContent:
				var a, b int
				if _, err := fmtSscanRange(v.ContentRange, &a, &b); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rec.Body.Bytes(), payload[a:b+1]) {
					t.Errorf("206: not bytes %d-%d", a, b)
				}
				if rec.Header().Get("Content-Length") != strconv.Itoa(b-a+1) || rec.Header().Get("Accept-Ranges") != "bytes" {
					t.Errorf("206: Content-Length %q, Accept-Ranges %q", rec.Header().Get("Content-Length"), rec.Header().Get("Accept-Ranges"))
				}
			case http.StatusBadRequest:
				wantError(t, rec, v.Status, "invalid")
			case http.StatusRequestedRangeNotSatisfiable:
				wantError(t, rec, v.Status, "range_not_satisfiable")
			default:
				t.Fatalf("vector status %d", v.Status)
			}
		})
	}
}

func fmtSscanRange(cr string, a, b *int) (int, error) {
	rest, _ := strings.CutPrefix(cr, "bytes ")
	rng, _, _ := strings.Cut(rest, "/")
	x, y, _ := strings.Cut(rng, "-")
	var err1, err2 error
	*a, err1 = strconv.Atoi(x)
	*b, err2 = strconv.Atoi(y)
	return 2, errors.Join(err1, err2)
}

// A range is served only after the access check: someone without access
// learns nothing of the payload's size, past the end or not.
func TestRangeAccess(t *testing.T) {
	f := newRangeFixture(t)
	it := f.item(t, 1000)
	carol := newClient(t, f.svc, "dave")
	for _, r := range []string{"bytes=0-9", "bytes=5000-", "bytes=-0"} {
		rec := f.download(t, "dave", carol.SigningKey, it, []string{r}, nil)
		wantError(t, rec, http.StatusForbidden, "permission")
		if cr := rec.Header().Get("Content-Range"); cr != "" {
			t.Errorf("%s: Content-Range %q to a user without access", r, cr)
		}
	}
}

// partialServer answers every request with a 206 of body and the given
// Content-Range (none if "") and Content-Length (-1: unset).
func partialServer(t *testing.T, status int, contentRange string, length int, body string) *sharehttp.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentRange != "" {
			w.Header().Set("Content-Range", contentRange)
		}
		if length >= 0 {
			w.Header().Set("Content-Length", strconv.Itoa(length))
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
}

// The client takes only a 206 for the range it asked: a lying server that
// answers another range, another length, a whole payload or a short body
// is refused.
func TestClientRangeRefusesLies(t *testing.T) {
	_, sk, _ := ed25519.GenerateKey(nil)
	ev := share.NewEvent(sk, share.ActionDownload, "alice", "I1", "")
	for _, tc := range []struct {
		name         string
		status       int
		contentRange string
		length       int
		body         string
		off, n       int64
		want         error
	}{
		{"other start", 206, "bytes 11-19/100", 9, "123456789", 10, 10, share.ErrCorrupt},
		{"other end", 206, "bytes 10-18/100", 9, "123456789", 10, 10, share.ErrCorrupt},
		{"longer than asked", 206, "bytes 10-29/100", 20, strings.Repeat("x", 20), 10, 10, share.ErrCorrupt},
		{"cut short before the end", 206, "bytes 10-14/100", 5, "12345", 10, 10, share.ErrCorrupt},
		{"suffix not at the end", 206, "bytes 80-89/100", 10, "1234567890", -10, 1 << 62, share.ErrCorrupt},
		{"suffix too short", 206, "bytes 91-99/100", 9, "123456789", -10, 1 << 62, share.ErrCorrupt},
		{"no Content-Range", 206, "", 10, "1234567890", 10, 10, share.ErrCorrupt},
		{"unknown size", 206, "bytes 10-19/*", 10, "1234567890", 10, 10, share.ErrCorrupt},
		{"unsatisfied range", 206, "bytes */100", 10, "1234567890", 10, 10, share.ErrCorrupt},
		{"multipart", 206, "", -1, "--sep\r\n", 10, 10, share.ErrCorrupt},
		{"signed numbers", 206, "bytes +10-19/100", 10, "1234567890", 10, 10, share.ErrCorrupt},
		{"Content-Length differs", 206, "bytes 10-19/100", 9, "123456789", 10, 10, share.ErrCorrupt},
		{"end past the size", 206, "bytes 10-19/15", 10, "1234567890", 10, 10, share.ErrCorrupt},
		{"whole payload", 200, "", 100, strings.Repeat("x", 100), 10, 10, share.ErrCorrupt},
		{"416", 416, "bytes */5", -1, `{"error":"range_not_satisfiable"}`, 10, 10, share.ErrRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := partialServer(t, tc.status, tc.contentRange, tc.length, tc.body)
			rc, _, err := c.DownloadRange(t.Context(), "I1", tc.off, tc.n, ev)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
		})
	}
}

// A 206 body that ends before its Content-Range's length is an error at
// the read, not a short success.
func TestClientRangeShortBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-9/100")
		w.WriteHeader(206)
		w.(http.Flusher).Flush() // chunked: no Content-Length, and 5 bytes only
		io.WriteString(w, "12345")
	}))
	t.Cleanup(srv.Close)
	c := &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
	_, sk, _ := ed25519.GenerateKey(nil)
	rc, sp, err := c.DownloadRange(t.Context(), "I1", 0, 10, share.NewEvent(sk, share.ActionDownload, "alice", "I1", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if sp != (share.Span{Off: 0, N: 10, Size: 100}) {
		t.Fatalf("span %+v", sp)
	}
	if b, err := io.ReadAll(rc); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %q, %v; want io.ErrUnexpectedEOF", b, err)
	}
}

// The client refuses to ask for what no range expresses.
func TestClientRangeArguments(t *testing.T) {
	c := &sharehttp.Client{BaseURL: "http://127.0.0.1:1"}
	for _, r := range [][2]int64{{0, 0}, {0, -1}, {-1 << 63, 1}} {
		if _, _, err := c.DownloadRange(t.Context(), "I1", r[0], r[1], nil); !errors.Is(err, share.ErrInvalid) {
			t.Errorf("(%d, %d): %v", r[0], r[1], err)
		}
	}
}
