package objstore_test

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/sealkit/sealkit/backend/objstore"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

// backends are the buckets every test runs on: memblob and fileblob always,
// S3 when the environment names a server.
var backends = []struct {
	name string
	open func(tb testing.TB) *objstore.Blobs
}{
	{"memblob", func(tb testing.TB) *objstore.Blobs { return objstore.New(memblob.OpenBucket(nil)) }},
	{"fileblob", openFile},
	{"S3", openS3},
}

func openFile(tb testing.TB) *objstore.Blobs {
	b, err := fileblob.OpenBucket(tb.TempDir(), &fileblob.Options{NoTempDir: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return objstore.New(b)
}

// prefixed puts s's keys under prefix, so that tests sharing one S3
// bucket do not meet. The returned bucket replaces s's.
func prefixed(s *objstore.Blobs, prefix string) *blob.Bucket {
	return blob.PrefixedBucket(s.Bucket(), prefix)
}

func TestBlobs(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore { return b.open(t) })
		})
	}
}

// TestOpenURL runs the conformance suite on stores opened by URL.
func TestOpenURL(t *testing.T) {
	urls := map[string]func(t *testing.T) string{
		"mem":  func(t *testing.T) string { return "mem://" },
		"file": func(t *testing.T) string { return "file://" + filepath.ToSlash(t.TempDir()) + "?no_tmp_dir=true" },
	}
	if c, ok := s3Config(); ok {
		urls["s3"] = func(t *testing.T) string {
			// s3blob reads static credentials from the standard variables.
			t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
			return "s3://" + c.Bucket + "?region=us-east-1&use_path_style=true&endpoint=" + c.Endpoint
		}
	}
	for name, u := range urls {
		t.Run(name, func(t *testing.T) {
			sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore {
				s, err := objstore.Open(t.Context(), u(t))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
	if _, err := objstore.Open(t.Context(), "nosuch://x"); err == nil {
		t.Error("an unregistered scheme opened")
	}
}

// failAfter yields n bytes of a pattern, then fails (or, with cancel set,
// cancels the put's context and waits for the next read to fail it).
type failAfter struct {
	n      int64
	cancel context.CancelFunc
	read   int64
}

var errSource = errors.New("source failed")

func (f *failAfter) Read(p []byte) (int, error) {
	if f.read >= f.n {
		if f.cancel != nil {
			f.cancel()
			return 0, context.Canceled
		}
		return 0, errSource
	}
	k := int(min(int64(len(p)), f.n-f.read))
	for i := range k {
		p[i] = byte(f.read + int64(i))
	}
	f.read += int64(k)
	return k, nil
}

// ctxIgnoring yields n bytes and then EOF, but cancels the put's context
// on the way, as a source that does not watch ctx would.
type ctxIgnoring struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *ctxIgnoring) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// TestAbortedPutLeavesNothing checks that a put whose source fails, or
// whose context ends, mid-stream leaves no blob under a new key and the
// old blob under a used one, for one-part and multipart sizes.
func TestAbortedPutLeavesNothing(t *testing.T) {
	sizes := []int64{0, 1000, objstore.PartSize + 1, 2*objstore.PartSize + 5}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := t.Context()
			old := []byte("the old blob")
			for _, size := range sizes {
				for _, how := range []string{"source error", "context cancelled", "context ended at EOF"} {
					t.Run(fmt.Sprintf("%s/%d", how, size), func(t *testing.T) {
						pctx, cancel := context.WithCancel(ctx)
						defer cancel()
						src := func() io.Reader {
							switch how {
							case "source error":
								return &failAfter{n: size}
							case "context cancelled":
								return &failAfter{n: size, cancel: cancel}
							}
							return &ctxIgnoring{r: io.LimitReader(&failAfter{n: math.MaxInt64}, size), cancel: cancel}
						}
						if _, err := s.Put(pctx, "new", src()); err == nil {
							t.Fatal("aborted put succeeded")
						}
						if rc, err := s.Get(ctx, "new"); !errors.Is(err, share.ErrNotFound) {
							if err == nil {
								rc.Close()
							}
							t.Fatalf("get after an aborted put: %v, want ErrNotFound", err)
						}
						if _, err := s.Put(ctx, "used", bytes.NewReader(old)); err != nil {
							t.Fatal(err)
						}
						pctx, cancel = context.WithCancel(ctx)
						defer cancel()
						if _, err := s.Put(pctx, "used", src()); err == nil {
							t.Fatal("aborted put succeeded")
						}
						if got := readAll(t, s, "used"); !bytes.Equal(got, old) {
							t.Fatalf("an aborted put changed the blob to %d bytes", len(got))
						}
					})
				}
			}
		})
	}
}

// TestAbortedPutLeavesNoFile checks that fileblob keeps no temporary file
// of an aborted put.
func TestAbortedPutLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s := objstore.New(b)
	if _, err := s.Put(t.Context(), "x", &failAfter{n: objstore.PartSize + 1}); !errors.Is(err, errSource) {
		t.Fatalf("put from a failing source: %v, want its error", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left %s", e.Name())
	}
}

func readAll(t *testing.T, s *objstore.Blobs, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRanges checks the edges of GetRange that the conformance suite does
// not: the first and the last byte, zero bytes, past the end, lengths that
// would overflow, negative values, and a missing blob.
func TestRanges(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefghij"), 1000)
	size := int64(len(data))
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := t.Context()
			if _, err := s.Put(ctx, "r", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "empty", bytes.NewReader(nil)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				key     string
				off, n  int64
				want    []byte
				wantErr error
			}{
				{"r", 0, 1, data[:1], nil},
				{"r", size - 1, 1, data[size-1:], nil},
				{"r", size - 1, 100, data[size-1:], nil},
				{"r", 0, size, data, nil},
				{"r", 10, 0, nil, nil},
				{"r", size, 0, nil, nil},
				{"r", size, 1, nil, nil},
				{"r", 5, math.MaxInt64, data[5:], nil},
				{"r", size + 1, 1, nil, nil},
				{"r", math.MaxInt64, math.MaxInt64, nil, nil},
				{"r", -1, 1, nil, share.ErrInvalid},
				{"r", 0, -1, nil, share.ErrInvalid},
				{"empty", 0, 10, nil, nil},
				{"missing", 0, 10, nil, share.ErrNotFound},
				{"missing", 5, 0, nil, share.ErrNotFound},
				{"../r", 0, 1, nil, share.ErrInvalid},
			} {
				rc, err := s.GetRange(ctx, c.key, c.off, c.n)
				if c.wantErr != nil {
					if !errors.Is(err, c.wantErr) {
						t.Errorf("%s [%d,+%d): %v, want %v", c.key, c.off, c.n, err, c.wantErr)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s [%d,+%d): %v", c.key, c.off, c.n, err)
					continue
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, c.want) {
					t.Errorf("%s [%d,+%d): %d bytes, %v; want %d bytes", c.key, c.off, c.n, len(got), err, len(c.want))
				}
			}
		})
	}
}

// TestContext checks that calls fail, with the context's error, once
// their context has ended.
func TestContext(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			if _, err := s.Put(t.Context(), "c", strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := s.Put(ctx, "d", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
				t.Errorf("put: %v", err)
			}
			if _, err := s.Get(t.Context(), "d"); !errors.Is(err, share.ErrNotFound) {
				t.Errorf("a put with an ended context stored a blob: %v", err)
			}
			if _, err := s.Get(ctx, "c"); !errors.Is(err, context.Canceled) {
				t.Errorf("get: %v", err)
			}
			if _, err := s.GetRange(ctx, "c", 0, 1); !errors.Is(err, context.Canceled) {
				t.Errorf("get range: %v", err)
			}
			if err := s.Delete(ctx, "c"); !errors.Is(err, context.Canceled) {
				t.Errorf("delete: %v", err)
			}
			if got := readAll(t, s, "c"); string(got) != "x" {
				t.Errorf("the blob is now %q", got)
			}
		})
	}
}

// TestS3ConfigHidesSecret checks that printing an S3Config, in any verb,
// leaves the secret key out.
func TestS3ConfigHidesSecret(t *testing.T) {
	c := objstore.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKeyID: "AK", SecretAccessKey: "very-secret-key"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, c); strings.Contains(out, c.SecretAccessKey) {
			t.Errorf("%s prints the secret: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, &c); strings.Contains(out, c.SecretAccessKey) {
			t.Errorf("%s of a pointer prints the secret: %s", verb, out)
		}
	}
}

// TestOpenS3Refuses checks the configs OpenS3 refuses before any request.
func TestOpenS3Refuses(t *testing.T) {
	good := objstore.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKeyID: "AK", SecretAccessKey: "SK"}
	for name, edit := range map[string]func(c *objstore.S3Config){
		"no bucket":     func(c *objstore.S3Config) { c.Bucket = "" },
		"no access key": func(c *objstore.S3Config) { c.AccessKeyID = "" },
		"no secret":     func(c *objstore.S3Config) { c.SecretAccessKey = "" },
		"not http":      func(c *objstore.S3Config) { c.Endpoint = "ftp://127.0.0.1" },
		"no host":       func(c *objstore.S3Config) { c.Endpoint = "http://" },
		"user info":     func(c *objstore.S3Config) { c.Endpoint = "http://u:p@127.0.0.1" },
		"unparsable":    func(c *objstore.S3Config) { c.Endpoint = "http://[::1" },
	} {
		c := good
		edit(&c)
		if s, err := objstore.OpenS3(t.Context(), c); err == nil {
			s.Close()
			t.Errorf("%s: opened", name)
		} else if strings.Contains(err.Error(), "p@") {
			t.Errorf("%s: the error repeats the endpoint's user info: %v", name, err)
		}
	}
	s, err := objstore.OpenS3(t.Context(), good)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// enforcement records, on every Read, whether strict FIPS 140-3
// enforcement was on.
type enforcement struct {
	r        io.Reader
	enforced []bool
}

func (e *enforcement) Read(p []byte) (int, error) {
	e.enforced = append(e.enforced, fips140.Enforced())
	return e.r.Read(p)
}

// TestSourceKeepsFIPSEnforcement checks that Put reads its source under
// the caller's FIPS 140-3 enforcement (on in the GODEBUG=fips140=only run
// of the tests): only gocloud's own MD5 is exempt.
func TestSourceKeepsFIPSEnforcement(t *testing.T) {
	want := fips140.Enforced()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			src := &enforcement{r: io.LimitReader(&failAfter{n: math.MaxInt64}, 2*objstore.PartSize+1)}
			if _, err := b.open(t).Put(t.Context(), "f", src); err != nil {
				t.Fatal(err)
			}
			for i, got := range src.enforced {
				if got != want {
					t.Fatalf("read %d: enforced %v, want %v", i, got, want)
				}
			}
		})
	}
}
