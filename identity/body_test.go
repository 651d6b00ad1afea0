package identity_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/sealkit/sealkit/identity"
)

// totalAlloc is the bytes allocated so far by the whole process.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestVerifierDoesNotAllocateFromContentLength: a signed request that
// declares a large body but sends few or no bytes costs memory in
// proportion to what it sent, not to Content-Length.
func TestVerifierDoesNotAllocateFromContentLength(t *testing.T) {
	const declared = 256 << 20
	for _, sent := range []int{0, 10} {
		t.Run(strconv.Itoa(sent)+" bytes sent", func(t *testing.T) {
			f := newFixture(t)
			f.verifier.MaxBodyBytes = 1 << 30
			body := bytes.Repeat([]byte{'x'}, sent)
			r := signed(t, f.ed, "POST", testURL, body, nil)
			r.ContentLength = declared // not signed; a client may claim anything
			before := totalAlloc()
			if _, err := f.verifier.Verify(r); err != nil {
				t.Fatal(err)
			}
			got := totalAlloc() - before
			if got > 1<<20 {
				t.Fatalf("verifying a request that sent %d bytes allocated %d bytes (Content-Length %d)", sent, got, declared)
			}
			t.Logf("allocated %d bytes", got)
			if r.ContentLength != int64(sent) {
				t.Fatalf("ContentLength after Verify = %d, want %d", r.ContentLength, sent)
			}
		})
	}
}

// readCounter counts Read calls on a body.
type readCounter struct {
	io.Reader
	reads atomic.Int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Reader.Read(p)
}

func (c *readCounter) Close() error { return nil }

// TestVerifierReplayRefusedBeforeBody: while a signed request's body is
// still arriving, the same signature on a second request is refused as a
// replay without reading any of the second body; the first then succeeds.
func TestVerifierReplayRefusedBeforeBody(t *testing.T) {
	f := newFixture(t)
	body := []byte(`{"name":"a slow upload"}`)
	r1 := signed(t, f.ed, "POST", testURL, body, nil)
	r2 := r1.Clone(r1.Context())
	second := &readCounter{Reader: bytes.NewReader(body)}
	r2.Body = second
	pr, pw := io.Pipe()
	r1.Body = pr
	first := make(chan error, 1)
	go func() {
		_, err := f.verifier.Verify(r1)
		first <- err
	}()
	// The pipe hands over a byte only once the Verifier reads the body.
	if _, err := pw.Write(body[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(r2); !errors.Is(err, identity.ErrReplayed) {
		t.Fatalf("second request with the same signature: %v, want ErrReplayed", err)
	}
	if n := second.reads.Load(); n != 0 {
		t.Fatalf("the replayed request's body was read %d times", n)
	}
	pw.Write(body[1:])
	pw.Close()
	if err := <-first; err != nil {
		t.Fatalf("first request: %v", err)
	}
}

// TestVerifierAdmit: Admit runs after the signature verified and before
// the body is read, and its error is returned as is with the body unread.
func TestVerifierAdmit(t *testing.T) {
	f := newFixture(t)
	errBusy := errors.New("busy")
	var admitted []string
	f.verifier.Admit = func(r *http.Request, e identity.KeyEntry) error {
		admitted = append(admitted, e.Owner)
		return errBusy
	}
	r := signed(t, f.ed, "POST", testURL, testBody, nil)
	body := &readCounter{Reader: bytes.NewReader(testBody)}
	r.Body = body
	if _, err := f.verifier.Verify(r); err != errBusy {
		t.Fatalf("Verify = %v, want Admit's error", err)
	}
	if body.reads.Load() != 0 || len(admitted) != 1 || admitted[0] != "alice" {
		t.Fatalf("reads %d, admitted %v", body.reads.Load(), admitted)
	}
	bad := signed(t, f.ed, "POST", testURL, testBody, nil)
	bad.Header.Set("Content-Type", "text/plain") // covered: the signature breaks
	if _, err := f.verifier.Verify(bad); !errors.Is(err, identity.ErrBadSignature) || len(admitted) != 1 {
		t.Fatalf("bad signature: %v, Admit called %d times", err, len(admitted))
	}
}

// TestVerifierBodyBoundaries: bodies around the chunk sizes and the cap
// come back byte for byte (Read and WriteTo, however the network splits
// them), and one byte over the cap is ErrBodyTooLarge, as is a smaller
// cap a server set with http.MaxBytesReader.
func TestVerifierBodyBoundaries(t *testing.T) {
	const limit = 200 << 10
	sizes := []int{0, 1, 511, 512, 513, 1023, 1024, 64<<10 - 1, 64 << 10, 64<<10 + 1, limit - 1, limit}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"data+EOF": iotest.DataErrReader,
		"half":     iotest.HalfReader,
	}
	for _, n := range sizes {
		for name, wrap := range readers {
			t.Run(strconv.Itoa(n)+"/"+name, func(t *testing.T) {
				f := newFixture(t)
				f.verifier.MaxBodyBytes = limit
				body := make([]byte, n)
				for i := range body {
					body[i] = byte(i * 7)
				}
				r := signed(t, f.ed, "POST", testURL, body, nil)
				r.Body = io.NopCloser(wrap(bytes.NewReader(body)))
				if _, err := f.verifier.Verify(r); err != nil {
					t.Fatal(err)
				}
				if r.ContentLength != int64(n) {
					t.Fatalf("ContentLength %d", r.ContentLength)
				}
				if n%2 == 0 {
					if err := iotest.TestReader(r.Body, body); err != nil {
						t.Fatal(err)
					}
					return
				}
				var out bytes.Buffer
				if _, err := io.Copy(&out, r.Body); err != nil || !bytes.Equal(out.Bytes(), body) {
					t.Fatalf("WriteTo: %d bytes, %v", out.Len(), err)
				}
			})
		}
	}
	t.Run("over the cap", func(t *testing.T) {
		f := newFixture(t)
		f.verifier.MaxBodyBytes = limit
		body := make([]byte, limit+1)
		r := signed(t, f.ed, "POST", testURL, body, nil)
		r.ContentLength = -1 // chunked: only the bytes read tell
		if _, err := f.verifier.Verify(r); !errors.Is(err, identity.ErrBodyTooLarge) {
			t.Fatalf("Verify = %v, want ErrBodyTooLarge", err)
		}
	})
	t.Run("MaxBytesReader", func(t *testing.T) {
		f := newFixture(t)
		r := signed(t, f.ed, "POST", testURL, testBody, nil)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 4)
		if _, err := f.verifier.Verify(r); !errors.Is(err, identity.ErrBodyTooLarge) {
			t.Fatalf("Verify = %v, want ErrBodyTooLarge", err)
		}
	})
}

// TestHandlerClosesOnRefusedBody: Handler answers a refused request that
// carries a body with Connection: close, so net/http does not wait for
// body bytes nobody will read.
func TestHandlerClosesOnRefusedBody(t *testing.T) {
	f := newFixture(t)
	h := f.verifier.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler ran") }))
	r := httptest.NewRequest("POST", testURL, bytes.NewReader(testBody)) // unsigned
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || w.Header().Get("Connection") != "close" {
		t.Fatalf("refused request with a body: %d, Connection %q", w.Code, w.Header().Get("Connection"))
	}
}
