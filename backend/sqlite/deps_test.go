package sqlite_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreHasNoDatabase checks that the SDK's core packages pull in no
// database driver: only backend/... may.
func TestCoreHasNoDatabase(t *testing.T) {
	core := []string{"envelope", "keystore", "identity", "share", "storageauth"}
	args := []string{"list", "-deps"}
	for _, p := range core {
		args = append(args, "github.com/sealkit/sealkit/"+p)
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, db := range []string{"modernc.org/sqlite", "modernc.org/libc", "github.com/jackc/pgx", "database/sql", "sealkit/backend"} {
			if strings.HasPrefix(dep, db) || strings.Contains(dep, "/"+db) {
				t.Errorf("a core package imports %s", dep)
			}
		}
	}
}
