package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob/s3blob"
)

// S3Config names an S3 bucket and the static credentials to reach it with.
// Its String and GoString methods leave SecretAccessKey out, so printing a
// config does not leak the secret.
type S3Config struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:8333";
	// empty means AWS's own endpoint for Region.
	Endpoint string
	// Region is the bucket's region; empty means "us-east-1", which
	// S3-compatible servers accept.
	Region string
	// Bucket is the bucket's name. It must exist.
	Bucket string
	// AccessKeyID and SecretAccessKey are the static credentials.
	AccessKeyID     string
	SecretAccessKey string
}

// String describes c without its secret.
func (c S3Config) String() string {
	return fmt.Sprintf("s3 bucket %q at %q (region %q, access key %q)", c.Bucket, c.Endpoint, c.Region, c.AccessKeyID)
}

// GoString is String, so that %#v does not print the secret either.
func (c S3Config) GoString() string { return c.String() }

// OpenS3 opens the bucket c names with path-style addressing (what
// S3-compatible servers expect, and what AWS still serves), the SDK's
// default request checksums and c's static credentials. Close the store
// when done.
func OpenS3(ctx context.Context, c S3Config) (*Blobs, error) {
	if c.Bucket == "" {
		return nil, errors.New("objstore: S3Config.Bucket is empty")
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, errors.New("objstore: S3Config needs AccessKeyID and SecretAccessKey")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, errors.New("objstore: S3Config.Endpoint is not an http(s) URL without user info")
		}
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = optional(c.Endpoint)
	})
	b, err := s3blob.OpenBucket(ctx, client, c.Bucket, nil)
	if err != nil {
		return nil, fmt.Errorf("objstore: open S3 bucket: %w", err)
	}
	s := New(b)
	s.owned = true
	return s, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
