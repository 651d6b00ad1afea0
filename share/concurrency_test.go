package share_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharehttp"
)

// Concurrent openers of one link, end to end: never more successes than
// the link's maximum; every other opener gets ErrExhausted.
func TestConcurrentLinkDownloads(t *testing.T) {
	forTransports(t, func(t *testing.T, w *world) {
		alice := w.addUser(t, "alice", "rsa", 0)
		it, _ := alice.Upload(ctx, strings.NewReader("popular"), nil)
		const max, openers = 5, 24
		ls, err := alice.CreateLink(ctx, it.ID, share.LinkOptions{TTL: time.Hour, MaxDownloads: max})
		if err != nil {
			t.Fatal(err)
		}
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range openers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b bytes.Buffer
				_, err := share.OpenLink(ctx, w.anon, ls, &b)
				switch {
				case err == nil && b.String() == "popular":
					ok.Add(1)
				case !errors.Is(err, share.ErrExhausted):
					t.Errorf("opener: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != max {
			t.Fatalf("%d downloads, want %d", ok.Load(), max)
		}
	})
}

// Without an Authenticate hook, or when it fails, every user route is 401;
// link routes stay anonymous.
func TestHTTPAuthentication(t *testing.T) {
	svc := share.NewService(share.NewMemoryStores(), share.NewMemoryBlobs())
	for name, auth := range map[string]func(*http.Request) (string, error){
		"nil hook":       nil,
		"hook fails":     func(*http.Request) (string, error) { return "", errors.New("bad signature") },
		"malformed user": func(*http.Request) (string, error) { return "../root", nil },
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(sharehttp.NewHandler(svc, auth))
			defer srv.Close()
			tr := &sharehttp.Client{BaseURL: srv.URL, HTTPClient: srv.Client()}
			if _, err := tr.Received(ctx); !errors.Is(err, share.ErrUnauthenticated) {
				t.Fatalf("received: %v", err)
			}
			if _, err := tr.LinkParams(ctx, "NOSUCHLINK"); !errors.Is(err, share.ErrNotFound) {
				t.Fatalf("link params: %v", err)
			}
		})
	}
}
