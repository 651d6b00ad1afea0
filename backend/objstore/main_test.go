package objstore_test

import (
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/sealkit/sealkit/backend/objstore"
	"github.com/sealkit/sealkit/internal/testenv"
)

// The S3 server the S3 tests and benchmarks use (.ci/s3 starts one and
// prints these variables). The bucket must exist.
const (
	endpointEnv  = "SEALKIT_S3_ENDPOINT"
	bucketEnv    = "SEALKIT_S3_BUCKET"
	accessKeyEnv = "SEALKIT_S3_ACCESS_KEY"
	secretKeyEnv = "SEALKIT_S3_SECRET_KEY"
)

const s3How = "set " + endpointEnv + ", " + bucketEnv + ", " + accessKeyEnv + " and " + secretKeyEnv +
	" (.ci/s3 starts a SeaweedFS server on 127.0.0.1 and prints them; .ci/run sets them)"

// TestMain says, in a line that shows without -v, that the S3 tests skip
// when no server is named.
func TestMain(m *testing.M) {
	if os.Getenv(endpointEnv) == "" {
		testenv.Missing("backend/objstore", "an S3 server", s3How)
	}
	os.Exit(m.Run())
}

// s3Config is the server named by the environment, or ok == false.
func s3Config() (c objstore.S3Config, ok bool) {
	c = objstore.S3Config{
		Endpoint:        os.Getenv(endpointEnv),
		Bucket:          os.Getenv(bucketEnv),
		AccessKeyID:     os.Getenv(accessKeyEnv),
		SecretAccessKey: os.Getenv(secretKeyEnv),
	}
	return c, c.Endpoint != ""
}

// openS3 opens the environment's S3 bucket under a fresh key prefix, so
// that runs do not see each other's blobs, or skips tb.
func openS3(tb testing.TB) *objstore.Blobs {
	tb.Helper()
	c, ok := s3Config()
	if !ok {
		tb.Skip(s3How)
	}
	s, err := objstore.OpenS3(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return objstore.New(prefixed(s, "test-"+rand.Text()+"/"))
}
