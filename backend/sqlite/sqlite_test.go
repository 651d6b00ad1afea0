package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sealkit/sealkit/backend/internal/adapt/adapttest"
	"github.com/sealkit/sealkit/backend/internal/records/recordstest"
	"github.com/sealkit/sealkit/backend/sqlite"
)

func openMemory(t *testing.T) *sqlite.DB {
	db, err := sqlite.OpenMemory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openFile(t *testing.T) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sealkit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStoresMemory(t *testing.T) {
	adapttest.Run(t, func(t *testing.T) recordstest.Backend { return openMemory(t) })
}

func TestStoresFile(t *testing.T) {
	adapttest.Run(t, func(t *testing.T) recordstest.Backend { return openFile(t) })
}

func BenchmarkFile(b *testing.B) {
	recordstest.Benchmark(b, func(b *testing.B) recordstest.Backend {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
