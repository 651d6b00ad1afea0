// Package objstore keeps share's blobs (item ciphertext) in object storage
// through gocloud.dev/blob: Amazon S3 and S3-compatible servers (s3blob),
// Google Cloud Storage (gcsblob), Azure Blob Storage (azureblob), a local
// directory (fileblob) and memory (memblob). A [*Blobs] is a
// [share.BlobStore]; records stay in backend/sqlite or backend/postgres.
//
// There are three ways to get one:
//
//   - [OpenS3] for an S3 endpoint with static credentials (MinIO,
//     SeaweedFS, Ceph, or AWS itself), path-style addressing;
//   - [Open] with a gocloud.dev URL ("s3://bucket?region=…&endpoint=…",
//     "gs://bucket", "azblob://container", "file:///dir", "mem://"), whose
//     credentials come from the environment as each driver documents
//     (never from the URL);
//   - [New] over a [*blob.Bucket] the caller opened and configured, for
//     anything the first two do not cover (a key prefix through
//     [blob.PrefixedBucket], a custom HTTP client, IAM roles).
//
// Writes stream: Put copies its source into a [blob.Writer] in parts of
// [PartSize] bytes, at most [PartConcurrency] in flight, so a put holds
// O(PartSize) memory whatever the blob's size. A blob becomes visible only
// when its write completed: S3 completes a multipart upload only on
// success, GCS and Azure commit on close, fileblob renames a temporary file.
// A put whose source fails or whose context ends commits nothing, and an
// older blob under the same key stays: on S3 the source's error fails the
// upload and the SDK's transfer manager aborts the multipart upload; other
// drivers get a writer that Put cancels before closing it (gocloud's way
// to abort: closing it with a live context would commit what it holds).
//
// An upload aborted by its context ending, or interrupted by a crash,
// leaves its uploaded parts on an S3 server (the abort request needs a
// live context); they never show as a blob but take space, so give S3
// buckets a lifecycle rule that aborts incomplete multipart uploads after
// a day. fileblob does not sync files before renaming them: it suits
// development and tests; the durable local store is [share.FileBlobs] or
// backend/sqlite.
//
// gocloud's writer hashes every blob with MD5 for its attributes, which
// GODEBUG=fips140=only refuses; Put exempts those writes (and only those,
// never the reads of its source) from strict enforcement, so the store
// works in that mode too.
package objstore

import (
	"context"
	"crypto/fips140"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // registers file:// for Open
	_ "gocloud.dev/blob/memblob"  // registers mem:// for Open
	_ "gocloud.dev/blob/s3blob"   // registers s3:// for Open
	"gocloud.dev/gcerrors"

	"github.com/sealkit/sealkit/share"
)

// PartSize is the size of the parts Put uploads (S3 multipart parts, GCS
// and Azure chunks): 8 MiB, within S3's 5 MiB–5 GiB part limits and enough
// for its 10,000-part cap to reach 80 GB objects.
const PartSize = 8 << 20

// PartConcurrency bounds the parts one Put has in flight. On S3 a put holds
// the SDK transfer manager's first read (its 16 MiB multipart threshold)
// and then (PartConcurrency+1) part buffers of [PartSize]: a bound that
// does not grow with the blob (BenchmarkPut: 49–61 MiB of peak heap, with
// garbage not yet collected, for 64 MiB and for 256 MiB blobs).
const PartConcurrency = 2

// contentType is stored with every blob; setting it also stops gocloud
// from buffering the first bytes to sniff one.
const contentType = "application/octet-stream"

// Blobs is a [share.BlobStore] over a [*blob.Bucket]. Keys are
// [share.ValidID] strings, used as object names as they are. It is safe
// for concurrent use.
type Blobs struct {
	bucket *blob.Bucket
	owned  bool // Close closes bucket
	// readsSource: the driver is S3's, whose Upload reads the source
	// itself and commits nothing when the source fails. (fileblob's
	// Upload commits what it read, so other drivers get a Writer that Put
	// cancels.)
	readsSource bool
}

var _ share.BlobStore = (*Blobs)(nil)

// New returns a store over bucket. The caller keeps bucket: [Blobs.Close]
// does not close it.
func New(bucket *blob.Bucket) *Blobs {
	var client *s3.Client
	return &Blobs{bucket: bucket, readsSource: bucket.As(&client)}
}

// Open opens the bucket a gocloud.dev URL names (s3://, file:// and
// mem:// are registered by this package; import gocloud.dev/blob/gcsblob
// or azureblob for gs:// and azblob://). Close the store when done.
func Open(ctx context.Context, url string) (*Blobs, error) {
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("objstore: open bucket: %w", err)
	}
	s := New(b)
	s.owned = true
	return s, nil
}

// Bucket returns the underlying bucket, for what a [share.BlobStore] does
// not do (listing, attributes, signed URLs).
func (s *Blobs) Bucket() *blob.Bucket { return s.bucket }

// Close closes the bucket if [Open] or [OpenS3] opened it.
func (s *Blobs) Close() error {
	if !s.owned {
		return nil
	}
	return s.bucket.Close()
}

// check refuses a key that is not a [share.ValidID] and a call whose
// context has ended (fileblob and memblob do not look at it).
func check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("objstore: %w", err)
	}
	if !share.ValidID(key) {
		return fmt.Errorf("%w: blob key", share.ErrInvalid)
	}
	return nil
}

// mapErr wraps err with the share code its gocloud code stands for, so
// that errors.Is(err, share.ErrNotFound) and the like hold.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var code error
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		code = share.ErrNotFound
	case gcerrors.AlreadyExists:
		code = share.ErrExists
	case gcerrors.FailedPrecondition:
		code = share.ErrConflict
	case gcerrors.PermissionDenied:
		code = share.ErrPermission
	case gcerrors.InvalidArgument:
		code = share.ErrInvalid
	}
	if code == nil {
		return fmt.Errorf("objstore: %s: %w", op, err)
	}
	return fmt.Errorf("objstore: %s: %w: %w", op, code, err)
}

// Put implements [share.BlobStore]: it streams r into the bucket and
// returns the bytes written. The blob appears (or replaces the old one)
// only once r reached EOF and the write committed; when r fails or ctx
// ends first, the write is abandoned and nothing under key changes.
func (s *Blobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := check(ctx, key); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := &blob.WriterOptions{ContentType: contentType, BufferSize: PartSize, MaxConcurrency: PartConcurrency}
	src := &source{r: r, ctx: ctx}
	if s.readsSource {
		// The driver reads src itself, so src's error fails the upload
		// while wctx is live, and S3 aborts the multipart upload with it.
		if err := s.bucket.Upload(wctx, key, src, opts); err != nil {
			return 0, mapErr("put", err)
		}
		return src.n, nil
	}
	w, err := s.bucket.NewWriter(wctx, key, opts)
	if err != nil {
		return 0, mapErr("put", err)
	}
	mw := md5Exempt{w}
	if _, err := io.Copy(mw, src); err != nil {
		// Cancel before Close: a Writer closed with a live context commits
		// what it has (fileblob renames its partial temporary file).
		cancel()
		mw.Close()
		return 0, fmt.Errorf("objstore: put: %w", err)
	}
	if err := mw.Close(); err != nil {
		return 0, mapErr("put", err)
	}
	return src.n, nil
}

// md5Exempt runs a [blob.Writer]'s Write and Close outside strict FIPS
// 140-3 enforcement (GODEBUG=fips140=only), which refuses the MD5 that
// blob.Writer computes of every byte for the blob's attributes. That MD5
// protects nothing here (payloads are authenticated ciphertext). Only these
// two calls are exempt, never the source Put reads from, which may be
// sealing with sealkit's own cryptography.
type md5Exempt struct{ w *blob.Writer }

func (e md5Exempt) Write(p []byte) (n int, err error) {
	fips140.WithoutEnforcement(func() { n, err = e.w.Write(p) })
	return n, err
}

func (e md5Exempt) Close() (err error) {
	fips140.WithoutEnforcement(func() { err = e.w.Close() })
	return err
}

// source counts what Put reads, and turns its EOF into ctx's error once
// ctx has ended, so that a reader that ignores ctx cannot commit a blob
// after its put was cancelled.
type source struct {
	r   io.Reader
	ctx context.Context
	n   int64
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err == io.EOF {
		if cerr := s.ctx.Err(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// Get implements [share.BlobStore].
func (s *Blobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := check(ctx, key); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, mapErr("get", err)
	}
	return r, nil
}

// GetRange implements [share.BlobStore] with one ranged read (one GET with
// a Range header on S3). A range that starts at or past the blob's end, or
// n == 0, yields no bytes, as it does from every gocloud driver.
func (s *Blobs) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := check(ctx, key); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("%w: range", share.ErrInvalid)
	}
	n = min(n, math.MaxInt64-off) // off+n must not overflow in the driver
	r, err := s.bucket.NewRangeReader(ctx, key, off, n, nil)
	if err == nil {
		return r, nil
	}
	if gcerrors.Code(err) == gcerrors.NotFound || ctx.Err() != nil {
		return nil, mapErr("get range", err)
	}
	// S3 refuses a range that starts at the end (416) and cannot read zero
	// bytes; only then ask for the size, so a normal read stays one request.
	attrs, aerr := s.bucket.Attributes(ctx, key)
	switch {
	case aerr != nil:
		return nil, mapErr("get range", aerr)
	case off >= attrs.Size || n == 0:
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, mapErr("get range", err)
}

// Delete implements [share.BlobStore]; a missing blob is
// [share.ErrNotFound].
func (s *Blobs) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	return mapErr("delete", s.bucket.Delete(ctx, key))
}
