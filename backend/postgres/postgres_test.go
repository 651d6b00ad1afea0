package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/driver/drivertest"
	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/internal/pgtest"
)

// openTest opens a fresh schema in the database named by
// SEALKIT_POSTGRES_DSN, dropped when the test ends, or skips.
func openTest(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), testSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testSchema is a fresh schema's DSN for one test, or skips.
func testSchema(t testing.TB) string {
	t.Helper()
	if postgres.DSNEnv != pgtest.DSNEnv {
		t.Fatalf("postgres.DSNEnv %q, the test helper reads %q", postgres.DSNEnv, pgtest.DSNEnv)
	}
	return pgtest.Schema(t)
}

func TestStores(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return openTest(t) })
}

// TestClosedDatabase checks that every method of a closed pool fails with
// an error that names the backend (Atomic's did not).
func TestClosedDatabase(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.Create(ctx, driver.Record{Kind: "k", ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutBlob(ctx, "b", strings.NewReader("blob")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	drivertest.RunBroken(t, db, "postgres: ")
}

func BenchmarkPostgres(b *testing.B) {
	drivertest.Benchmark(b, func(b *testing.B) driver.Driver { return openTest(b) })
}
