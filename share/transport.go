package share

import "github.com/sealkit/sealkit/internal/httpwire"

// Transport is how a [Client] reaches the server: the [Service]'s methods
// with the acting user left to the transport ([Local] names it; the HTTP
// client in share/sharehttp authenticates the request through its
// *http.Client). Functions that need less take one of the roles it embeds.
//
// Each role is declared beside the Service methods it names, and each of
// Local's forwarders beside its method, so that adding an operation
// touches the service's file, the route table in share/sharehttp and
// [Client].
type Transport interface {
	Directory
	Items
	Shares
	Connections
	Links
}

// HTTPError is an error answer of share's HTTP API as the client in
// share/sharehttp returns it: the status, the wire code, and the sentinel
// the code names (nil for a code share does not know, such as a server's
// own), which errors.Is matches. It is storageauth.ServerError, the one
// client error type of sealkit's HTTP APIs, defined in an internal package;
// its fields and methods are:
//
//	type HTTPError struct {
//		Package string // the package that answered, for the message
//		Status  int    // the HTTP status
//		Code    string // the wire code, as in {"error": code}; "" if the body had none
//		Err     error  // the sentinel Code names; nil for a code share does not know
//	}
//
//	func (e *HTTPError) Error() string // the sentinel's text, with the status and code
//	func (e *HTTPError) Unwrap() error // Err
type HTTPError = httpwire.Error

// Local is the in-process [Transport]: it calls a [Service] directly as
// Actor. It is the reference the HTTP transport is tested against.
type Local struct {
	Service *Service
	Actor   string
}

var _ Transport = Local{}
