package objstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealkit/sealkit/backend/objstore"
	"github.com/sealkit/sealkit/share"
)

// TestS3AbortedPutLeavesNoParts checks that a multipart put whose source
// fails, or whose context is cancelled, after two parts leaves no object,
// and that the one whose source failed leaves no multipart upload in
// progress on the server either (a cancelled one may: see the package doc).
func TestS3AbortedPutLeavesNoParts(t *testing.T) {
	c, ok := s3Config()
	if !ok {
		t.Skip(s3How)
	}
	s, err := objstore.OpenS3(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var client *s3.Client
	if !s.Bucket().As(&client) {
		t.Fatal("an S3 bucket is not an *s3.Client")
	}
	for _, cancelled := range []bool{false, true} {
		key := "abort-" + rand.Text()
		ctx, cancel := context.WithCancel(t.Context())
		src := &failAfter{n: 2*objstore.PartSize + 1}
		if cancelled {
			src.cancel = cancel
		}
		if _, err := s.Put(ctx, key, src); err == nil {
			t.Fatal("aborted put succeeded")
		}
		cancel()
		if _, err := s.Get(t.Context(), key); !errors.Is(err, share.ErrNotFound) {
			t.Fatalf("get after an aborted put: %v", err)
		}
		out, err := client.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(c.Bucket), Prefix: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if cancelled {
			t.Logf("a cancelled put left %d multipart uploads in progress", len(out.Uploads))
			continue
		}
		for _, u := range out.Uploads {
			t.Errorf("cancelled=%v: multipart upload %s of %s left in progress", cancelled, aws.ToString(u.UploadId), aws.ToString(u.Key))
		}
	}
}
