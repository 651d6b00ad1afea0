package share_test

import (
	"testing"

	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
)

func TestMemoryStores(t *testing.T) {
	sharetest.Run(t, func(*testing.T) share.Stores { return share.NewMemoryStores() })
}

func TestMemoryBlobs(t *testing.T) {
	sharetest.RunBlobs(t, func(*testing.T) share.BlobStore { return share.NewMemoryBlobs() })
}

func TestFileBlobs(t *testing.T) {
	sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore {
		b, err := share.NewFileBlobs(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func BenchmarkMemoryAuditAppend(b *testing.B) {
	sharetest.BenchmarkAuditAppend(b, func(*testing.B) share.AuditLog { return share.NewMemoryStores().Audit })
}
