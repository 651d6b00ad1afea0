package share

import (
	"context"
	"time"
)

// The registries a Service runs on. Each is small, context first, records in
// and records out; errors are the storage codes (ErrNotFound, ErrExists,
// ErrConflict) plus, for links, ErrExpired and ErrExhausted. Implementations
// must copy records in and out, and be safe for concurrent use. The suites in
// share/sharetest check all of this; every backend must pass them.

// ItemStore holds item records.
type ItemStore interface {
	CreateItem(ctx context.Context, it *Item) error // ErrExists
	Item(ctx context.Context, id string) (*Item, error)
	// UpdateItem replaces the record if its stored version is prevVersion,
	// else ErrConflict.
	UpdateItem(ctx context.Context, it *Item, prevVersion uint64) error
	DeleteItem(ctx context.Context, id string) error
}

// KeyStore is the wrapped-key registry: one record per (item, recipient).
type KeyStore interface {
	PutKey(ctx context.Context, k *WrappedKey) error // ErrExists
	Key(ctx context.Context, item, recipient string) (*WrappedKey, error)
	KeysForItem(ctx context.Context, item string) ([]*WrappedKey, error)
	DeleteKey(ctx context.Context, item, recipient string) error
}

// UserStore is the users directory.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error // ErrExists
	User(ctx context.Context, id string) (*User, error)
}

// ShareStore holds share records.
type ShareStore interface {
	CreateShare(ctx context.Context, s *Share) error // ErrExists
	Share(ctx context.Context, id string) (*Share, error)
	SharesForRecipient(ctx context.Context, user string) ([]*Share, error)
	SharesForItem(ctx context.Context, item string) ([]*Share, error)
	DeleteShare(ctx context.Context, id string) error
}

// InvitationStore holds invitations.
type InvitationStore interface {
	CreateInvitation(ctx context.Context, in *Invitation) error // ErrExists
	Invitation(ctx context.Context, id string) (*Invitation, error)
	// UseInvitation marks it used; ErrConflict if it already was. Exactly
	// one of any number of concurrent calls succeeds.
	UseInvitation(ctx context.Context, id string) error
}

// ConnectionStore holds connections.
type ConnectionStore interface {
	CreateConnection(ctx context.Context, c *Connection) error // ErrExists
	Connection(ctx context.Context, id string) (*Connection, error)
}

// SpaceStore holds encryption spaces.
type SpaceStore interface {
	CreateSpace(ctx context.Context, s *Space) error // ErrExists
	Space(ctx context.Context, id string) (*Space, error)
	// ClaimSpace sets ClaimedKey once; ErrConflict if already set.
	ClaimSpace(ctx context.Context, id string, claimed []byte) error
	DeleteSpace(ctx context.Context, id string) error
}

// LinkStore holds public links.
type LinkStore interface {
	CreateLink(ctx context.Context, l *Link) error // ErrExists
	Link(ctx context.Context, id string) (*Link, error)
	LinksForItem(ctx context.Context, item string) ([]*Link, error)
	// ConsumeDownload atomically takes one download: ErrExpired if now is
	// not before Expires, ErrExhausted if none remain, else the count left.
	// Concurrent calls never take more than MaxDownloads in all.
	ConsumeDownload(ctx context.Context, id string, now time.Time) (remaining int, err error)
	// AddFailure atomically counts a wrong proof and returns the new total.
	AddFailure(ctx context.Context, id string) (failures int, err error)
	DeleteLink(ctx context.Context, id string) error
}

// AuditLog holds one hash chain per item.
type AuditLog interface {
	// AppendAudit adds e to the chain of e.Event.Item if e.Seq is one more
	// than the last entry's (1 for the first) and e.Prev is its Hash (the
	// genesis hash for the first); else ErrConflict. The store checks
	// sequence and Prev only; the Service computes and checks hashes.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	AuditEntries(ctx context.Context, item string) ([]*AuditEntry, error)
	// AuditHead returns the last entry of an item's chain, ErrNotFound if
	// it has none.
	AuditHead(ctx context.Context, item string) (*AuditEntry, error)
}

// Stores bundles the registries a Service runs on.
type Stores struct {
	Items       ItemStore
	Keys        KeyStore
	Users       UserStore
	Shares      ShareStore
	Invitations InvitationStore
	Connections ConnectionStore
	Spaces      SpaceStore
	Links       LinkStore
	Audit       AuditLog
}

// GenesisHash returns Prev of the first audit entry of item.
func GenesisHash(item string) []byte { return genesis(item) }
