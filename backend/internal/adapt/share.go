package adapt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

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
)

// Share returns every share registry over s. Records are stored as their
// JSON form; owner and ref columns carry the keys the registries list by.
func Share(s records.Store) share.Stores {
	r := shareStores{s}
	return share.Stores{Items: r, Keys: r, Users: r, Shares: r, Invitations: r,
		Connections: r, Spaces: r, Links: r, Audit: r}
}

type shareStores struct{ s records.Store }

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
)

func (a shareStores) create(ctx context.Context, kind, id, owner, ref string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = a.s.Create(ctx, records.Record{Kind: kind, ID: id, Owner: owner, Ref: ref, Data: data})
	return err
}

func getAs[T any](ctx context.Context, s records.Store, kind, id string) (*T, error) {
	r, err := s.Get(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	return decodeAs[T](r)
}

func decodeAs[T any](r records.Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(r.Data, v); err != nil {
		return nil, fmt.Errorf("share: stored %s %q is damaged", r.Kind, r.ID)
	}
	return v, nil
}

func listAs[T any](ctx context.Context, s records.Store, kind string, field records.Field, value string) ([]*T, error) {
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
func modifyAs[T any](ctx context.Context, s records.Store, kind, id string, fn func(*T) error) error {
	_, err := s.Modify(ctx, kind, id, func(r *records.Record) error {
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

// Items.

func (a shareStores) CreateItem(ctx context.Context, it *share.Item) error {
	return a.create(ctx, kindItem, it.ID, it.Owner, "", it)
}

func (a shareStores) Item(ctx context.Context, id string) (*share.Item, error) {
	return getAs[share.Item](ctx, a.s, kindItem, id)
}

func (a shareStores) UpdateItem(ctx context.Context, it *share.Item, prevVersion uint64) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	_, err = a.s.Modify(ctx, kindItem, it.ID, func(r *records.Record) error {
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
	return err
}

func (a shareStores) DeleteItem(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindItem, id)
}

// Wrapped keys.

func (a shareStores) PutKey(ctx context.Context, k *share.WrappedKey) error {
	return a.create(ctx, kindWrappedKey, compositeID(k.Item, k.Recipient), k.Recipient, k.Item, k)
}

func (a shareStores) Key(ctx context.Context, item, recipient string) (*share.WrappedKey, error) {
	return getAs[share.WrappedKey](ctx, a.s, kindWrappedKey, compositeID(item, recipient))
}

func (a shareStores) KeysForItem(ctx context.Context, item string) ([]*share.WrappedKey, error) {
	out, err := listAs[share.WrappedKey](ctx, a.s, kindWrappedKey, records.ByRef, item)
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
	return listAs[share.Share](ctx, a.s, kindShare, records.ByOwner, user)
}

func (a shareStores) SharesForItem(ctx context.Context, item string) ([]*share.Share, error) {
	return listAs[share.Share](ctx, a.s, kindShare, records.ByRef, item)
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
	return listAs[share.Link](ctx, a.s, kindLink, records.ByRef, item)
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

func (a shareStores) AddFailure(ctx context.Context, id string) (int, error) {
	failures := 0
	err := modifyAs(ctx, a.s, kindLink, id, func(l *share.Link) error {
		l.Failures++
		failures = l.Failures
		return nil
	})
	return failures, err
}

func (a shareStores) DeleteLink(ctx context.Context, id string) error {
	return a.s.Delete(ctx, kindLink, id)
}

// Audit. Entry n of an item is the record (item, n), created only once,
// and only if entry n−1 exists with the hash e.Prev names: so of two
// concurrent appends after one head exactly one succeeds, and the chain
// has no gaps.

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
		if errors.Is(err, records.ErrNotFound) {
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
	err := a.create(ctx, kindAudit, auditID(item, e.Seq), "", item, e)
	if errors.Is(err, records.ErrExists) {
		return share.ErrConflict
	}
	return err
}

func (a shareStores) AuditEntries(ctx context.Context, item string) ([]*share.AuditEntry, error) {
	out, err := listAs[share.AuditEntry](ctx, a.s, kindAudit, records.ByRef, item)
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, err
}

func (a shareStores) AuditHead(ctx context.Context, item string) (*share.AuditEntry, error) {
	all, err := a.AuditEntries(ctx, item)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, share.ErrNotFound
	}
	return all[len(all)-1], nil
}

// Blobs returns a share.BlobStore over b, streaming in fixed-size chunks.
func Blobs(b records.Blobs) share.BlobStore { return blobStore{b} }

type blobStore struct{ b records.Blobs }

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
	size, err := s.b.BlobSize(ctx, key)
	if err != nil {
		return nil, err
	}
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
