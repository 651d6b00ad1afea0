// Package adapt maps each public store interface of sealkit (keystore,
// identity, storageauth, share) onto the backends' one record model, so the
// SQLite and PostgreSQL backends share every adapter and differ only in
// their SQL.
package adapt

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
