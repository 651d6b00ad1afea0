package backend_test

import (
	"testing"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/driver/drivertest"
)

// TestMemoryDriver runs the conformance suite of drivers, and every store
// suite over backend.New, on the example's in-memory driver: the whole
// test of a third-party backend is this one call.
func TestMemoryDriver(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return newMemDriver() })
}
