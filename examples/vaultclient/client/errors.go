package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/share"
)

// IsStatus reports whether err is an *account.HTTPError (an answer of the
// account routes) with that status.
func IsStatus(err error, status int) bool {
	e, ok := errors.AsType[*account.HTTPError](err)
	return ok && e.Status == status
}

// UnknownRecipientsError is returned by Upload, before anything is sent,
// when some recipients cannot be shared with: not registered, without a
// usable published key, or malformed names.
type UnknownRecipientsError struct {
	Users []string // in the order given
}

func (e *UnknownRecipientsError) Error() string {
	return "vault: unknown recipients: " + strings.Join(e.Users, ", ")
}

// ShareError is returned by Upload when the file was stored (Item) but
// sharing it with some recipients failed: Shared got it, Failed did not,
// Errs[i] being why Failed[i] did not.
type ShareError struct {
	Item   *share.Item
	Shared []string
	Failed []string
	Errs   []error
}

func (e *ShareError) Error() string {
	why := make([]string, len(e.Failed))
	for i, u := range e.Failed {
		why[i] = fmt.Sprintf("%s: %v", u, e.Errs[i])
	}
	return fmt.Sprintf("vault: stored %s but could not share it with %s", e.Item.ID, strings.Join(why, "; "))
}

// Unwrap returns the share errors, for errors.Is and errors.As.
func (e *ShareError) Unwrap() []error { return e.Errs }
