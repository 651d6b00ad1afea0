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
// its Authenticate hook.
type Service struct {
	Stores Stores
	Blobs  BlobStore
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

// Upload is an item record with its wrapped keys. PrevVersion is 0 to
// create the item, or the version it replaces (rotation).
type Upload struct {
	Item        *Item         `json:"item"`
	Keys        []*WrappedKey `json:"keys"`
	PrevVersion uint64        `json:"prev_version,omitempty"`
}

// Validate checks field formats and limits.
func (u *Upload) Validate() error {
	if u.Item == nil {
		return invalid("upload without item")
	}
	if err := u.Item.Validate(); err != nil {
		return err
	}
	if len(u.Keys) == 0 || len(u.Keys) > maxKeysPerItem {
		return invalid("an upload carries 1 to %d keys", maxKeysPerItem)
	}
	for _, k := range u.Keys {
		if k == nil {
			return invalid("nil key")
		}
		if err := k.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// maxKeysPerItem caps the recipients of one item version.
const maxKeysPerItem = 1024

// postCommitTimeout bounds what Upload does after its payload is stored,
// and Delete after the item is.
const postCommitTimeout = 30 * time.Second

// PublishUser registers actor's directory entry.
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
	c.Created = s.now()
	return s.Stores.Users.CreateUser(ctx, c)
}

// User returns a directory entry; any authenticated user may look one up.
func (s *Service) User(ctx context.Context, actor, id string) (*User, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	return s.Stores.Users.User(ctx, id)
}

// ownedItem returns the item if actor owns it.
func (s *Service) ownedItem(ctx context.Context, actor, id string) (*Item, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	it, err := s.Stores.Items.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Owner != actor {
		return nil, ErrPermission
	}
	return it, nil
}

// readableItem returns the item if actor owns it or holds a wrapped key for it.
func (s *Service) readableItem(ctx context.Context, actor, id string) (*Item, error) {
	if err := checkIDs(id); err != nil {
		return nil, err
	}
	it, err := s.Stores.Items.Item(ctx, id)
	if err != nil {
		return nil, err
	}
	if it.Owner == actor {
		return it, nil
	}
	if _, err := s.Stores.Keys.Key(ctx, id, actor); err != nil {
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
// audited). The header must be exactly one envelope header. The payload goes
// under a fresh blob name, so a racing upload that loses never removes the
// winner's. It returns the stored record with SHA256, Size and BlobRef set.
func (s *Service) Upload(ctx context.Context, actor string, up *Upload, blob io.Reader) (*Item, error) {
	if up == nil {
		return nil, invalid("no upload")
	}
	if err := up.Validate(); err != nil {
		return nil, err
	}
	it := cloneItem(up.Item)
	if it.Owner != actor {
		return nil, ErrPermission
	}
	if it.Version != up.PrevVersion+1 {
		return nil, invalid("version must follow the previous one")
	}
	if err := checkItemHeader(it.Header); err != nil {
		return nil, err
	}
	var old *Item
	allowed := map[string]string{actor: ""} // recipient -> space
	if up.PrevVersion == 0 {
		// A live or deleted ID is refused here, before the payload is
		// read, not by CreateItem after it was streamed and stored.
		if _, err := s.Stores.Items.Item(ctx, it.ID); err == nil {
			return nil, ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if _, err := s.Stores.Items.DeletedItem(ctx, it.ID); err == nil {
			return nil, ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	} else {
		var err error
		if old, err = s.ownedItem(ctx, actor, it.ID); err != nil {
			return nil, err
		}
		if old.Version != up.PrevVersion {
			return nil, ErrConflict
		}
		keys, err := s.Stores.Keys.KeysForItem(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			allowed[k.Recipient] = k.Space
		}
	}
	seen := map[string]bool{}
	for _, k := range up.Keys {
		space, ok := allowed[k.Recipient]
		if k.Item != it.ID || k.Version != it.Version || !ok || space != k.Space || seen[k.Recipient] {
			return nil, fmt.Errorf("%w: key for %q not allowed in this upload", ErrPermission, k.Recipient)
		}
		seen[k.Recipient] = true
	}
	if !seen[actor] {
		return nil, invalid("the owner's wrapped key is missing")
	}

	// A fresh random name per upload, so that an upload that loses the
	// compare-and-swap below deletes only its own blob, never the winner's.
	// NewID holds no dot: it never equals an <id>.<version> name that
	// earlier releases wrote.
	it.BlobRef = NewID()
	max := orDefault(s.MaxBlobSize, DefaultMaxBlobSize)
	h := sha256.New()
	lr := &io.LimitedReader{R: blob, N: max + 1}
	n, err := s.Blobs.Put(ctx, it.BlobRef, io.TeeReader(lr, h))
	if err != nil {
		return nil, err
	}
	// Cleanup and the steps after the commit run to the end even if the
	// caller's context is cancelled (a client gone), within a bound.
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postCommitTimeout)
	defer cancel()
	if n > max {
		s.Blobs.Delete(post, it.BlobRef)
		return nil, ErrTooLarge
	}
	it.SHA256, it.Size, it.Created = h.Sum(nil), n, s.now()

	if old == nil {
		if err := s.Stores.Items.CreateItem(ctx, it); err != nil {
			s.Blobs.Delete(post, it.BlobRef)
			return nil, err
		}
	} else {
		if err := s.Stores.Items.UpdateItem(ctx, it, old.Version); err != nil {
			s.Blobs.Delete(post, it.BlobRef)
			return nil, err
		}
		// The old version's keys and links open the old DEK only: drop them.
		for r := range allowed {
			if !seen[r] {
				s.dropRecipient(post, it.ID, r)
			} else {
				s.Stores.Keys.DeleteKey(post, it.ID, r)
			}
		}
		s.dropLinks(post, it.ID)
		s.Blobs.Delete(post, old.BlobRef)
	}
	for _, k := range up.Keys {
		c := cloneKey(k)
		c.Created = it.Created
		if err := s.Stores.Keys.PutKey(post, c); err != nil {
			return nil, err
		}
	}
	return cloneItem(it), nil
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
	return s.readableItem(ctx, actor, id)
}

// Download returns the payload of an item to its owner or a recipient,
// after chaining ev (a signed ActionDownload event) into the item's audit log.
func (s *Service) Download(ctx context.Context, actor, id string, ev *Event) (io.ReadCloser, error) {
	it, err := s.readableItem(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, ev, ActionDownload, actor, id, ""); err != nil {
		return nil, err
	}
	return s.Blobs.Get(ctx, it.BlobRef)
}

// MyKey returns actor's wrapped key for an item.
func (s *Service) MyKey(ctx context.Context, actor, item string) (*WrappedKey, error) {
	if _, err := s.readableItem(ctx, actor, item); err != nil {
		return nil, err
	}
	return s.Stores.Keys.Key(ctx, item, actor)
}

// ItemKeys lists an item's wrapped keys, to its owner only.
func (s *Service) ItemKeys(ctx context.Context, actor, item string) ([]*WrappedKey, error) {
	if _, err := s.ownedItem(ctx, actor, item); err != nil {
		return nil, err
	}
	return s.Stores.Keys.KeysForItem(ctx, item)
}

// Delete removes an item, its payload, keys, shares and links; owner only.
// The audit log keeps the chain, ending with the delete event.
func (s *Service) Delete(ctx context.Context, actor, id string, ev *Event) error {
	it, err := s.ownedItem(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := s.checkEvent(ctx, ev, ActionDelete, actor, id, ""); err != nil {
		return err
	}
	keys, err := s.Stores.Keys.KeysForItem(ctx, id)
	if err != nil {
		return err
	}
	for _, k := range keys {
		s.dropRecipient(ctx, id, k.Recipient)
	}
	s.dropLinks(ctx, id)
	if err := s.Stores.Items.DeleteItem(ctx, id); err != nil {
		return err
	}
	// Deleted: the payload goes and the event is chained even if the
	// caller's context is cancelled, within a bound.
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postCommitTimeout)
	defer cancel()
	if err := s.Blobs.Delete(post, it.BlobRef); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.appendAudit(post, ev)
}

// dropRecipient removes a recipient's key and share records for an item,
// and the spaces no share names any more.
func (s *Service) dropRecipient(ctx context.Context, item, recipient string) error {
	err := s.Stores.Keys.DeleteKey(ctx, item, recipient)
	shares, lerr := s.Stores.Shares.SharesForItem(ctx, item)
	if lerr != nil {
		return lerr
	}
	for _, sh := range shares {
		if sh.Recipient == recipient {
			s.Stores.Shares.DeleteShare(ctx, sh.ID)
			if sh.Space != "" {
				s.dropSpace(ctx, sh.Space, recipient)
			}
		}
	}
	return err
}

func (s *Service) dropLinks(ctx context.Context, item string) {
	links, err := s.Stores.Links.LinksForItem(ctx, item)
	if err != nil {
		return
	}
	for _, l := range links {
		s.Stores.Links.DeleteLink(ctx, l.ID)
	}
}

// signingKey returns a user's registered Ed25519 key.
func (s *Service) signingKey(ctx context.Context, user string) (ed25519.PublicKey, error) {
	u, err := s.Stores.Users.User(ctx, user)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(u.SigningKey), nil
}
