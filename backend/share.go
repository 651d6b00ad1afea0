package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/backend/internal/records"
	"github.com/sealkit/sealkit/share"
)

// Record kinds of the share registries.
const (
	kindItem       = "share.item"
	kindWrappedKey = "share.key"
	kindUser       = "share.user"
	kindShare      = "share.share"
	kindInvitation = "share.invitation"
	kindConnection = "share.connection"
	kindSpace      = "share.space"
	kindLink       = "share.link"
	kindAudit      = "share.audit"
	kindAuditHead  = "share.audit.head"
	kindDownload   = "share.audit.download"
	kindOwned      = "share.item.owned"
	kindUsage      = "share.usage"
)

// Share returns every share registry over s. Records are stored as their
// JSON form; owner and ref columns carry the keys the registries list by.
// Its Tx runs in one transaction of s.
func Share(s driver.Store) share.Stores {
	r := shareStores{s}
	return share.Stores{Items: r, Keys: r, Users: r, Shares: r, Invitations: r,
		Connections: r, Spaces: r, Links: r, Audit: r, Usage: r, Tx: r}
}

type shareStores struct{ s driver.Store }

var (
	_ share.ItemStore       = shareStores{}
	_ share.KeyStore        = shareStores{}
	_ share.UserStore       = shareStores{}
	_ share.ShareStore      = shareStores{}
	_ share.InvitationStore = shareStores{}
	_ share.ConnectionStore = shareStores{}
	_ share.SpaceStore      = shareStores{}
	_ share.LinkStore       = shareStores{}
	_ share.AuditLog        = shareStores{}
	_ share.UsageStore      = shareStores{}
	_ share.Transactor      = shareStores{}
)

func (a shareStores) Atomic(ctx context.Context, fn func(tx share.Stores) error) error {
	return a.s.Atomic(ctx, func(tx driver.Store) error { return fn(Share(tx)) })
}

func (a shareStores) create(ctx context.Context, kind, id, owner, ref string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = a.s.Create(ctx, driver.Record{Kind: kind, ID: id, Owner: owner, Ref: ref, Data: data})
	return err
}

func getAs[T any](ctx context.Context, s driver.Store, kind, id string) (*T, error) {
	r, err := s.Get(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	return decodeAs[T](r)
}

func decodeAs[T any](r driver.Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(r.Data, v); err != nil {
		return nil, fmt.Errorf("share: stored %s %q is damaged", r.Kind, r.ID)
	}
	return v, nil
}

func listAs[T any](ctx context.Context, s driver.Store, kind string, field driver.Field, value string) ([]*T, error) {
	rs, err := s.List(ctx, kind, field, value)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(rs))
	for _, r := range rs {
		v, err := decodeAs[T](r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// modifyAs changes a stored record in one transaction; fn's error aborts.
func modifyAs[T any](ctx context.Context, s driver.Store, kind, id string, fn func(*T) error) error {
	_, err := s.Modify(ctx, kind, id, func(r *driver.Record) error {
		v, err := decodeAs[T](*r)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		r.Data, err = json.Marshal(v)
		return err
	})
	return err
}

// Items. Each live item has three index records besides its own, one per
// share.ItemSort, whose IDs are the owner's prefix for that sort followed by
// the item's cursor in it, and whose bodies are copies of the item's: so
// OwnedItems is one range scan of the driver's primary index. The item and
// its index records are written in one transaction.

func (a shareStores) CreateItem(ctx context.Context, it *share.Item) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return a.s.Atomic(ctx, func(tx driver.Store) error {
		if _, err := tx.Create(ctx, driver.Record{Kind: kindItem, ID: it.ID, Owner: it.Owner, Data: data}); err != nil {
			return err
		}
		return putOwned(ctx, tx, it, data)
	})
}

func (a shareStores) Item(ctx context.Context, id string) (*share.Item, error) {
	r, err := a.s.Get(ctx, kindItem, id)
	if err != nil {
		return nil, err
	}
	if r.Ref == itemTombstone {
		return nil, share.ErrNotFound
	}
	return decodeAs[share.Item](r)
}

func (a shareStores) UpdateItem(ctx context.Context, it *share.Item, prevVersion uint64) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return a.s.Atomic(ctx, func(tx driver.Store) error {
		_, err := tx.Modify(ctx, kindItem, it.ID, func(r *driver.Record) error {
			if r.Ref == itemTombstone {
				return share.ErrNotFound
			}
			old, err := decodeAs[share.Item](*r)
			if err != nil {
				return err
			}
			if old.Version != prevVersion {
				return share.ErrConflict
			}
			r.Owner, r.Data = it.Owner, data
			return nil
		})
		if err != nil {
			return err
		}
		if err := dropOwned(ctx, tx, it.ID); err != nil {
			return err
		}
		return putOwned(ctx, tx, it, data)
	})
}

// itemTombstone in an item record's ref column marks the item deleted (no
// ID starts with a dot). The record stays, with its owner and an empty
// body, so that Create of the ID keeps failing with ErrExists; turning an
// item into its tombstone is one Modify, so no one can slip a new item in
// between.
const itemTombstone = ".deleted"

func (a shareStores) DeleteItem(ctx context.Context, id string) error {
	return a.s.Atomic(ctx, func(tx driver.Store) error {
		_, err := tx.Modify(ctx, kindItem, id, func(r *driver.Record) error {
			if r.Ref == itemTombstone {
				return share.ErrNotFound
			}
			r.Ref, r.Data = itemTombstone, nil
			return nil
		})
		if err != nil {
			return err
		}
		return dropOwned(ctx, tx, id)
	})
}

func (a shareStores) DeletedItem(ctx context.Context, id string) (string, error) {
	r, err := a.s.Get(ctx, kindItem, id)
	if err != nil {
		return "", err
	}
	if r.Ref != itemTombstone {
		return "", share.ErrNotFound
	}
	return r.Owner, nil
}

func (a shareStores) OwnedItems(ctx context.Context, owner string, sort share.ItemSort, after string, limit int) ([]*share.Item, error) {
	if err := share.CheckPage(sort, after, limit); err != nil {
		return nil, err
	}
	p := ownedPrefix(owner, sort)
	// p ends in '/': p with '0' (the next byte) bounds every ID that
	// begins with p, and no other.
	rs, err := a.s.Range(ctx, kindOwned, p+after, p[:len(p)-1]+"0", limit)
	if err != nil {
		return nil, err
	}
	out := make([]*share.Item, 0, len(rs))
	for _, r := range rs {
		it, err := decodeAs[share.Item](r)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// itemSorts are the orders of OwnedItems, each with the tag its index
// records' IDs carry.
var itemSorts = [...]struct {
	sort share.ItemSort
	tag  string
}{{share.SortByCreated, "created"}, {share.SortBySize, "size"}, {share.SortByID, "id"}}

// ownedPrefix begins the ID of every index record of owner's items in order
// s, and of no other record.
func ownedPrefix(owner string, s share.ItemSort) string {
	for _, t := range itemSorts {
		if t.sort == s {
			return compositeID(owner, t.tag)
		}
	}
	panic("backend: no index for item sort") // CheckPage refused it
}

// putOwned writes the index records of item it, whose JSON form is data.
// An index record already there is the same item's (Migrate ran twice).
func putOwned(ctx context.Context, tx driver.Store, it *share.Item, data []byte) error {
	for _, t := range itemSorts {
		r := driver.Record{Kind: kindOwned, ID: ownedPrefix(it.Owner, t.sort) + t.sort.Cursor(it), Owner: it.Owner, Ref: it.ID, Data: data}
		if _, err := tx.Create(ctx, r); err != nil && !errors.Is(err, driver.ErrExists) {
			return err
		}
	}
	return nil
}

// dropOwned deletes the index records of item id (found by their ref, so a
// damaged item body does not keep them).
func dropOwned(ctx context.Context, tx driver.Store, id string) error {
	rs, err := tx.List(ctx, kindOwned, driver.ByRef, id)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := tx.Delete(ctx, kindOwned, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// indexStoredItem adds the index records of stored item id if it is live
// (Migrate).
func indexStoredItem(ctx context.Context, tx driver.Store, id string) error {
	r, err := tx.Get(ctx, kindItem, id)
	if errors.Is(err, driver.ErrNotFound) || err == nil && r.Ref == itemTombstone {
		return nil
	}
	if err != nil {
		return err
	}
	it, err := decodeAs[share.Item](r)
	if err != nil {
		return err
	}
	return putOwned(ctx, tx, it, r.Data)
}

// Usage: one record per owner holding its totals.

type usageJSON struct {
	Bytes int64 `json:"bytes"`
	Items int64 `json:"items"`
}

func (a shareStores) AddUsage(ctx context.Context, owner string, d share.Usage) (share.Usage, error) {
	for {
		var out share.Usage
		err := modifyAs(ctx, a.s, kindUsage, owner, func(u *usageJSON) error {
			out = share.Usage{Bytes: u.Bytes, Items: u.Items}.Plus(d)
			u.Bytes, u.Items = out.Bytes, out.Items
			return nil
		})
		if !errors.Is(err, driver.ErrNotFound) {
			return out, err
		}
		out = share.Usage{}.Plus(d)
		err = a.create(ctx, kindUsage, owner, owner, "", usageJSON{Bytes: out.Bytes, Items: out.Items})
		if !errors.Is(err, driver.ErrExists) { // else a concurrent first AddUsage won: add to its total
			return out, err
		}
	}
}

func (a shareStores) Usage(ctx context.Context, owner string) (share.Usage, error) {
	u, err := getAs[usageJSON](ctx, a.s, kindUsage, owner)
	if errors.Is(err, driver.ErrNotFound) {
		return share.Usage{}, nil
	}
	if err != nil {
		return share.Usage{}, err
	}
	return share.Usage{Bytes: u.Bytes, Items: u.Items}, nil
}

// Wrapped keys.

func (a shareStores) PutKey(ctx context.Context, k *share.WrappedKey) error {
	return a.create(ctx, kindWrappedKey, compositeID(k.Item, k.Recipient), k.Recipient, k.Item, k)
}

func (a shareStores) Key(ctx context.Context, item, recipient string) (*share.WrappedKey, error) {
	return getAs[share.WrappedKey](ctx, a.s, kindWrappedKey, compositeID(item, recipient))
}

func (a shareStores) KeysForItem(ctx context.Context, item string) ([]*share.WrappedKey, error) {
	out, err := listAs[share.WrappedKey](ctx, a.s, kindWrappedKey, driver.ByRef, item)
	sort.Slice(out, func(i, j int) bool { return out[i].Recipient < out[j].Recipient })
	return out, err
}

func (a shareStores) DeleteKey(ctx context.Context, item, recipient string) error {
	return a.s.Delete(ctx, kindWrappedKey, compositeID(item, recipient))
}

// Users.

func (a shareStores) CreateUser(ctx context.Context, u *share.User) error {
	return a.create(ctx, kindUser, u.ID, "", "", u)
}

func (a shareStores) User(ctx context.Context, id string) (*share.User, error) {
	return getAs[share.User](ctx, a.s, kindUser, id)
}

// Shares.

func (a shareStores) CreateShare(ctx context.Context, s *share.Share) error {
	return a.create(ctx, kindShare, s.ID, s.Recipient, s.Item, s)
}

func (a shareStores) Share(ctx context.Context, id string) (*share.Share, error) {
	return getAs[share.Share](ctx, a.s, kindShare, id)
}

func (a shareStores) SharesForRecipient(ctx context.Context, user string) ([]*share.Share, error) {
	return listAs[share.Share](ctx, a.s, kindShare, driver.ByOwner, user)
}

func (a shareStores) SharesForItem(ctx context.Context, item string) ([]*share.Share, error) {
	return listAs[share.Share](ctx, a.s, kindShare, driver.ByRef, item)
}

func (a shareStores) DeleteShare(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindShare, id)
}

// Invitations and connections.

func (a shareStores) CreateInvitation(ctx context.Context, in *share.Invitation) error {
	return a.create(ctx, kindInvitation, in.ID, in.Inviter, "", in)
}

func (a shareStores) Invitation(ctx context.Context, id string) (*share.Invitation, error) {
	return getAs[share.Invitation](ctx, a.s, kindInvitation, id)
}

func (a shareStores) UseInvitation(ctx context.Context, id string) error {
	return modifyAs(ctx, a.s, kindInvitation, id, func(in *share.Invitation) error {
		if in.Used {
			return share.ErrConflict
		}
		in.Used = true
		return nil
	})
}

func (a shareStores) InvitationsFrom(ctx context.Context, inviter string) ([]*share.Invitation, error) {
	return listAs[share.Invitation](ctx, a.s, kindInvitation, driver.ByOwner, inviter)
}

func (a shareStores) DeleteInvitation(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindInvitation, id)
}

func (a shareStores) CreateConnection(ctx context.Context, c *share.Connection) error {
	return a.create(ctx, kindConnection, c.ID, c.Inviter, c.Invitee, c)
}

func (a shareStores) Connection(ctx context.Context, id string) (*share.Connection, error) {
	return getAs[share.Connection](ctx, a.s, kindConnection, id)
}

// Encryption spaces.

func (a shareStores) CreateSpace(ctx context.Context, s *share.Space) error {
	return a.create(ctx, kindSpace, s.ID, s.Sharer, s.Recipient, s)
}

func (a shareStores) Space(ctx context.Context, id string) (*share.Space, error) {
	return getAs[share.Space](ctx, a.s, kindSpace, id)
}

func (a shareStores) ClaimSpace(ctx context.Context, id string, claimed []byte) error {
	return modifyAs(ctx, a.s, kindSpace, id, func(s *share.Space) error {
		if len(s.ClaimedKey) != 0 {
			return share.ErrConflict
		}
		s.ClaimedKey = bytes.Clone(claimed)
		return nil
	})
}

func (a shareStores) SpacesFrom(ctx context.Context, sharer string) ([]*share.Space, error) {
	return listAs[share.Space](ctx, a.s, kindSpace, driver.ByOwner, sharer)
}

func (a shareStores) DeleteSpace(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindSpace, id)
}

// Links. Counters change inside one read-modify-write transaction, so
// concurrent downloads never take more than the link allows.

func (a shareStores) CreateLink(ctx context.Context, l *share.Link) error {
	return a.create(ctx, kindLink, l.ID, l.Owner, l.Item, l)
}

func (a shareStores) Link(ctx context.Context, id string) (*share.Link, error) {
	return getAs[share.Link](ctx, a.s, kindLink, id)
}

func (a shareStores) LinksForItem(ctx context.Context, item string) ([]*share.Link, error) {
	return listAs[share.Link](ctx, a.s, kindLink, driver.ByRef, item)
}

func (a shareStores) ConsumeDownload(ctx context.Context, id string, now time.Time) (int, error) {
	remaining := 0
	err := modifyAs(ctx, a.s, kindLink, id, func(l *share.Link) error {
		if !now.Before(l.Expires) {
			return share.ErrExpired
		}
		if l.Remaining <= 0 {
			return share.ErrExhausted
		}
		l.Remaining--
		remaining = l.Remaining
		return nil
	})
	return remaining, err
}

func (a shareStores) ReserveAttempt(ctx context.Context, id string, max int) (int, error) {
	failures := 0
	err := modifyAs(ctx, a.s, kindLink, id, func(l *share.Link) error {
		if l.Failures >= max {
			return share.ErrLocked
		}
		l.Failures++
		failures = l.Failures
		return nil
	})
	return failures, err
}

func (a shareStores) ReleaseAttempt(ctx context.Context, id string) error {
	return modifyAs(ctx, a.s, kindLink, id, func(l *share.Link) error {
		l.Failures = max(l.Failures-1, 0)
		return nil
	})
}

func (a shareStores) DeleteLink(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindLink, id)
}

// Audit. Entry n of an item is the record (item, n), created only once,
// and only if entry n−1 exists with the hash e.Prev names: so of two
// concurrent appends after one head exactly one succeeds, and the chain
// has no gaps. The entries are the truth; the head record (one per item)
// is an index that saves reading the chain: each append advances it after
// creating its entry, and AuditHead steps forward from it over entries an
// interrupted append left it behind, so it never depends on the chain's
// length.

func auditID(item string, seq uint64) string {
	return compositeID(item) + fmt.Sprintf("%020d", seq)
}

func (a shareStores) AppendAudit(ctx context.Context, e *share.AuditEntry) error {
	item := e.Event.Item
	if e.Seq == 0 {
		return share.ErrConflict
	}
	prev := share.GenesisHash(item)
	if e.Seq > 1 {
		p, err := getAs[share.AuditEntry](ctx, a.s, kindAudit, auditID(item, e.Seq-1))
		if errors.Is(err, driver.ErrNotFound) {
			return share.ErrConflict
		}
		if err != nil {
			return err
		}
		prev = p.Hash
	}
	if !bytes.Equal(e.Prev, prev) {
		return share.ErrConflict
	}
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = a.s.Create(ctx, driver.Record{Kind: kindAudit, ID: auditID(item, e.Seq), Ref: item, Data: data})
	if errors.Is(err, driver.ErrExists) {
		return share.ErrConflict
	}
	if err != nil {
		return err
	}
	a.advanceHead(ctx, item, e.Seq, data)
	return nil
}

// advanceHead points the item's head record at entry seq (its JSON form,
// data) unless it already points at a later one. It is best effort: the
// entry is chained already, and a head left behind by a failure here or a
// crash before it is caught up by AuditHead and the next append.
func (a shareStores) advanceHead(ctx context.Context, item string, seq uint64, data []byte) {
	_, err := a.s.Create(ctx, driver.Record{Kind: kindAuditHead, ID: item, Data: data})
	if !errors.Is(err, driver.ErrExists) {
		return
	}
	a.s.Modify(ctx, kindAuditHead, item, func(r *driver.Record) error {
		h, err := decodeAs[share.AuditEntry](*r)
		if err == nil && h.Seq >= seq {
			return errHeadCurrent
		}
		r.Data = data
		return nil
	})
}

var errHeadCurrent = errors.New("audit head already current")

func (a shareStores) AuditEntries(ctx context.Context, item string, after uint64, limit int) ([]*share.AuditEntry, error) {
	if limit < 1 {
		return nil, fmt.Errorf("%w: audit page limit", share.ErrInvalid)
	}
	var out []*share.AuditEntry
	for seq := after + 1; len(out) < limit && seq > after; seq++ {
		e, err := getAs[share.AuditEntry](ctx, a.s, kindAudit, auditID(item, seq))
		if errors.Is(err, driver.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (a shareStores) AuditHead(ctx context.Context, item string) (*share.AuditEntry, error) {
	head, err := getAs[share.AuditEntry](ctx, a.s, kindAuditHead, item)
	if errors.Is(err, driver.ErrNotFound) {
		head, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	for {
		next := uint64(1)
		if head != nil {
			next = head.Seq + 1
		}
		e, err := getAs[share.AuditEntry](ctx, a.s, kindAudit, auditID(item, next))
		if errors.Is(err, driver.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		head = e
	}
	if head == nil {
		return nil, share.ErrNotFound
	}
	return head, nil
}

// Download claims: one record per (item, actor) holding the time of the
// last claimed download; Modify serialises concurrent claims.

type downloadClaim struct {
	Last time.Time `json:"last"`
}

var errClaimHeld = errors.New("download already claimed in this window")

func (a shareStores) ClaimDownload(ctx context.Context, item, actor string, now time.Time, window time.Duration) (bool, error) {
	id := compositeID(item, actor)
	err := a.create(ctx, kindDownload, id, actor, item, downloadClaim{Last: now})
	if !errors.Is(err, driver.ErrExists) {
		return err == nil, err
	}
	err = modifyAs(ctx, a.s, kindDownload, id, func(c *downloadClaim) error {
		if d := now.Sub(c.Last); d >= 0 && d < window {
			return errClaimHeld
		}
		c.Last = now
		return nil
	})
	if errors.Is(err, errClaimHeld) {
		return false, nil
	}
	return err == nil, err
}

func (a shareStores) ReleaseDownload(ctx context.Context, item, actor string, claimed time.Time) error {
	id := compositeID(item, actor)
	err := modifyAs(ctx, a.s, kindDownload, id, func(c *downloadClaim) error {
		if !c.Last.Equal(claimed) {
			return errClaimHeld
		}
		c.Last = time.Time{}
		return nil
	})
	if errors.Is(err, errClaimHeld) || errors.Is(err, driver.ErrNotFound) {
		return nil
	}
	return err
}

// Blobs returns a share.BlobStore over b, streaming in fixed-size chunks.
func Blobs(b driver.Blobs) share.BlobStore { return blobStore{b} }

type blobStore struct{ b driver.Blobs }

var _ share.BlobStore = blobStore{}

func checkBlobKey(key string) error {
	if !share.ValidID(key) {
		return fmt.Errorf("%w: blob key", share.ErrInvalid)
	}
	return nil
}

func (s blobStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := checkBlobKey(key); err != nil {
		return 0, err
	}
	return s.b.PutBlob(ctx, key, r)
}

func (s blobStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, err
	}
	return records.OpenBlob(ctx, s.b, key, 0, -1)
}

func (s blobStore) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("%w: range", share.ErrInvalid)
	}
	st, err := s.b.StatBlob(ctx, key)
	if err != nil {
		return nil, err
	}
	size := st.Size
	if off > size {
		return nil, fmt.Errorf("%w: range", share.ErrInvalid)
	}
	return records.OpenBlob(ctx, s.b, key, off, min(n, size-off))
}

func (s blobStore) Delete(ctx context.Context, key string) error {
	if err := checkBlobKey(key); err != nil {
		return err
	}
	return s.b.DeleteBlob(ctx, key)
}
