package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/internal/benchutil"
)

// BenchmarkUpload: a signed 1 MiB upload through the server (loopback HTTP,
// SQLite), against sealing the same bytes with envelope alone.
func BenchmarkUpload(b *testing.B) {
	ctx := context.Background()
	ts := start(b, nil)
	alice := ts.register(b, "alice")
	data := make([]byte, 1<<20)
	rand.Read(data)
	id, _ := envelope.GenerateHybridIdentity()
	benchutil.Compare(b, int64(len(data)), func() {
		if _, err := alice.Upload(ctx, "f", bytes.NewReader(data), int64(len(data)), nil); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := envelope.Seal(data, nil, nil, id.Recipient()); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkDownload: a 1 MiB download and decryption through the server,
// against opening the same bytes with envelope alone.
func BenchmarkDownload(b *testing.B) {
	ctx := context.Background()
	ts := start(b, nil)
	alice := ts.register(b, "alice")
	data := make([]byte, 1<<20)
	rand.Read(data)
	it, err := alice.Upload(ctx, "f", bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		b.Fatal(err)
	}
	id, _ := envelope.GenerateHybridIdentity()
	sealed, _ := envelope.Seal(data, nil, nil, id.Recipient())
	benchutil.Compare(b, int64(len(data)), func() {
		if _, err := alice.Download(ctx, it.ID, io.Discard); err != nil {
			b.Fatal(err)
		}
	}, func() {
		if _, err := envelope.Open(sealed, nil, nil, id); err != nil {
			b.Fatal(err)
		}
	})
}
