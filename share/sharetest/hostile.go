package sharetest

import (
	"context"
	"fmt"
	"io"

	"github.com/sealkit/sealkit/share"
)

// Hostile is a lying server for tests of share.Client: a share.Transport
// that passes every call to the honest Transport it wraps, letting Request
// rewrite or refuse what the client sends and Response rewrite what it
// gets back. A client that is safe against a malicious server refuses, with
// a typed error, every lie that matters (see share's SPEC.md §11).
//
//	h := &sharetest.Hostile{Transport: share.Local{Service: svc, Actor: "alice"}}
//	h.Response = func(op string, res any) (any, error) {
//		if u, ok := res.(*share.User); ok && op == "User" && u.ID == "bob" {
//			u.Keys = malloryKeys // the server's own key for bob
//		}
//		return res, nil
//	}
//	alice.Transport = h
//
// Hooks run on the caller's goroutine and may run concurrently; they must
// synchronise what they share.
type Hostile struct {
	share.Transport // the honest server, as the acting user

	// Request, if set, sees each call before the honest server does: op is
	// the Transport method's name and args its arguments after the context,
	// strings and numbers by pointer, so that the hook may change any of
	// them in place. An error is the call's answer.
	Request func(op string, args ...any) error
	// Response, if set, sees each successful call's result (the first
	// result of Items, the grant of AccessLink, the payload reader of
	// Download and AccessLink as "Download.payload"/"AccessLink.payload")
	// and returns what the client gets instead, of the same type, or an
	// error.
	Response func(op string, result any) (any, error)
}

var _ share.Transport = (*Hostile)(nil)

func (h *Hostile) request(op string, args ...any) error {
	if h.Request == nil {
		return nil
	}
	return h.Request(op, args...)
}

// respond passes a result through h.Response.
func respond[T any](h *Hostile, op string, v T, err error) (T, error) {
	if err != nil || h.Response == nil {
		return v, err
	}
	var zero T
	r, err := h.Response(op, v)
	if err != nil || r == nil {
		return zero, err
	}
	t, ok := r.(T)
	if !ok {
		return zero, fmt.Errorf("sharetest: the Response hook answered %s with a %T, not a %T", op, r, v)
	}
	return t, nil
}

// PublishUser implements share.Transport.
func (h *Hostile) PublishUser(ctx context.Context, u *share.User) error {
	if err := h.request("PublishUser", u); err != nil {
		return err
	}
	return h.Transport.PublishUser(ctx, u)
}

// User implements share.Transport.
func (h *Hostile) User(ctx context.Context, id string) (*share.User, error) {
	if err := h.request("User", &id); err != nil {
		return nil, err
	}
	u, err := h.Transport.User(ctx, id)
	return respond(h, "User", u, err)
}

// Upload implements share.Transport.
func (h *Hostile) Upload(ctx context.Context, up *share.Upload, blob io.Reader) (*share.Item, error) {
	if err := h.request("Upload", up, &blob); err != nil {
		return nil, err
	}
	it, err := h.Transport.Upload(ctx, up, blob)
	return respond(h, "Upload", it, err)
}

// Item implements share.Transport.
func (h *Hostile) Item(ctx context.Context, id string) (*share.Item, error) {
	if err := h.request("Item", &id); err != nil {
		return nil, err
	}
	it, err := h.Transport.Item(ctx, id)
	return respond(h, "Item", it, err)
}

// PutManifest implements share.Transport.
func (h *Hostile) PutManifest(ctx context.Context, item string, manifest []byte) error {
	if err := h.request("PutManifest", &item, &manifest); err != nil {
		return err
	}
	return h.Transport.PutManifest(ctx, item, manifest)
}

// Download implements share.Transport.
func (h *Hostile) Download(ctx context.Context, id string, ev *share.Event) (io.ReadCloser, error) {
	if err := h.request("Download", &id, ev); err != nil {
		return nil, err
	}
	rc, err := h.Transport.Download(ctx, id, ev)
	if err != nil {
		return nil, err
	}
	out, err := respond(h, "Download.payload", rc, nil)
	if err != nil {
		rc.Close()
	}
	return out, err
}

// Delete implements share.Transport.
func (h *Hostile) Delete(ctx context.Context, id string, ev *share.Event) error {
	if err := h.request("Delete", &id, ev); err != nil {
		return err
	}
	return h.Transport.Delete(ctx, id, ev)
}

// MyKey implements share.Transport.
func (h *Hostile) MyKey(ctx context.Context, item string) (*share.WrappedKey, error) {
	if err := h.request("MyKey", &item); err != nil {
		return nil, err
	}
	k, err := h.Transport.MyKey(ctx, item)
	return respond(h, "MyKey", k, err)
}

// ItemKeys implements share.Transport.
func (h *Hostile) ItemKeys(ctx context.Context, item string) ([]*share.WrappedKey, error) {
	if err := h.request("ItemKeys", &item); err != nil {
		return nil, err
	}
	ks, err := h.Transport.ItemKeys(ctx, item)
	return respond(h, "ItemKeys", ks, err)
}

// Audit implements share.Transport.
func (h *Hostile) Audit(ctx context.Context, item string, after uint64, limit int) ([]*share.AuditEntry, error) {
	if err := h.request("Audit", &item, &after, &limit); err != nil {
		return nil, err
	}
	es, err := h.Transport.Audit(ctx, item, after, limit)
	return respond(h, "Audit", es, err)
}

// Items implements share.Transport.
func (h *Hostile) Items(ctx context.Context, sort share.ItemSort, after string, limit int) ([]*share.Item, string, error) {
	if err := h.request("Items", &sort, &after, &limit); err != nil {
		return nil, "", err
	}
	items, next, err := h.Transport.Items(ctx, sort, after, limit)
	items, err = respond(h, "Items", items, err)
	return items, next, err
}

// Usage implements share.Transport.
func (h *Hostile) Usage(ctx context.Context) (used, limit share.Usage, err error) {
	if err := h.request("Usage"); err != nil {
		return share.Usage{}, share.Usage{}, err
	}
	return h.Transport.Usage(ctx)
}

// Share implements share.Transport.
func (h *Hostile) Share(ctx context.Context, req *share.ShareRequest) error {
	if err := h.request("Share", req); err != nil {
		return err
	}
	return h.Transport.Share(ctx, req)
}

// Received implements share.Transport.
func (h *Hostile) Received(ctx context.Context) ([]*share.Share, error) {
	if err := h.request("Received"); err != nil {
		return nil, err
	}
	shs, err := h.Transport.Received(ctx)
	return respond(h, "Received", shs, err)
}

// Revoke implements share.Transport.
func (h *Hostile) Revoke(ctx context.Context, item, recipient string, ev *share.Event, manifest []byte) error {
	if err := h.request("Revoke", &item, &recipient, ev, &manifest); err != nil {
		return err
	}
	return h.Transport.Revoke(ctx, item, recipient, ev, manifest)
}

// Invite implements share.Transport.
func (h *Hostile) Invite(ctx context.Context, in *share.Invitation) error {
	if err := h.request("Invite", in); err != nil {
		return err
	}
	return h.Transport.Invite(ctx, in)
}

// Accept implements share.Transport.
func (h *Hostile) Accept(ctx context.Context, id string, req *share.AcceptRequest) (*share.Connection, error) {
	if err := h.request("Accept", &id, req); err != nil {
		return nil, err
	}
	c, err := h.Transport.Accept(ctx, id, req)
	return respond(h, "Accept", c, err)
}

// Connection implements share.Transport.
func (h *Hostile) Connection(ctx context.Context, id string) (*share.Connection, error) {
	if err := h.request("Connection", &id); err != nil {
		return nil, err
	}
	c, err := h.Transport.Connection(ctx, id)
	return respond(h, "Connection", c, err)
}

// ShareToSpace implements share.Transport.
func (h *Hostile) ShareToSpace(ctx context.Context, req *share.SpaceShareRequest) error {
	if err := h.request("ShareToSpace", req); err != nil {
		return err
	}
	return h.Transport.ShareToSpace(ctx, req)
}

// Space implements share.Transport.
func (h *Hostile) Space(ctx context.Context, id string) (*share.Space, error) {
	if err := h.request("Space", &id); err != nil {
		return nil, err
	}
	sp, err := h.Transport.Space(ctx, id)
	return respond(h, "Space", sp, err)
}

// Claim implements share.Transport.
func (h *Hostile) Claim(ctx context.Context, space string, record []byte) error {
	if err := h.request("Claim", &space, &record); err != nil {
		return err
	}
	return h.Transport.Claim(ctx, space, record)
}

// CreateLink implements share.Transport.
func (h *Hostile) CreateLink(ctx context.Context, req *share.LinkRequest) error {
	if err := h.request("CreateLink", req); err != nil {
		return err
	}
	return h.Transport.CreateLink(ctx, req)
}

// LinkParams implements share.Transport.
func (h *Hostile) LinkParams(ctx context.Context, id string) (*share.LinkParams, error) {
	if err := h.request("LinkParams", &id); err != nil {
		return nil, err
	}
	p, err := h.Transport.LinkParams(ctx, id)
	return respond(h, "LinkParams", p, err)
}

// AccessLink implements share.Transport.
func (h *Hostile) AccessLink(ctx context.Context, id string, req *share.AccessRequest) (*share.LinkGrant, io.ReadCloser, error) {
	if err := h.request("AccessLink", &id, req); err != nil {
		return nil, nil, err
	}
	g, rc, err := h.Transport.AccessLink(ctx, id, req)
	if g, err = respond(h, "AccessLink", g, err); err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, nil, err
	}
	out, err := respond(h, "AccessLink.payload", rc, nil)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return g, out, nil
}
