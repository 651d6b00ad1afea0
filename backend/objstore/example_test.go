package objstore_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/sealkit/sealkit/backend/objstore"
)

// Example stores a blob and reads part of it back. It opens memory
// storage; a deployment names its S3 bucket with OpenS3 instead:
//
//	blobs, err := objstore.OpenS3(ctx, objstore.S3Config{
//		Endpoint:        "https://s3.example.com",
//		Bucket:          "sealkit-blobs",
//		AccessKeyID:     os.Getenv("S3_ACCESS_KEY"),
//		SecretAccessKey: os.Getenv("S3_SECRET_KEY"),
//	})
//
// or with a URL, credentials coming from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY: "s3://sealkit-blobs?region=eu-west-1", or
// "file:///var/lib/sealkit/blobs?no_tmp_dir=true" for a directory.
func Example() {
	ctx := context.Background()
	blobs, err := objstore.Open(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer blobs.Close()

	n, err := blobs.Put(ctx, "item-1", strings.NewReader("ciphertext bytes"))
	if err != nil {
		log.Fatal(err)
	}
	rc, err := blobs.GetRange(ctx, "item-1", 11, 5)
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	part, err := io.ReadAll(rc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, string(part))
	// Output: 16 bytes
}
