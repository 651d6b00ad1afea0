package keystore_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/keystore/keystoretest"
)

func TestMemoryStore(t *testing.T) {
	keystoretest.Run(t, func(t *testing.T) keystore.Store { return keystore.NewMemoryStore() })
}

func TestMemoryStoreZeroValue(t *testing.T) {
	keystoretest.Run(t, func(t *testing.T) keystore.Store { return &keystore.MemoryStore{} })
}

// lossyStore ignores the expected version (last write wins): the suite must
// fail it, or it proves nothing about compare-and-swap.
type lossyStore struct{ *keystore.MemoryStore }

func (s lossyStore) Update(ctx context.Context, owner, id string, _ uint64, data []byte) (uint64, error) {
	e, err := s.Get(ctx, owner, id)
	if err != nil {
		return 0, err
	}
	return s.MemoryStore.Update(ctx, owner, id, e.Version, data)
}

const lossyEnv = "KEYSTORE_TEST_LOSSY_STORE"

// TestSuiteFailsLossyStore runs the suite against lossyStore in a child
// process and expects it to fail.
func TestSuiteFailsLossyStore(t *testing.T) {
	if os.Getenv(lossyEnv) == "1" {
		keystoretest.Run(t, func(t *testing.T) keystore.Store { return lossyStore{keystore.NewMemoryStore()} })
		return
	}
	if testing.Short() {
		t.Skip("spawns a child test process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteFailsLossyStore$", "-test.count=1")
	cmd.Env = append(os.Environ(), lossyEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a store that loses updates:\n%s", out)
	}
	if !strings.Contains(string(out), "UpdateCAS") {
		t.Fatalf("the suite failed, but not on UpdateCAS:\n%s", out)
	}
}
