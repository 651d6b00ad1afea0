// Package pgtest gives tests a throwaway PostgreSQL schema in the database
// that SEALKIT_POSTGRES_DSN names (.ci/run starts a cluster and sets it).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DSNEnv names the environment variable with the test database's DSN; it
// is backend/postgres's DSNEnv.
const DSNEnv = "SEALKIT_POSTGRES_DSN"

// Schema creates a fresh schema in the database DSNEnv names, dropped when
// the test ends, and returns a DSN whose search_path is that schema; without
// DSNEnv it skips the test.
func Schema(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests need %s=postgres://user@host:port/db?sslmode=disable (.ci/run starts a throwaway cluster and sets it)", DSNEnv)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", DSNEnv, err)
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
