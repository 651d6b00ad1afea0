package httplimit_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sealkit/sealkit/httplimit"
)

// serveOne starts l.Serve with h on a loopback listener and sends one GET
// to it; it returns the address, Serve's result and the GET's.
func serveOne(t *testing.T, h http.Handler, grace time.Duration) (cancel func(), addr string, served <-chan error, got <-chan string) {
	t.Helper()
	l, err := httplimit.New(httplimit.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sc, gc := make(chan error, 1), make(chan string, 1)
	go func() { sc <- l.Serve(ctx, ln, h, nil, grace) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			gc <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			gc <- "error: " + err.Error()
			return
		}
		gc <- string(b)
	}()
	return cancel, ln.Addr().String(), sc, gc
}

// TestServeGraceful: when ctx ends, Serve stops accepting connections,
// lets the request in flight finish, and returns nil.
func TestServeGraceful(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	cancel, addr, served, got := serveOne(t, h, time.Hour)
	<-entered
	cancel()
	// Shutdown closes the listener first: wait until new connections fail.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		default:
		}
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("request in flight: %s", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestServeCutsPastGrace: a request still running when the grace is over
// has its connection closed, and Serve says so.
func TestServeCutsPastGrace(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	cancel, _, served, got := serveOne(t, h, time.Nanosecond)
	<-entered
	cancel()
	if err := <-served; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve: %v, want context.DeadlineExceeded", err)
	}
	if body := <-got; body[:min(len(body), 6)] != "error:" {
		t.Errorf("request past grace got %q, want its connection cut", body)
	}
}
