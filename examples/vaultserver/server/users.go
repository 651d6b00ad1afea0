package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/sealkit/sealkit/keystore"
)

// DefaultMaxUsers caps the accounts of a server when Config.MaxUsers is 0.
// With DefaultQuota each, that bounds charged storage at about 10 TiB.
const DefaultMaxUsers = 10_000

// CodeUserLimit answers a registration once the server holds
// Config.MaxUsers accounts (403).
const CodeUserLimit = "user_limit"

var errUserLimit = &apiError{http.StatusForbidden, CodeUserLimit}

// The account count is kept beside the slot count (slots.go), under the
// owner no user can have, so that it survives restarts and is shared by
// every process over one database. It counts accounts registered since it
// was introduced, and only grows: accounts are never deleted.
const (
	idUserCount = "vault/users"
	// userCountTries bounds compare-and-swap retries against other
	// processes (this one serialises its own updates).
	userCountTries = 8
)

func (s *Server) maxUsers() int64 {
	if s.cfg.MaxUsers > 0 {
		return int64(s.cfg.MaxUsers)
	}
	return DefaultMaxUsers
}

// addUser adds one to the account count, or fails with errUserLimit at
// MaxUsers. Registration calls it once the account record is created, so
// a name already taken costs no count.
func (s *Server) addUser(ctx context.Context) error {
	s.userMu.Lock()
	defer s.userMu.Unlock()
	recs := s.cfg.Stores.Records
	for range userCountTries {
		e, err := recs.Get(ctx, slotCountOwner, idUserCount)
		var n int64
		switch {
		case errors.Is(err, keystore.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.ParseInt(string(e.Data), 10, 64); err != nil || n < 0 {
				return errors.New("vault: account count record is damaged")
			}
		}
		if n >= s.maxUsers() {
			return errUserLimit
		}
		next := []byte(strconv.FormatInt(n+1, 10))
		if e.Version == 0 {
			_, err = recs.Put(ctx, slotCountOwner, idUserCount, next)
		} else {
			_, err = recs.Update(ctx, slotCountOwner, idUserCount, e.Version, next)
		}
		if !errors.Is(err, keystore.ErrExists) && !errors.Is(err, keystore.ErrConflict) {
			return err
		}
	}
	return errRateLimited // busy: other processes are registering
}
