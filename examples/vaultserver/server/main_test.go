package server_test

import (
	"os"
	"testing"

	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/internal/testenv"
)

// TestMain says, in a line that shows without -v, that TestPostgres skips
// when no database is named.
func TestMain(m *testing.M) {
	if os.Getenv(postgres.DSNEnv) == "" {
		testenv.Missing("examples/vaultserver/server", "PostgreSQL",
			"set "+postgres.DSNEnv+"=postgres://user@host:port/db?sslmode=disable (.ci/run starts a throwaway cluster and sets it)")
	}
	os.Exit(m.Run())
}
