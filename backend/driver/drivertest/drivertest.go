// Package drivertest checks a record driver (package driver) against the
// semantics package backend relies on, and then runs every public store
// conformance suite (keystoretest, identitytest, storageauthtest, sharetest)
// on the stores backend maps onto it, so a backend's test is one call.
package drivertest

import (
	"testing"

	"github.com/sealkit/sealkit/backend"
	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/identity/identitytest"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/keystore/keystoretest"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
	"github.com/sealkit/sealkit/storageauth"
	"github.com/sealkit/sealkit/storageauth/storageauthtest"
)

// Run runs every suite on fresh, empty drivers made by open.
func Run(t *testing.T, open func(t *testing.T) driver.Driver) {
	t.Run("driver", func(t *testing.T) { RunDriver(t, open) })
	t.Run("keystore", func(t *testing.T) {
		keystoretest.Run(t, func(t *testing.T) keystore.Store { return backend.Keystore(open(t)) })
	})
	t.Run("storageauth", func(t *testing.T) {
		storageauthtest.Run(t, func(t *testing.T) storageauth.Store { return backend.StorageAuth(open(t)) })
	})
	t.Run("identity/registry", func(t *testing.T) {
		identitytest.RunKeyRegistry(t, func(t *testing.T) identity.KeyRegistry { return backend.KeyRegistry(open(t)) })
	})
	t.Run("identity/replay", func(t *testing.T) {
		identitytest.RunReplayStore(t, func(t *testing.T) identity.ReplayStore { return backend.ReplayStore(open(t)) })
	})
	t.Run("share", func(t *testing.T) {
		sharetest.Run(t, func(t *testing.T) share.Stores { return backend.Share(open(t)) })
	})
	t.Run("share/blobs", func(t *testing.T) {
		sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore { return backend.Blobs(open(t)) })
	})
}
