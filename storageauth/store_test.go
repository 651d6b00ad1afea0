package storageauth_test

import (
	"testing"

	"github.com/sealkit/sealkit/storageauth"
	"github.com/sealkit/sealkit/storageauth/storageauthtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storageauthtest.Run(t, func(*testing.T) storageauth.Store { return storageauth.NewMemoryStore() })
}

// The zero MemoryStore is usable.
func TestMemoryStoreZeroValue(t *testing.T) {
	storageauthtest.Run(t, func(*testing.T) storageauth.Store { return new(storageauth.MemoryStore) })
}
