package share

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/keylog"
)

// Service defaults.
const (
	DefaultMaxBlobSize     = 5 << 30 // 5 GiB per file
	DefaultMaxLinkFailures = 10
	DefaultEventSkew       = 5 * time.Minute
	MaxInvitationTTL       = 30 * 24 * time.Hour
	MaxLinkTTL             = 366 * 24 * time.Hour
)

// Service is the server side: it enforces the access-control matrix over
// the registries and blob store, verifies and chains audit events, and never
// holds a key that opens an item. Every method that acts for a user takes
// the acting, already-authenticated user ID; the HTTP Handler gets it from
// its Authenticate hook. Every call that writes several records writes them
// in one Stores.Tx.Atomic (SPEC.md "Consistency across registries").
// A Service must not be copied after first use.
type Service struct {
	Stores Stores    // the registries; every write goes through Stores.Tx
	Blobs  BlobStore // item payloads, by Item.BlobRef
	// Now returns the current time; nil means time.Now. Tests set a clock.
	Now func() time.Time
	// MaxBlobSize caps a payload; 0 means DefaultMaxBlobSize.
	MaxBlobSize int64
	// MaxLinkFailures is how many wrong link proofs lock a link; 0 means
	// DefaultMaxLinkFailures.
	MaxLinkFailures int
	// EventSkew is how far an audit event's time may be from Now; 0 means
	// DefaultEventSkew.
	EventSkew time.Duration
	// KeyLog, if set, is the key transparency log each published key
	// bundle is appended to before its record is stored; the record's
	// LogIndex names the entry (SPEC.md §11, "Key transparency").
	KeyLog *keylog.Log

	// Storage caps (SPEC.md "Storage limits"): a request that would go
	// past one is ErrLimit. 0 means the default.

	// MaxLinksPerItem caps an item's live links (DefaultMaxLinksPerItem);
	// expired and used-up links are removed as new ones are created.
	MaxLinksPerItem int
	// MaxRecipients caps the users an item is shared with, and so its
	// wrapped keys and share records (DefaultMaxRecipients; at most 1,023,
	// so that a rotation can carry every key).
	MaxRecipients int
	// MaxInvitations caps the invitations a user keeps: outstanding ones
	// and accepted ones, each a connection (DefaultMaxInvitations). Expired
	// unused ones are removed as the user invites again.
	MaxInvitations int
	// MaxSpaces caps the encryption spaces a user has created
	// (DefaultMaxSpaces); a space is removed with the last share naming it.
	MaxSpaces int
	// MaxAuditChain caps an item's audit chain (DefaultMaxAuditChain, also
	// its maximum): past it shares, links, downloads and link downloads of
	// the item are refused, while revokes and the delete are still chained.
	MaxAuditChain int

	// Hooks for the server embedding the Service (SPEC.md "Server hooks").

	// Quota returns the most owner's items may hold: Usage.Bytes as
	// [ItemCharge] and [DeletedCharge] count them, Usage.Items live items.
	// A zero field is no limit; nil means no quota. Upload checks it
	// before any payload byte is written (ErrQuota past Bytes, ErrLimit
	// past Items) and again as it commits.
	Quota func(ctx context.Context, owner string) (Usage, error)
	// Admit, if set, decides whether an upload may start: it is called
	// once the request is checked and before the quota is reserved or any
	// payload byte is written. Its error refuses the upload and is
	// returned as is; wrap ErrLimit, ErrQuota, ErrTooLarge or
	// ErrPermission so that the HTTP binding sends their codes.
	Admit func(ctx context.Context, a *Admission) error
	// Notify, if set, receives each operation after it has committed, on
	// the caller's goroutine; an operation that failed or rolled back is
	// never reported. It cannot fail the operation and should not block:
	// queue the Change for slow work (notifications, metrics, export).
	Notify func(ctx context.Context, c *Change)

	reserved inflight // uploads in flight in this process, per owner
	caps     capLocks // capped creations in this process, per capped set
}

// NewService returns a Service over stores and blobs with the defaults.
func NewService(stores Stores, blobs BlobStore) *Service {
	return &Service{Stores: stores, Blobs: blobs}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// postCommitTimeout bounds what Upload does after its payload is stored,
// and Delete after the item is.
const postCommitTimeout = 30 * time.Second

// errNoTx is returned by a write over Stores without a Transactor or a
// UsageStore: every constructor in sealkit sets both.
var errNoTx = errors.New("share: Stores.Tx or Stores.Usage is nil")

// errAuditRace is appendAudit's lost compare-and-swap inside a transaction:
// the transaction is rolled back and run again (atomic).
var errAuditRace = fmt.Errorf("%w: audit head moved", ErrConflict)

// atomic runs fn in one transaction over the stores, again (up to
// maxAuditRetries times) when it lost an audit append to a concurrent one.
func (s *Service) atomic(ctx context.Context, fn func(st Stores) error) error {
	if s.Stores.Tx == nil || s.Stores.Usage == nil {
		return errNoTx
	}
	for range maxAuditRetries {
		err := s.Stores.Tx.Atomic(ctx, fn)
		if !errors.Is(err, errAuditRace) {
			return err
		}
	}
	return fmt.Errorf("%w: audit log busy", ErrConflict)
}

// PublishUser registers actor's directory entry. A key bundle, if the
// record has one, must be actor's, self-signed, and sign exactly the
// record's keys and signing key (SPEC.md §11).
func (s *Service) PublishUser(ctx context.Context, actor string, u *User) error {
	if u == nil {
		return invalid("no user")
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if u.ID != actor {
		return ErrPermission
	}
	for _, k := range u.Keys {
		if _, err := recipientFor(k); err != nil {
			return invalid("unusable %s key", k.Kind)
		}
	}
	c := cloneUser(u)
	c.LogIndex = nil
	if len(u.Bundle) != 0 {
		b, err := checkUserBundle(u)
		if err != nil {
			return invalid("key bundle: %v", err)
		}
		if s.KeyLog != nil {
			// Logged first: a record is never served without its entry.
			// A create that then fails leaves an entry of the user's own
			// bundle, which the user's monitor recognises.
			if _, err := s.Stores.Users.User(ctx, u.ID); err == nil {
				return ErrExists
			}
			idx, err := s.KeyLog.Append(ctx, keylog.BundleEntry(b))
			if err != nil {
				return err
			}
			c.LogIndex = &idx
		}
	}
	c.Created = s.now()
	if err := s.Stores.Users.CreateUser(ctx, c); err != nil {
		return err
	}
	s.notify(ctx, Change{Op: OpPublishUser, Actor: actor, Time: c.Created})
	return nil
}

// PublishUser calls [Service.PublishUser] as l.Actor.
func (l Local) PublishUser(ctx context.Context, u *User) error {
	return l.Service.PublishUser(ctx, l.Actor, u)
}

// User returns a directory entry; any authenticated user may look one up.
func (s *Service) User(ctx context.Context, actor, id string) (*User, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	return s.Stores.Users.User(ctx, id)
}

// User calls [Service.User] as l.Actor.
func (l Local) User(ctx context.Context, id string) (*User, error) {
	return l.Service.User(ctx, l.Actor, id)
}

// ownedItem returns the item if actor owns it.
func ownedItem(ctx context.Context, st Stores, actor, id string) (*Item, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	it, err := st.Items.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Owner != actor {
		return nil, ErrPermission
	}
	return it, nil
}

// readableItem returns the item if actor owns it or holds a wrapped key for it.
func readableItem(ctx context.Context, st Stores, actor, id string) (*Item, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	it, err := st.Items.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Owner == actor {
		return it, nil
	}
	if _, err := st.Keys.Key(ctx, id, actor); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrPermission
		}
		return nil, err
	}
	return it, nil
}

// Upload stores a new item (PrevVersion 0) or a new version of one (the
// rotation after a revoke), streaming the payload to the blob store while
// hashing it. Only the owner uploads; a new version may only carry keys for
// recipients that already had one (adding a recipient is a share, which is
// audited). The header must be exactly one envelope header.
//
// Before any payload byte is written, Admit (if set) sees the upload and
// the quota is reserved: the declared size of a [SizedPayload] (or a
// reader with a Len method), else all the room the owner has left. The
// payload goes under a fresh blob name, then the item, its keys and the
// owner's usage commit in one transaction; an upload that fails or loses
// deletes only its own blob. It returns the stored record with SHA256,
// Size and BlobRef set.
func (s *Service) Upload(ctx context.Context, actor string, up *Upload, blob io.Reader) (*Item, error) {
	if up == nil {
		return nil, invalid("no upload")
	}
	if err := up.Validate(); err != nil {
		return nil, err
	}
	it := cloneItem(up.Item)
	// A new item's manifest is attached by PutManifest once the payload's
	// hash is known; a new version keeps its predecessor's until then.
	it.Manifest = nil
	if it.Owner != actor {
		return nil, ErrPermission
	}
	if it.Version != up.PrevVersion+1 {
		return nil, invalid("version must follow the previous one")
	}
	if err := checkItemHeader(it.Header); err != nil {
		return nil, err
	}
	if s.Stores.Tx == nil || s.Stores.Usage == nil {
		return nil, errNoTx
	}
	// Checked here, before the payload is read, and again in the commit.
	old, oldCharge, err := s.uploadable(ctx, s.Stores, actor, up)
	if err != nil {
		return nil, err
	}
	var ownerKey *WrappedKey
	for _, k := range up.Keys {
		if k.Recipient == actor {
			ownerKey = k
		}
	}
	maxBlob := orDefault(s.MaxBlobSize, DefaultMaxBlobSize)
	declared := declaredSize(blob)
	if declared > maxBlob {
		return nil, ErrTooLarge
	}
	d := Usage{Bytes: headCharge(it, ownerKey) + max(declared, 0) - oldCharge}
	if old == nil {
		d.Items = 1
	}
	stored, err := s.Stores.Usage.Usage(ctx, actor)
	if err != nil {
		return nil, err
	}
	if s.Admit != nil {
		inflight := s.reserved.get(actor)
		a := &Admission{Actor: actor, Item: cloneItem(it), New: old == nil, Records: 1 + len(up.Keys),
			PayloadSize: declared, Charge: d.Bytes,
			Usage: Usage{stored.Bytes + inflight.Bytes, stored.Items + inflight.Items}}
		if err := s.Admit(ctx, a); err != nil {
			return nil, err
		}
	}
	limit, err := s.quota(ctx, actor)
	if err != nil {
		return nil, err
	}
	// A new version reserves what it adds (both versions are stored until
	// it commits); one of unknown size reserves the room left, up to
	// MaxBlobSize, and may store no more.
	res := Usage{Bytes: max(d.Bytes, 0), Items: d.Items}
	payloadCap := maxBlob
	if declared >= 0 {
		payloadCap = declared
	}
	fill := int64(0)
	if declared < 0 && limit.Bytes > 0 {
		fill = maxBlob
	}
	granted, release, err := s.reserved.reserve(actor, stored, res, limit, fill)
	if err != nil {
		return nil, err
	}
	defer release()
	if fill > 0 {
		payloadCap = min(payloadCap, granted.Bytes-res.Bytes+max(-d.Bytes, 0))
	}

	// A fresh random name per upload, so that an upload that loses the
	// compare-and-swap below deletes only its own blob, never the winner's.
	// NewID holds no dot: it never equals an <id>.<version> name that
	// earlier releases wrote.
	it.BlobRef = NewID()
	h := sha256.New()
	lr := &io.LimitedReader{R: blob, N: payloadCap + 1}
	n, err := s.Blobs.Put(ctx, it.BlobRef, io.TeeReader(lr, h))
	if err != nil {
		return nil, err
	}
	// Cleanup and the steps after the commit run to the end even if the
	// caller's context is cancelled (a client gone), within a bound.
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postCommitTimeout)
	defer cancel()
	switch {
	case declared >= 0 && n != declared:
		err = invalid("payload of %d bytes, not the %d declared", n, declared)
	case n > maxBlob:
		err = ErrTooLarge
	case n > payloadCap:
		err = ErrQuota
	}
	if err != nil {
		s.dropBlob(post, actor, it.BlobRef)
		return nil, err
	}
	it.SHA256, it.Size, it.Created = h.Sum(nil), n, s.now()
	final := Usage{Bytes: ItemCharge(it, ownerKey) - oldCharge}
	if old == nil {
		final.Items = 1
	}
	// A new version replaces the item's recipients' keys and its links:
	// it holds their capped sets' locks, so that a share or link created
	// meanwhile in this process counts either the old set or the new.
	var capped []string
	if old != nil {
		capped = []string{recipientsKey(it.ID), linksKey(it.ID)}
	}
	err = s.atomicCapped(ctx, capped, func(st Stores) error {
		old, oldCharge2, err := s.uploadable(ctx, st, actor, up)
		if err != nil {
			return err
		}
		if oldCharge2 != oldCharge {
			return ErrConflict
		}
		return s.storeUpload(ctx, st, it, old, up.Keys, final, limit)
	})
	if err != nil {
		s.dropBlob(post, actor, it.BlobRef)
		return nil, err
	}
	if old != nil {
		s.dropBlob(post, actor, old.BlobRef)
	}
	c := Change{Op: OpUpload, Actor: actor, Owner: actor, Item: it.ID, Version: it.Version, Size: it.Size, Time: it.Created}
	s.notify(ctx, c)
	return cloneItem(it), nil
}

// Upload calls [Service.Upload] as l.Actor.
func (l Local) Upload(ctx context.Context, up *Upload, blob io.Reader) (*Item, error) {
	return l.Service.Upload(ctx, l.Actor, up, blob)
}

// uploadable checks that up may be stored now: a new item's ID is neither
// live nor deleted; a new version replaces the stored one and carries keys
// only for those who hold one, each in its space. It returns the version
// replaced (nil for a new item) and its charge.
func (s *Service) uploadable(ctx context.Context, st Stores, actor string, up *Upload) (*Item, int64, error) {
	id := up.Item.ID
	allowed := map[string]string{actor: ""} // recipient -> space
	var old *Item
	var oldCharge int64
	if up.PrevVersion == 0 {
		if _, err := st.Items.Item(ctx, id); err == nil {
			return nil, 0, ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return nil, 0, err
		}
		if _, err := st.Items.DeletedItem(ctx, id); err == nil {
			return nil, 0, ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return nil, 0, err
		}
	} else {
		var err error
		if old, err = ownedItem(ctx, st, actor, id); err != nil {
			return nil, 0, err
		}
		if old.Version != up.PrevVersion {
			return nil, 0, ErrConflict
		}
		keys, err := st.Keys.KeysForItem(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		ownerKey := &WrappedKey{}
		for _, k := range keys {
			allowed[k.Recipient] = k.Space
			if k.Recipient == actor {
				ownerKey = k
			}
		}
		oldCharge = ItemCharge(old, ownerKey)
	}
	seen := map[string]bool{}
	for _, k := range up.Keys {
		space, ok := allowed[k.Recipient]
		if k.Item != id || k.Version != up.Item.Version || !ok || space != k.Space || seen[k.Recipient] {
			return nil, 0, fmt.Errorf("%w: key for %q not allowed in this upload", ErrPermission, k.Recipient)
		}
		seen[k.Recipient] = true
	}
	if !seen[actor] {
		return nil, 0, invalid("the owner's wrapped key is missing")
	}
	return old, oldCharge, nil
}

// storeUpload writes an upload checked by uploadable: the item (created, or
// swapped for old), the old version's keys, shares and links dropped, the
// new keys, and the owner's usage, which must stay within limit.
func (s *Service) storeUpload(ctx context.Context, st Stores, it, old *Item, keys []*WrappedKey, d, limit Usage) error {
	if old == nil {
		if err := st.Items.CreateItem(ctx, it); err != nil {
			return err
		}
	} else {
		it.Manifest = old.Manifest
		if err := st.Items.UpdateItem(ctx, it, old.Version); err != nil {
			return err
		}
		// The old version's keys and links open the old DEK only: drop
		// them, and the shares of recipients the new version leaves out.
		carried := map[string]bool{}
		for _, k := range keys {
			carried[k.Recipient] = true
		}
		oldKeys, err := st.Keys.KeysForItem(ctx, it.ID)
		if err != nil {
			return err
		}
		for _, k := range oldKeys {
			if carried[k.Recipient] {
				err = st.Keys.DeleteKey(ctx, it.ID, k.Recipient)
			} else {
				err = dropRecipient(ctx, st, it.ID, k.Recipient)
			}
			if err != nil {
				return err
			}
		}
		if err := dropLinks(ctx, st, it.ID); err != nil {
			return err
		}
	}
	for _, k := range keys {
		c := cloneKey(k)
		c.Created = it.Created
		if err := st.Keys.PutKey(ctx, c); err != nil {
			return err
		}
	}
	total, err := st.Usage.AddUsage(ctx, it.Owner, d)
	if err != nil {
		return err
	}
	return within(total, d, limit)
}

// checkItemHeader refuses a header that is not exactly one envelope header.
// The Service stores it without opening it; parsing bounds what those bytes
// can be (the layout and caps of envelope/SPEC.md §2), and the exact length
// leaves no room for bytes appended after it.
func checkItemHeader(b []byte) error {
	h, err := envelope.ParseHeader(b)
	if err != nil {
		return invalid("item header is not an envelope header")
	}
	if h.Len() != len(b) {
		return invalid("item header has %d bytes after the envelope header", len(b)-h.Len())
	}
	return nil
}

// Item returns an item record to its owner or a recipient.
func (s *Service) Item(ctx context.Context, actor, id string) (*Item, error) {
	return readableItem(ctx, s.Stores, actor, id)
}

// Item calls [Service.Item] as l.Actor.
func (l Local) Item(ctx context.Context, id string) (*Item, error) {
	return l.Service.Item(ctx, l.Actor, id)
}

// Download returns the payload of an item to its owner or a recipient,
// after chaining ev (a signed ActionDownload event) into the item's audit log.
func (s *Service) Download(ctx context.Context, actor, id string, ev *Event) (io.ReadCloser, error) {
	it, err := readableItem(ctx, s.Stores, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkEvent(ctx, s.Stores, ev, ActionDownload, actor, id, ""); err != nil {
		return nil, err
	}
	if err := s.atomic(ctx, func(st Stores) error { return s.chainDownload(ctx, st, ev) }); err != nil {
		return nil, err
	}
	rc, err := s.Blobs.Get(ctx, it.BlobRef)
	if err != nil {
		return nil, err
	}
	s.notify(ctx, Change{Op: OpDownload, Actor: actor, Owner: it.Owner, Item: id, Version: it.Version, Size: it.Size})
	return rc, nil
}

// Download calls [Service.Download] as l.Actor.
func (l Local) Download(ctx context.Context, id string, ev *Event) (io.ReadCloser, error) {
	return l.Service.Download(ctx, l.Actor, id, ev)
}

// MyKey returns actor's wrapped key for an item.
func (s *Service) MyKey(ctx context.Context, actor, item string) (*WrappedKey, error) {
	if _, err := readableItem(ctx, s.Stores, actor, item); err != nil {
		return nil, err
	}
	return s.Stores.Keys.Key(ctx, item, actor)
}

// MyKey calls [Service.MyKey] as l.Actor.
func (l Local) MyKey(ctx context.Context, item string) (*WrappedKey, error) {
	return l.Service.MyKey(ctx, l.Actor, item)
}

// ItemKeys lists an item's wrapped keys, to its owner only.
func (s *Service) ItemKeys(ctx context.Context, actor, item string) ([]*WrappedKey, error) {
	if _, err := ownedItem(ctx, s.Stores, actor, item); err != nil {
		return nil, err
	}
	return s.Stores.Keys.KeysForItem(ctx, item)
}

// ItemKeys calls [Service.ItemKeys] as l.Actor.
func (l Local) ItemKeys(ctx context.Context, item string) ([]*WrappedKey, error) {
	return l.Service.ItemKeys(ctx, l.Actor, item)
}

// Delete removes an item, its keys, shares and links, chains the delete
// event and charges the owner the residual of what the item leaves behind
// (DeletedCharge), all in one transaction; then the payload goes. Owner
// only. The audit log keeps the chain, ending with the delete event.
func (s *Service) Delete(ctx context.Context, actor, id string, ev *Event) error {
	var it *Item
	err := s.atomic(ctx, func(st Stores) error {
		var err error
		if it, err = ownedItem(ctx, st, actor, id); err != nil {
			return err
		}
		if err := s.checkEvent(ctx, st, ev, ActionDelete, actor, id, ""); err != nil {
			return err
		}
		keys, err := st.Keys.KeysForItem(ctx, id)
		if err != nil {
			return err
		}
		ownerKey := &WrappedKey{}
		for _, k := range keys {
			if k.Recipient == actor {
				ownerKey = k
			}
			if err := dropRecipient(ctx, st, id, k.Recipient); err != nil {
				return err
			}
		}
		if err := dropLinks(ctx, st, id); err != nil {
			return err
		}
		if err := st.Items.DeleteItem(ctx, id); err != nil {
			return err
		}
		if err := s.appendAudit(ctx, st, ev); err != nil {
			return err
		}
		head, err := st.Audit.AuditHead(ctx, id)
		if err != nil {
			return err
		}
		_, err = st.Usage.AddUsage(ctx, actor, Usage{Bytes: DeletedCharge(head.Seq) - ItemCharge(it, ownerKey), Items: -1})
		return err
	})
	if err != nil {
		return err
	}
	// Deleted: the payload goes even if the caller's context is cancelled,
	// within a bound.
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postCommitTimeout)
	defer cancel()
	s.dropBlob(post, actor, it.BlobRef)
	s.notify(ctx, Change{Op: OpDelete, Actor: actor, Owner: actor, Item: id, Version: it.Version, Size: it.Size})
	return nil
}

// Delete calls [Service.Delete] as l.Actor.
func (l Local) Delete(ctx context.Context, id string, ev *Event) error {
	return l.Service.Delete(ctx, l.Actor, id, ev)
}

// dropRecipient removes a recipient's key and share records for an item,
// and the spaces no share names any more. ErrNotFound if the recipient
// held no key for the item.
func dropRecipient(ctx context.Context, st Stores, item, recipient string) error {
	if err := st.Keys.DeleteKey(ctx, item, recipient); err != nil {
		return err
	}
	shares, err := st.Shares.SharesForItem(ctx, item)
	if err != nil {
		return err
	}
	for _, sh := range shares {
		if sh.Recipient != recipient {
			continue
		}
		if err := st.Shares.DeleteShare(ctx, sh.ID); err != nil {
			return err
		}
		if sh.Space != "" {
			if err := dropSpace(ctx, st, sh.Space, recipient); err != nil {
				return err
			}
		}
	}
	return nil
}

func dropLinks(ctx context.Context, st Stores, item string) error {
	links, err := st.Links.LinksForItem(ctx, item)
	if err != nil {
		return err
	}
	for _, l := range links {
		if err := st.Links.DeleteLink(ctx, l.ID); err != nil {
			return err
		}
	}
	return nil
}

// signingKey returns a user's registered Ed25519 key.
func signingKey(ctx context.Context, st Stores, user string) (ed25519.PublicKey, error) {
	u, err := st.Users.User(ctx, user)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(u.SigningKey), nil
}

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
