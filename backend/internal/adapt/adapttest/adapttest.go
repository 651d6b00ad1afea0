// Package adapttest runs the record-model checks and every public store
// conformance suite (keystoretest, identitytest, storageauthtest,
// sharetest) against one backend, so each backend's test is one call.
package adapttest

import (
	"testing"

	"github.com/sealkit/sealkit/backend/internal/adapt"
	"github.com/sealkit/sealkit/backend/internal/records/recordstest"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/identity/identitytest"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/keystore/keystoretest"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/share/sharetest"
	"github.com/sealkit/sealkit/storageauth"
	"github.com/sealkit/sealkit/storageauth/storageauthtest"
)

// Run runs every suite on fresh backends made by open.
func Run(t *testing.T, open func(t *testing.T) recordstest.Backend) {
	t.Run("records", func(t *testing.T) { recordstest.Run(t, open) })
	t.Run("keystore", func(t *testing.T) {
		keystoretest.Run(t, func(t *testing.T) keystore.Store { return adapt.Keystore(open(t)) })
	})
	t.Run("storageauth", func(t *testing.T) {
		storageauthtest.Run(t, func(t *testing.T) storageauth.Store { return adapt.StorageAuth(open(t)) })
	})
	t.Run("identity/registry", func(t *testing.T) {
		identitytest.RunKeyRegistry(t, func(t *testing.T) identity.KeyRegistry { return adapt.KeyRegistry(open(t)) })
	})
	t.Run("identity/replay", func(t *testing.T) {
		identitytest.RunReplayStore(t, func(t *testing.T) identity.ReplayStore { return adapt.ReplayStore(open(t)) })
	})
	t.Run("share", func(t *testing.T) {
		sharetest.Run(t, func(t *testing.T) share.Stores { return adapt.Share(open(t)) })
	})
	t.Run("share/blobs", func(t *testing.T) {
		sharetest.RunBlobs(t, func(t *testing.T) share.BlobStore { return adapt.Blobs(open(t)) })
	})
}
