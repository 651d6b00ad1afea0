// Package storeerr holds the small, stable set of storage error codes that
// every sealkit store speaks (in the spirit of go-cloud's gcerrors). Each
// public package re-exports them under its own name (keystore.ErrNotFound,
// share.ErrNotFound, …) so that one backend error satisfies errors.Is for
// every package's sentinel, and third-party backends only import the public
// package they implement.
package storeerr

import "errors"

var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("sealkit: not found")
	// ErrExists: a create-only put found a record already there.
	ErrExists = errors.New("sealkit: already exists")
	// ErrConflict: a compare-and-swap found a different version than expected
	// (a lost race or a stale write); re-read and retry.
	ErrConflict = errors.New("sealkit: version conflict")
	// ErrPermission: the acting identity may not do this.
	ErrPermission = errors.New("sealkit: permission denied")
)
