package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/backend/postgres"
)

// TestOpenUnreachable needs no database: the error of a database that
// cannot be reached names the backend, like every other error it returns,
// and never echoes the DSN's password.
func TestOpenUnreachable(t *testing.T) {
	const password = "hunter2-secret"
	// Port 1 on loopback: nothing listens there, so the connection is refused.
	db, err := postgres.Open(context.Background(), "postgres://user:"+password+"@127.0.0.1:1/db?sslmode=disable&connect_timeout=5")
	if err == nil {
		db.Close()
		t.Fatal("Open of an unreachable database succeeded")
	}
	if !strings.HasPrefix(err.Error(), "postgres: ") {
		t.Errorf("Open of an unreachable database: %q does not name the backend", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("Open's error echoes the password: %q", err)
	}
}
