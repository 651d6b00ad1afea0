package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/driver/drivertest"
	"github.com/sealkit/sealkit/backend/postgres"
)

// openTest opens a fresh schema in the database named by
// SEALKIT_POSTGRES_DSN, dropped when the test ends, or skips.
func openTest(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), testSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// testSchema creates a fresh schema in the database named by
// SEALKIT_POSTGRES_DSN, dropped when the test ends, and returns a DSN that
// uses it; or skips.
func testSchema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgres.DSNEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests need %s=postgres://user@host:port/db?sslmode=disable (.ci/run starts a throwaway cluster and sets it)", postgres.DSNEnv)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", postgres.DSNEnv, err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "sealkit_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal("unparsable DSN")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStores(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return openTest(t) })
}

func BenchmarkPostgres(b *testing.B) {
	drivertest.Benchmark(b, func(b *testing.B) driver.Driver { return openTest(b) })
}
