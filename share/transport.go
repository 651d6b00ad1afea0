package share

import (
	"context"
	"io"
)

// Transport is how a Client reaches the server: the Service's methods with
// the acting user left to the transport (Local names it; HTTP
// authenticates the request through its *http.Client).
type Transport interface {
	PublishUser(ctx context.Context, u *User) error
	User(ctx context.Context, id string) (*User, error)
	Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error)
	Item(ctx context.Context, id string) (*Item, error)
	Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error)
	Delete(ctx context.Context, id string, ev *Event) error
	MyKey(ctx context.Context, item string) (*WrappedKey, error)
	ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error)
	Share(ctx context.Context, req *ShareRequest) error
	Received(ctx context.Context) ([]*Share, error)
	Revoke(ctx context.Context, item, recipient string, ev *Event) error
	Invite(ctx context.Context, in *Invitation) error
	Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error)
	Connection(ctx context.Context, id string) (*Connection, error)
	ShareToSpace(ctx context.Context, req *SpaceShareRequest) error
	Space(ctx context.Context, id string) (*Space, error)
	Claim(ctx context.Context, space string, record []byte) error
	CreateLink(ctx context.Context, req *LinkRequest) error
	LinkParams(ctx context.Context, id string) (*LinkParams, error)
	AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error)
	// Audit returns a page of an item's audit chain (Service.Audit).
	Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error)
}

// Local is the in-process Transport: it calls a Service directly as Actor.
// It is the reference the HTTP transport is tested against.
type Local struct {
	Service *Service
	Actor   string
}

var _ Transport = Local{}

func (l Local) PublishUser(ctx context.Context, u *User) error {
	return l.Service.PublishUser(ctx, l.Actor, u)
}
func (l Local) User(ctx context.Context, id string) (*User, error) {
	return l.Service.User(ctx, l.Actor, id)
}
func (l Local) Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error) {
	return l.Service.Upload(ctx, l.Actor, up, blob)
}
func (l Local) Item(ctx context.Context, id string) (*Item, error) {
	return l.Service.Item(ctx, l.Actor, id)
}
func (l Local) Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error) {
	return l.Service.Download(ctx, l.Actor, id, ev)
}
func (l Local) Delete(ctx context.Context, id string, ev *Event) error {
	return l.Service.Delete(ctx, l.Actor, id, ev)
}
func (l Local) MyKey(ctx context.Context, item string) (*WrappedKey, error) {
	return l.Service.MyKey(ctx, l.Actor, item)
}
func (l Local) ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error) {
	return l.Service.ItemKeys(ctx, l.Actor, item)
}
func (l Local) Share(ctx context.Context, req *ShareRequest) error {
	return l.Service.Share(ctx, l.Actor, req)
}
func (l Local) Received(ctx context.Context) ([]*Share, error) {
	return l.Service.Received(ctx, l.Actor)
}
func (l Local) Revoke(ctx context.Context, item, recipient string, ev *Event) error {
	return l.Service.Revoke(ctx, l.Actor, item, recipient, ev)
}
func (l Local) Invite(ctx context.Context, in *Invitation) error {
	return l.Service.Invite(ctx, l.Actor, in)
}
func (l Local) Accept(ctx context.Context, id string, req *AcceptRequest) (*Connection, error) {
	return l.Service.Accept(ctx, l.Actor, id, req)
}
func (l Local) Connection(ctx context.Context, id string) (*Connection, error) {
	return l.Service.Connection(ctx, l.Actor, id)
}
func (l Local) ShareToSpace(ctx context.Context, req *SpaceShareRequest) error {
	return l.Service.ShareToSpace(ctx, l.Actor, req)
}
func (l Local) Space(ctx context.Context, id string) (*Space, error) {
	return l.Service.Space(ctx, l.Actor, id)
}
func (l Local) Claim(ctx context.Context, space string, record []byte) error {
	return l.Service.Claim(ctx, l.Actor, space, record)
}
func (l Local) CreateLink(ctx context.Context, req *LinkRequest) error {
	return l.Service.CreateLink(ctx, l.Actor, req)
}
func (l Local) LinkParams(ctx context.Context, id string) (*LinkParams, error) {
	return l.Service.LinkParams(ctx, id)
}
func (l Local) AccessLink(ctx context.Context, id string, req *AccessRequest) (*LinkGrant, io.ReadCloser, error) {
	return l.Service.AccessLink(ctx, id, req)
}
func (l Local) Audit(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	return l.Service.Audit(ctx, l.Actor, item, after, limit)
}
