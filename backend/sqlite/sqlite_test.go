package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/driver/drivertest"
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
	drivertest.Run(t, func(t *testing.T) driver.Driver { return openMemory(t) })
}

func TestStoresFile(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return openFile(t) })
}

func BenchmarkFile(b *testing.B) {
	drivertest.Benchmark(b, func(b *testing.B) driver.Driver {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
