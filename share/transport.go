package share

import (
	"context"
	"io"

	"github.com/sealkit/sealkit/internal/httpwire"
)

// Directory publishes and looks up users and their public keys.
type Directory interface {
	// PublishUser stores the acting user's record ([Service.PublishUser]).
	PublishUser(ctx context.Context, u *User) error
	// User returns a user's published record ([Service.User]).
	User(ctx context.Context, id string) (*User, error)
}

// Items stores, reads and deletes items, their wrapped keys and their
// audit chains.
type Items interface {
	// Upload stores an item version and its blob ([Service.Upload]).
	Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error)
	// Item returns an item record ([Service.Item]).
	Item(ctx context.Context, id string) (*Item, error)
	// Download returns an item's payload ([Service.Download]).
	Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error)
	// DownloadRange returns at most n bytes of an item's payload from off
	// and where they lie ([Service.DownloadRange]).
	DownloadRange(ctx context.Context, id string, off, n int64, ev *Event) (io.ReadCloser, Span, error)
	// PutManifest attaches the owner's signed manifest to an item's current
	// version ([Service.PutManifest]).
	PutManifest(ctx context.Context, item string, manifest []byte) error
	// Delete removes an item ([Service.Delete]).
	Delete(ctx context.Context, id string, ev *Event) error
	// MyKey returns the acting user's wrapped key ([Service.MyKey]).
	MyKey(ctx context.Context, item string) (*WrappedKey, error)
	// ItemKeys returns every wrapped key of an item ([Service.ItemKeys]).
	ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error)
	// Audit returns a page of an item's audit chain ([Service.Audit]).
	Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error)
	// Items returns a page of the acting user's own items and the next
	// page's cursor ([Service.Items]). A transport may return fewer than
	// limit items with a cursor: the cursor, not the count, says whether
	// more follow.
	Items(ctx context.Context, sort ItemSort, after string, limit int) (items []*Item, next string, err error)
	// Usage returns the acting user's stored usage and its limit
	// ([Service.Usage]).
	Usage(ctx context.Context) (used, limit Usage, err error)
}

// Shares grants, lists and revokes direct shares.
type Shares interface {
	// Share grants a recipient a wrapped key ([Service.Share]).
	Share(ctx context.Context, req *ShareRequest) error
	// Received lists the shares made to the acting user ([Service.Received]).
	Received(ctx context.Context) ([]*Share, error)
	// Revoke removes a recipient's access and stores the owner's next
	// manifest, if not nil ([Service.Revoke]).
	Revoke(ctx context.Context, item, recipient string, ev *Event, manifest []byte) error
}

// Connections makes connections by invitation and shares through their
// encryption spaces.
type Connections interface {
	// Invite stores an invitation ([Service.Invite]).
	Invite(ctx context.Context, in *Invitation) error
	// Accept turns an invitation into a connection ([Service.Accept]).
	Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error)
	// Connection returns a connection record ([Service.Connection]).
	Connection(ctx context.Context, id string) (*Connection, error)
	// ShareToSpace shares an item through a connection ([Service.ShareToSpace]).
	ShareToSpace(ctx context.Context, req *SpaceShareRequest) error
	// Space returns an encryption space ([Service.Space]).
	Space(ctx context.Context, id string) (*Space, error)
	// Claim stores the recipient's claim of a space ([Service.Claim]).
	Claim(ctx context.Context, space string, record []byte) error
}

// LinkOpener is what an anonymous link opener needs ([OpenLink]): no user
// acts in either call.
type LinkOpener interface {
	// LinkParams returns a link's KDF parameters ([Service.LinkParams]).
	LinkParams(ctx context.Context, id string) (*LinkParams, error)
	// AccessLink presents a link proof and returns the grant and payload
	// ([Service.AccessLink]).
	AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error)
}

// Links creates password links and opens them.
type Links interface {
	// CreateLink stores a password link ([Service.CreateLink]).
	CreateLink(ctx context.Context, req *LinkRequest) error
	LinkOpener
}

// Transport is how a [Client] reaches the server: the [Service]'s methods
// with the acting user left to the transport ([Local] names it; the HTTP
// client in share/sharehttp authenticates the request through its
// *http.Client). Functions that need less take one of the roles it embeds.
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

// PublishUser calls [Service.PublishUser] as l.Actor.
func (l Local) PublishUser(ctx context.Context, u *User) error {
	return l.Service.PublishUser(ctx, l.Actor, u)
}

// User calls [Service.User] as l.Actor.
func (l Local) User(ctx context.Context, id string) (*User, error) {
	return l.Service.User(ctx, l.Actor, id)
}

// Upload calls [Service.Upload] as l.Actor.
func (l Local) Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error) {
	return l.Service.Upload(ctx, l.Actor, up, blob)
}

// Item calls [Service.Item] as l.Actor.
func (l Local) Item(ctx context.Context, id string) (*Item, error) {
	return l.Service.Item(ctx, l.Actor, id)
}

// Download calls [Service.Download] as l.Actor.
func (l Local) Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error) {
	return l.Service.Download(ctx, l.Actor, id, ev)
}

// PutManifest calls [Service.PutManifest] as l.Actor.
func (l Local) PutManifest(ctx context.Context, item string, manifest []byte) error {
	return l.Service.PutManifest(ctx, l.Actor, item, manifest)
}

// Delete calls [Service.Delete] as l.Actor.
func (l Local) Delete(ctx context.Context, id string, ev *Event) error {
	return l.Service.Delete(ctx, l.Actor, id, ev)
}

// MyKey calls [Service.MyKey] as l.Actor.
func (l Local) MyKey(ctx context.Context, item string) (*WrappedKey, error) {
	return l.Service.MyKey(ctx, l.Actor, item)
}

// ItemKeys calls [Service.ItemKeys] as l.Actor.
func (l Local) ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error) {
	return l.Service.ItemKeys(ctx, l.Actor, item)
}

// Audit calls [Service.Audit] as l.Actor.
func (l Local) Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	return l.Service.Audit(ctx, l.Actor, item, after, limit)
}

// Items calls [Service.Items] as l.Actor.
func (l Local) Items(ctx context.Context, sort ItemSort, after string, limit int) ([]*Item, string, error) {
	return l.Service.Items(ctx, l.Actor, sort, after, limit)
}

// Usage calls [Service.Usage] as l.Actor.
func (l Local) Usage(ctx context.Context) (used, limit Usage, err error) {
	return l.Service.Usage(ctx, l.Actor)
}

// Share calls [Service.Share] as l.Actor.
func (l Local) Share(ctx context.Context, req *ShareRequest) error {
	return l.Service.Share(ctx, l.Actor, req)
}

// Received calls [Service.Received] as l.Actor.
func (l Local) Received(ctx context.Context) ([]*Share, error) {
	return l.Service.Received(ctx, l.Actor)
}

// Revoke calls [Service.Revoke] as l.Actor.
func (l Local) Revoke(ctx context.Context, item, recipient string, ev *Event, manifest []byte) error {
	return l.Service.Revoke(ctx, l.Actor, item, recipient, ev, manifest)
}

// Invite calls [Service.Invite] as l.Actor.
func (l Local) Invite(ctx context.Context, in *Invitation) error {
	return l.Service.Invite(ctx, l.Actor, in)
}

// Accept calls [Service.Accept] as l.Actor.
func (l Local) Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error) {
	return l.Service.Accept(ctx, l.Actor, id, req)
}

// Connection calls [Service.Connection] as l.Actor.
func (l Local) Connection(ctx context.Context, id string) (*Connection, error) {
	return l.Service.Connection(ctx, l.Actor, id)
}

// ShareToSpace calls [Service.ShareToSpace] as l.Actor.
func (l Local) ShareToSpace(ctx context.Context, req *SpaceShareRequest) error {
	return l.Service.ShareToSpace(ctx, l.Actor, req)
}

// Space calls [Service.Space] as l.Actor.
func (l Local) Space(ctx context.Context, id string) (*Space, error) {
	return l.Service.Space(ctx, l.Actor, id)
}

// Claim calls [Service.Claim] as l.Actor.
func (l Local) Claim(ctx context.Context, space string, record []byte) error {
	return l.Service.Claim(ctx, l.Actor, space, record)
}

// CreateLink calls [Service.CreateLink] as l.Actor.
func (l Local) CreateLink(ctx context.Context, req *LinkRequest) error {
	return l.Service.CreateLink(ctx, l.Actor, req)
}

// LinkParams calls [Service.LinkParams]; no user acts.
func (l Local) LinkParams(ctx context.Context, id string) (*LinkParams, error) {
	return l.Service.LinkParams(ctx, id)
}

// AccessLink calls [Service.AccessLink]; no user acts.
func (l Local) AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error) {
	return l.Service.AccessLink(ctx, id, req)
}
