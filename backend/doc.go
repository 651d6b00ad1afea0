// Package backend maps every store interface of sealkit (keystore,
// identity, storageauth, share) onto one record driver (package driver), so
// the SQLite and PostgreSQL backends, and any third-party backend, implement
// a dozen driver methods and share every adapter.
//
// [New] returns every store over a driver; [Stores.Atomic] runs writes to
// all of them (a registration's keystore, identity and share records) in one
// transaction of the driver. Backends call [Migrate] when they open a
// database.
package backend

import (
	"fmt"
	"strings"
)

// compositeID joins parts into one record ID that no other tuple of parts
// produces: each part is length-prefixed.
func compositeID(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%d:%s/", len(p), p)
	}
	return b.String()
}
