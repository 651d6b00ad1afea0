package keylog_test

import (
	"testing"

	"github.com/sealkit/sealkit/keylog"
	"github.com/sealkit/sealkit/keylog/keylogtest"
)

func TestMemStore(t *testing.T) {
	keylogtest.TestStore(t, func(*testing.T) keylog.Store { return &keylog.MemStore{} })
}
