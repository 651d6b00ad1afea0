package server

import (
	"context"
	"errors"
	"net/http"
)

// DefaultMaxUsers caps the accounts of a server when Config.MaxUsers is 0.
// With DefaultQuota each, that bounds charged storage at about 10 TiB.
const DefaultMaxUsers = 10_000

// CodeUserLimit answers a registration once the server holds
// Config.MaxUsers accounts (403).
const CodeUserLimit = "user_limit"

var errUserLimit = &apiError{http.StatusForbidden, CodeUserLimit}

// The account count is a durable counter (counter.go) shared by every
// server process over one database. It counts accounts registered since it
// was introduced, and only grows: accounts are never deleted.
const idUserCount = "vault/users"

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
	err := s.userCount.add(ctx, s.cfg.Stores.Records, s.maxUsers(), errUserLimit)
	if errors.Is(err, errCounterBusy) {
		return errRateLimited // other processes are registering
	}
	return err
}
