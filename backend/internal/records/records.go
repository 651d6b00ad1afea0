// Package records is the code the SQL backends share under the driver
// interface (package driver): blobs written as generations of chunks, the
// reader over them, and the stored forms of a record's fields.
package records

import (
	"context"
	"errors"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
)

// ExpiresNanos is the stored form of an expiry: Unix nanoseconds, 0 for
// never.
func ExpiresNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ExpiresFrom is the inverse of ExpiresNanos.
func ExpiresFrom(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Body is what a backend stores for b: an empty body as empty bytes, never
// NULL.
func Body(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Passthrough reports whether a backend returns err as it is: the store's
// sentinels and the context's errors, which callers test with errors.Is.
// Anything else a backend wraps with its name and the operation.
func Passthrough(err error) bool {
	return errors.Is(err, driver.ErrNotFound) || errors.Is(err, driver.ErrExists) || errors.Is(err, driver.ErrConflict) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
