package sharehttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sealkit/sealkit/share"
)

// Each operation below is its route entry, the serve function the Handler
// runs for it, and the Client method that calls it.

// table is share's HTTP API; Routes returns a copy.
var table = []*Route{
	publishUser, user,
	upload, listItems, usage, item, download, deleteItem, myKey, itemKeys, revoke, audit, putManifest,
	shareItem, received,
	invite, accept, connection, shareToSpace, space, claim,
	createLink, linkParams, accessLink,
}

// keysPerItem is share's cap on the wrapped keys of one item version, the
// most an item's key list may hold.
const keysPerItem = 1024

// RevokeRequest is the body of the revoke route.
type RevokeRequest struct {
	Recipient string       `json:"recipient"`          // the user whose access is revoked
	Event     *share.Event `json:"event"`              // the owner's signed revoke event
	Manifest  []byte       `json:"manifest,omitempty"` // the owner's next manifest of the item, optional
}

// Validate checks the shape before the Service sees it: an event and a
// valid recipient ID.
func (r *RevokeRequest) Validate() error {
	if r.Event == nil {
		return invalid("revoke without event")
	}
	if !share.ValidID(r.Recipient) {
		return invalid("revoke recipient ID")
	}
	return nil
}

// ManifestRequest is the body of the putManifest route: the owner's signed
// manifest ([share.Manifest.Bytes]).
type ManifestRequest struct {
	Manifest []byte `json:"manifest"`
}

// ClaimRequest is the body of the claim route: the space key wrapped for
// the recipient.
type ClaimRequest struct {
	Record []byte `json:"record"`
}

// Directory.

var publishUser = &Route{Name: "publishUser", Method: "POST", Path: "/v1/users", Auth: AuthSigned,
	Request: Body{JSON, "User"}, Response: Body{JSON, "Empty"}, Status: http.StatusCreated, serve: servePublishUser}

func servePublishUser(c *call) error {
	u, err := readJSON[share.User](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.PublishUser(c.ctx(), c.actor, u))
}

// PublishUser calls the publishUser route.
func (c *Client) PublishUser(ctx context.Context, u *share.User) error {
	_, err := send(ctx, c, publishUser, u, empty)
	return err
}

var user = &Route{Name: "user", Method: "GET", Path: "/v1/users/{id}", Auth: AuthSigned,
	Response: Body{JSON, "User"}, Status: http.StatusOK, serve: serveUser}

func serveUser(c *call) error { return c.reply(c.svc.User(c.ctx(), c.actor, c.id())) }

// User calls the user route.
func (c *Client) User(ctx context.Context, id string) (*share.User, error) {
	return send(ctx, c, user, nil, record(share.MaxSmallRecord, share.DecodeUser), id)
}

// Items.

var upload = &Route{Name: "upload", Method: "POST", Path: "/v1/items", Auth: AuthSigned,
	Request: Body{Frame, "Upload"}, Response: Body{JSON, "Item"}, Status: http.StatusCreated, serve: serveUpload}

// serveUpload declares the payload's size to the Service when the request
// has a Content-Length (less the frame head), so that admission and the
// quota see it before any payload byte is stored; a body that ends early or
// runs on is invalid.
func serveUpload(c *call) error {
	f, err := ReadUploadFrame(c.r.Body)
	if err != nil {
		return err
	}
	var payload io.Reader = c.r.Body
	if n := c.r.ContentLength; n >= 0 {
		if n < f.Len() {
			return invalid("upload body shorter than its frame")
		}
		payload = &share.SizedPayload{R: c.r.Body, N: n - f.Len()}
	}
	return c.reply(c.svc.Upload(c.ctx(), c.actor, f.Upload, payload))
}

// Upload calls the upload route: the frame head, then blob. A blob whose
// size is known (a [share.SizedPayload], or a reader with a Len method such
// as bytes.Reader) is sent with a Content-Length, so that the server's
// admission and quota see its size before it is stored.
func (c *Client) Upload(ctx context.Context, up *share.Upload, blob io.Reader) (*share.Item, error) {
	head, err := EncodeUploadFrame(up)
	if err != nil {
		return nil, err
	}
	n := int64(-1)
	switch b := blob.(type) {
	case *share.SizedPayload:
		if b.N >= 0 {
			n = int64(len(head)) + b.N
		}
	case interface{ Len() int }:
		n = int64(len(head)) + int64(b.Len())
	}
	rc, err := c.doSized(ctx, upload, nil, io.MultiReader(bytes.NewReader(head), blob), n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, share.MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	return share.DecodeItem(b)
}

// ItemPage is the answer of the listItems route: a page of the user's own
// items and the cursor of the next page ("" once the listing is done).
type ItemPage struct {
	Items []*share.Item `json:"items"`
	Next  string        `json:"next"`
}

// UsageReport is the answer of the usage route.
type UsageReport struct {
	Used  share.Usage `json:"used"`  // what the user's items are charged now
	Limit share.Usage `json:"limit"` // a zero field is no limit
	// MaxBlobSize is the largest payload an upload may carry
	// (Service.MaxBlobSize), for a client to refuse a larger file before
	// it reads or sends any of it. 0 means unknown.
	MaxBlobSize int64 `json:"max_blob_size,omitempty"`
}

// The listing's defaults and caps: a page holds at most ListPageSize
// items and, past its first item, at most maxPageBody bytes of them (an
// item record may be MaxRecordSize), so that a page costs neither side
// more than a few MiB.
const (
	ListPageSize = 100
	maxPageBody  = 8 << 20
)

var listItems = &Route{Name: "listItems", Method: "GET", Path: "/v1/items", Query: []string{"sort", "after", "limit"},
	Auth: AuthSigned, Response: Body{JSON, "ItemPage"}, Status: http.StatusOK, serve: serveListItems}

// serveListItems reads the query: sort ("created", "size" or "id"; default
// created), after (a cursor of an earlier page) and limit (1 to
// ListPageSize, default ListPageSize). It stops a page early at
// maxPageBody bytes, with the cursor of its last item.
func serveListItems(c *call) error {
	q := c.r.URL.Query()
	sort := share.SortByCreated
	if v := q.Get("sort"); v != "" {
		var err error
		if sort, err = share.ParseItemSort(v); err != nil {
			return err
		}
	}
	limit := ListPageSize
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > ListPageSize {
			return invalid("listing page limit")
		}
	}
	items, next, err := c.svc.Items(c.ctx(), c.actor, sort, q.Get("after"), limit)
	if err != nil {
		return err
	}
	size := 0
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if size += len(b) + 1; i > 0 && size > maxPageBody {
			items, next = items[:i], sort.Cursor(items[i-1])
			break
		}
	}
	return c.reply(&ItemPage{Items: nonNil(items), Next: next}, nil)
}

// Items calls the listItems route. Its page may hold fewer than limit
// items and still have a next cursor.
func (c *Client) Items(ctx context.Context, sort share.ItemSort, after string, limit int) ([]*share.Item, string, error) {
	if limit < 1 || limit > ListPageSize {
		return nil, "", invalid("listing page limit")
	}
	q := url.Values{"sort": {sort.String()}, "limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	dec := decoder[*ItemPage]{maxPageBody + share.MaxRecordSize + 1<<10, func(b []byte) (*ItemPage, error) {
		var raw struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next"`
		}
		if err := wire.DecodeJSON(b, maxPageBody+share.MaxRecordSize+1<<10, &raw); err != nil {
			return nil, err
		}
		if len(raw.Items) > limit {
			return nil, fmt.Errorf("%w: more than %d items", share.ErrTooLarge, limit)
		}
		if raw.Next != "" && sort.CheckCursor(raw.Next) != nil {
			return nil, invalid("listing cursor")
		}
		p := &ItemPage{Items: make([]*share.Item, len(raw.Items)), Next: raw.Next}
		for i, r := range raw.Items {
			it, err := share.DecodeItem(r)
			if err != nil {
				return nil, err
			}
			p.Items[i] = it
		}
		return p, nil
	}}
	p, err := sendQuery(ctx, c, listItems, q, nil, dec)
	if err != nil {
		return nil, "", err
	}
	return p.Items, p.Next, nil
}

var usage = &Route{Name: "usage", Method: "GET", Path: "/v1/usage", Auth: AuthSigned,
	Response: Body{JSON, "UsageReport"}, Status: http.StatusOK, serve: serveUsage}

func serveUsage(c *call) error {
	used, limit, err := c.svc.Usage(c.ctx(), c.actor)
	maxBlob := c.svc.MaxBlobSize
	if maxBlob <= 0 {
		maxBlob = share.DefaultMaxBlobSize
	}
	return c.reply(&UsageReport{Used: used, Limit: limit, MaxBlobSize: maxBlob}, err)
}

// Usage calls the usage route.
func (c *Client) Usage(ctx context.Context) (used, limit share.Usage, err error) {
	r, err := c.UsageReport(ctx)
	if err != nil {
		return share.Usage{}, share.Usage{}, err
	}
	return r.Used, r.Limit, nil
}

// UsageReport calls the usage route and returns the whole answer.
func (c *Client) UsageReport(ctx context.Context) (*UsageReport, error) {
	dec := decoder[*UsageReport]{4 << 10, func(b []byte) (*UsageReport, error) {
		var r UsageReport
		if err := wire.DecodeJSON(b, 4<<10, &r); err != nil {
			return nil, err
		}
		if r.Used.Bytes < 0 || r.Used.Items < 0 || r.Limit.Bytes < 0 || r.Limit.Items < 0 || r.MaxBlobSize < 0 {
			return nil, invalid("negative usage")
		}
		return &r, nil
	}}
	return send(ctx, c, usage, nil, dec)
}

var item = &Route{Name: "item", Method: "GET", Path: "/v1/items/{id}", Auth: AuthSigned,
	Response: Body{JSON, "Item"}, Status: http.StatusOK, serve: serveItem}

func serveItem(c *call) error { return c.reply(c.svc.Item(c.ctx(), c.actor, c.id())) }

// Item calls the item route.
func (c *Client) Item(ctx context.Context, id string) (*share.Item, error) {
	return send(ctx, c, item, nil, record(share.MaxRecordSize, share.DecodeItem), id)
}

var download = &Route{Name: "download", Method: "POST", Path: "/v1/items/{id}/download", Auth: AuthSigned,
	Request: Body{JSON, "Event"}, Response: Body{Stream, ""}, Status: http.StatusOK, Ranges: true, serve: serveDownload}

// serveDownload answers the whole payload (200), or with a Range header
// one range of it (206, or 416 past the end: range.go).
func serveDownload(c *call) error {
	rg, ranged, err := parseRange(c.r.Header)
	if err != nil {
		return err
	}
	ev, err := readJSON[share.Event](c)
	if err != nil {
		return err
	}
	if ranged {
		return c.streamRange(rg, ev)
	}
	rc, err := c.svc.Download(c.ctx(), c.actor, c.id(), ev)
	if err != nil {
		return err
	}
	c.w.Header().Set("Accept-Ranges", "bytes")
	return c.stream(nil, rc)
}

// Download calls the download route; the caller closes the payload.
func (c *Client) Download(ctx context.Context, id string, ev *share.Event) (io.ReadCloser, error) {
	b, err := jsonReader(ev)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, download, nil, b, id)
}

var deleteItem = &Route{Name: "delete", Method: "POST", Path: "/v1/items/{id}/delete", Auth: AuthSigned,
	Request: Body{JSON, "Event"}, Response: Body{JSON, "Empty"}, Status: http.StatusOK, serve: serveDelete}

func serveDelete(c *call) error {
	ev, err := readJSON[share.Event](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.Delete(c.ctx(), c.actor, c.id(), ev))
}

// Delete calls the delete route.
func (c *Client) Delete(ctx context.Context, id string, ev *share.Event) error {
	_, err := send(ctx, c, deleteItem, ev, empty, id)
	return err
}

var putManifest = &Route{Name: "putManifest", Method: "POST", Path: "/v1/items/{id}/manifest", Auth: AuthSigned,
	Request: Body{JSON, "ManifestRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusOK, serve: servePutManifest}

func servePutManifest(c *call) error {
	b, err := readJSON[ManifestRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.PutManifest(c.ctx(), c.actor, c.id(), b.Manifest))
}

// PutManifest calls the putManifest route.
func (c *Client) PutManifest(ctx context.Context, item string, manifest []byte) error {
	_, err := send(ctx, c, putManifest, &ManifestRequest{Manifest: manifest}, empty, item)
	return err
}

var myKey = &Route{Name: "myKey", Method: "GET", Path: "/v1/items/{id}/key", Auth: AuthSigned,
	Response: Body{JSON, "WrappedKey"}, Status: http.StatusOK, serve: serveMyKey}

func serveMyKey(c *call) error { return c.reply(c.svc.MyKey(c.ctx(), c.actor, c.id())) }

// MyKey calls the myKey route.
func (c *Client) MyKey(ctx context.Context, item string) (*share.WrappedKey, error) {
	return send(ctx, c, myKey, nil, record(share.MaxSmallRecord, share.DecodeWrappedKey), item)
}

var itemKeys = &Route{Name: "itemKeys", Method: "GET", Path: "/v1/items/{id}/keys", Auth: AuthSigned,
	Response: Body{JSONList, "WrappedKey"}, Status: http.StatusOK, serve: serveItemKeys}

func serveItemKeys(c *call) error {
	ks, err := c.svc.ItemKeys(c.ctx(), c.actor, c.id())
	return c.reply(nonNil(ks), err)
}

// ItemKeys calls the itemKeys route.
func (c *Client) ItemKeys(ctx context.Context, item string) ([]*share.WrappedKey, error) {
	return send(ctx, c, itemKeys, nil, list(keysPerItem, share.DecodeWrappedKey), item)
}

var revoke = &Route{Name: "revoke", Method: "POST", Path: "/v1/items/{id}/revoke", Auth: AuthSigned,
	Request: Body{JSON, "RevokeRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusOK, serve: serveRevoke}

func serveRevoke(c *call) error {
	b, err := readJSON[RevokeRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.Revoke(c.ctx(), c.actor, c.id(), b.Recipient, b.Event, b.Manifest))
}

// Revoke calls the revoke route.
func (c *Client) Revoke(ctx context.Context, item, recipient string, ev *share.Event, manifest []byte) error {
	_, err := send(ctx, c, revoke, &RevokeRequest{Recipient: recipient, Event: ev, Manifest: manifest}, empty, item)
	return err
}

var audit = &Route{Name: "audit", Method: "GET", Path: "/v1/items/{id}/audit", Query: []string{"after", "limit"},
	Auth: AuthSigned, Response: Body{JSONList, "AuditEntry"}, Status: http.StatusOK, serve: serveAudit}

// serveAudit reads the query: after (a sequence number, default 0) and
// limit (1 to share.MaxAuditPage, default share.MaxAuditPage).
func serveAudit(c *call) error {
	q := c.r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		var err error
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return invalid("audit page cursor")
		}
	}
	limit := share.MaxAuditPage
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > share.MaxAuditPage {
			return invalid("audit page limit")
		}
	}
	es, err := c.svc.Audit(c.ctx(), c.actor, c.id(), after, limit)
	return c.reply(nonNil(es), err)
}

// Audit calls the audit route; limit 0 means share.MaxAuditPage.
func (c *Client) Audit(ctx context.Context, item string, after uint64, limit int) ([]*share.AuditEntry, error) {
	if limit == 0 {
		limit = share.MaxAuditPage
	}
	if limit < 0 || limit > share.MaxAuditPage {
		return nil, invalid("audit page limit out of range")
	}
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	return sendQuery(ctx, c, audit, q, nil, list(limit, share.DecodeAuditEntry), item)
}

// Shares.

var shareItem = &Route{Name: "share", Method: "POST", Path: "/v1/shares", Auth: AuthSigned,
	Request: Body{JSON, "ShareRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusCreated, serve: serveShare}

func serveShare(c *call) error {
	req, err := readJSON[share.ShareRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.Share(c.ctx(), c.actor, req))
}

// Share calls the share route.
func (c *Client) Share(ctx context.Context, req *share.ShareRequest) error {
	_, err := send(ctx, c, shareItem, req, empty)
	return err
}

var received = &Route{Name: "received", Method: "GET", Path: "/v1/shares/received", Auth: AuthSigned,
	Response: Body{JSONList, "Share"}, Status: http.StatusOK, serve: serveReceived}

func serveReceived(c *call) error {
	ss, err := c.svc.Received(c.ctx(), c.actor)
	return c.reply(nonNil(ss), err)
}

// Received calls the received route.
func (c *Client) Received(ctx context.Context) ([]*share.Share, error) {
	return send(ctx, c, received, nil, list(share.MaxAuditEntries, share.DecodeShare))
}

// Connections.

var invite = &Route{Name: "invite", Method: "POST", Path: "/v1/invitations", Auth: AuthSigned,
	Request: Body{JSON, "Invitation"}, Response: Body{JSON, "Empty"}, Status: http.StatusCreated, serve: serveInvite}

func serveInvite(c *call) error {
	in, err := readJSON[share.Invitation](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.Invite(c.ctx(), c.actor, in))
}

// Invite calls the invite route.
func (c *Client) Invite(ctx context.Context, in *share.Invitation) error {
	_, err := send(ctx, c, invite, in, empty)
	return err
}

var accept = &Route{Name: "accept", Method: "POST", Path: "/v1/invitations/{id}/accept", Auth: AuthSigned,
	Request: Body{JSON, "AcceptRequest"}, Response: Body{JSON, "Connection"}, Status: http.StatusCreated, serve: serveAccept}

func serveAccept(c *call) error {
	req, err := readJSON[share.AcceptRequest](c)
	if err != nil {
		return err
	}
	return c.reply(c.svc.Accept(c.ctx(), c.actor, c.id(), req))
}

// Accept calls the accept route.
func (c *Client) Accept(ctx context.Context, id string, req *share.AcceptRequest) (*share.Connection, error) {
	return send(ctx, c, accept, req, record(share.MaxSmallRecord, share.DecodeConnection), id)
}

var connection = &Route{Name: "connection", Method: "GET", Path: "/v1/connections/{id}", Auth: AuthSigned,
	Response: Body{JSON, "Connection"}, Status: http.StatusOK, serve: serveConnection}

func serveConnection(c *call) error { return c.reply(c.svc.Connection(c.ctx(), c.actor, c.id())) }

// Connection calls the connection route.
func (c *Client) Connection(ctx context.Context, id string) (*share.Connection, error) {
	return send(ctx, c, connection, nil, record(share.MaxSmallRecord, share.DecodeConnection), id)
}

var shareToSpace = &Route{Name: "shareToSpace", Method: "POST", Path: "/v1/spaces/shares", Auth: AuthSigned,
	Request: Body{JSON, "SpaceShareRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusCreated, serve: serveShareToSpace}

func serveShareToSpace(c *call) error {
	req, err := readJSON[share.SpaceShareRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.ShareToSpace(c.ctx(), c.actor, req))
}

// ShareToSpace calls the shareToSpace route.
func (c *Client) ShareToSpace(ctx context.Context, req *share.SpaceShareRequest) error {
	_, err := send(ctx, c, shareToSpace, req, empty)
	return err
}

var space = &Route{Name: "space", Method: "GET", Path: "/v1/spaces/{id}", Auth: AuthSigned,
	Response: Body{JSON, "Space"}, Status: http.StatusOK, serve: serveSpace}

func serveSpace(c *call) error { return c.reply(c.svc.Space(c.ctx(), c.actor, c.id())) }

// Space calls the space route.
func (c *Client) Space(ctx context.Context, id string) (*share.Space, error) {
	return send(ctx, c, space, nil, record(share.MaxSmallRecord, share.DecodeSpace), id)
}

var claim = &Route{Name: "claim", Method: "POST", Path: "/v1/spaces/{id}/claim", Auth: AuthSigned,
	Request: Body{JSON, "ClaimRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusOK, serve: serveClaim}

func serveClaim(c *call) error {
	b, err := readJSON[ClaimRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.Claim(c.ctx(), c.actor, c.id(), b.Record))
}

// Claim calls the claim route.
func (c *Client) Claim(ctx context.Context, space string, rec []byte) error {
	_, err := send(ctx, c, claim, &ClaimRequest{Record: rec}, empty, space)
	return err
}

// Links.

var createLink = &Route{Name: "createLink", Method: "POST", Path: "/v1/links", Auth: AuthSigned,
	Request: Body{JSON, "LinkRequest"}, Response: Body{JSON, "Empty"}, Status: http.StatusCreated, serve: serveCreateLink}

func serveCreateLink(c *call) error {
	req, err := readJSON[share.LinkRequest](c)
	if err != nil {
		return err
	}
	return c.done(c.svc.CreateLink(c.ctx(), c.actor, req))
}

// CreateLink calls the createLink route.
func (c *Client) CreateLink(ctx context.Context, req *share.LinkRequest) error {
	_, err := send(ctx, c, createLink, req, empty)
	return err
}

var linkParams = &Route{Name: "linkParams", Method: "GET", Path: "/v1/links/{id}", Auth: AuthLink,
	Response: Body{JSON, "LinkParams"}, Status: http.StatusOK, serve: serveLinkParams}

func serveLinkParams(c *call) error { return c.reply(c.svc.LinkParams(c.ctx(), c.id())) }

// LinkParams calls the linkParams route.
func (c *Client) LinkParams(ctx context.Context, id string) (*share.LinkParams, error) {
	return send(ctx, c, linkParams, nil, record(share.MaxSmallRecord, share.DecodeLinkParams), id)
}

var accessLink = &Route{Name: "accessLink", Method: "POST", Path: "/v1/links/{id}/access", Auth: AuthLink,
	Request: Body{JSON, "AccessRequest"}, Response: Body{Frame, "LinkGrant"}, Status: http.StatusOK, serve: serveAccessLink}

func serveAccessLink(c *call) error {
	req, err := readJSON[share.AccessRequest](c)
	if err != nil {
		return err
	}
	g, rc, err := c.svc.AccessLink(c.ctx(), c.id(), req)
	if err != nil {
		return err
	}
	head, err := appendFrame(nil, g)
	if err != nil {
		rc.Close()
		return err
	}
	return c.stream(head, rc)
}

// AccessLink calls the accessLink route; the caller closes the payload.
func (c *Client) AccessLink(ctx context.Context, id string, req *share.AccessRequest) (*share.LinkGrant, io.ReadCloser, error) {
	b, err := jsonReader(req)
	if err != nil {
		return nil, nil, err
	}
	rc, err := c.do(ctx, accessLink, nil, b, id)
	if err != nil {
		return nil, nil, err
	}
	rec, err := readFrame(rc, share.MaxRecordSize)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	g, err := share.DecodeLinkGrant(rec)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return g, rc, nil
}
