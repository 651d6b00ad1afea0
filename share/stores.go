package share

import (
	"context"
	"encoding/hex"
	"math"
	"time"
)

// The registries a Service runs on. Each is small, context first, records in
// and records out; errors are the storage codes (ErrNotFound, ErrExists,
// ErrConflict) plus, for links, ErrExpired, ErrExhausted and ErrLocked.
// Implementations must copy records in and out, and be safe for concurrent
// use. The suites in share/sharetest check all of this; every backend must
// pass them.

// ItemStore holds item records. An item ID is used once: deleting an item
// leaves a tombstone naming its owner, so that nobody can create the ID
// again and take over the item's audit chain (SPEC.md §7).
type ItemStore interface {
	// CreateItem stores a new item; ErrExists if the ID is in use or was
	// ever deleted.
	CreateItem(ctx context.Context, it *Item) error
	// Item returns a live item; ErrNotFound if it is missing or deleted.
	Item(ctx context.Context, id string) (*Item, error)
	// UpdateItem replaces the record if its stored version is prevVersion,
	// else ErrConflict; ErrNotFound if it is missing or deleted.
	UpdateItem(ctx context.Context, it *Item, prevVersion uint64) error
	// DeleteItem replaces a live item with its tombstone in one atomic
	// step; ErrNotFound if it is missing or already deleted.
	DeleteItem(ctx context.Context, id string) error
	// DeletedItem returns the owner named by a deleted item's tombstone;
	// ErrNotFound if the item is live or never existed.
	DeletedItem(ctx context.Context, id string) (owner string, err error)
	// OwnedItems returns up to limit live items of owner in the order sort names, after the cursor
	// (the Cursor of the last item of the previous page, "" for the first page).
	// A limit outside 1..MaxPageSize, an unknown sort or a malformed cursor
	// is ErrInvalid. Fewer than limit items means the listing is done. Its
	// cost grows with limit, not with the number of items stored.
	OwnedItems(ctx context.Context, owner string, sort ItemSort, after string, limit int) ([]*Item, error)
}

// MaxPageSize is the largest limit of one [ItemStore.OwnedItems] page.
const MaxPageSize = 1000

// ItemSort names an order of [ItemStore.OwnedItems]: ascending by one
// field the server knows (the stores never see plaintext), ties broken by
// item ID in byte order.
type ItemSort int

const (
	SortByCreated ItemSort = iota // by [Item].Created, oldest first
	SortBySize                    // by [Item].Size, smallest first
	SortByID                      // by [Item].ID in byte order
)

// sortKeyLen is the length of the hexadecimal sort key a cursor of
// SortByCreated or SortBySize begins with.
const sortKeyLen = 24

// Cursor returns the cursor that resumes a listing in order s after it: the
// item's sort key (24 lowercase hexadecimal digits, which sort as the field
// does) followed by its ID, or the ID alone for [SortByID]. Cursors compare
// in byte order as their items sort, so a store may keep them as index
// keys. It returns "" for an unknown sort.
func (s ItemSort) Cursor(it *Item) string {
	var k [sortKeyLen / 2]byte
	switch s {
	case SortByID:
		return it.ID
	case SortByCreated:
		// Seconds with the sign bit flipped, then nanoseconds: byte order
		// is time order for every time, the zero time included.
		putSortKey(k[:], uint64(it.Created.Unix()), uint32(it.Created.Nanosecond()))
	case SortBySize:
		putSortKey(k[:], uint64(it.Size), 0)
	default:
		return ""
	}
	return hex.EncodeToString(k[:]) + it.ID
}

func putSortKey(k []byte, hi uint64, lo uint32) {
	hi ^= 1 << 63
	for i := range 8 {
		k[i] = byte(hi >> (56 - 8*i))
	}
	for i := range 4 {
		k[8+i] = byte(lo >> (24 - 8*i))
	}
}

// CheckCursor returns nil if c may be passed as the after argument of
// [ItemStore.OwnedItems] in order s ("" or a cursor of that form), else
// ErrInvalid. Stores call it before they use a cursor.
func (s ItemSort) CheckCursor(c string) error {
	switch s {
	case SortByID:
	case SortByCreated, SortBySize:
		if c == "" {
			return nil
		}
		if len(c) <= sortKeyLen || !isLowerHex(c[:sortKeyLen]) {
			return invalid("listing cursor")
		}
		c = c[sortKeyLen:]
	default:
		return invalid("listing sort")
	}
	if c != "" && !ValidID(c) {
		return invalid("listing cursor")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckPage returns ErrInvalid unless [ItemStore.OwnedItems] may be called
// with sort, after and limit.
func CheckPage(sort ItemSort, after string, limit int) error {
	if limit < 1 || limit > MaxPageSize {
		return invalid("listing page limit")
	}
	return sort.CheckCursor(after)
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
	// InvitationsFrom lists the invitations inviter created (used or not).
	InvitationsFrom(ctx context.Context, inviter string) ([]*Invitation, error)
	DeleteInvitation(ctx context.Context, id string) error
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
	// SpacesFrom lists the spaces sharer created.
	SpacesFrom(ctx context.Context, sharer string) ([]*Space, error)
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
	// ReserveAttempt atomically takes one proof attempt before the proof is
	// compared: if Failures is below max it increments Failures and returns
	// the new count, else it returns ErrLocked and changes nothing. Of any
	// number of concurrent calls at most max−Failures succeed, so at most
	// max wrong proofs are ever compared.
	ReserveAttempt(ctx context.Context, id string, max int) (failures int, err error)
	// ReleaseAttempt gives back a reserved attempt whose proof was right
	// (decrements Failures, never below zero).
	ReleaseAttempt(ctx context.Context, id string) error
	DeleteLink(ctx context.Context, id string) error
}

// AuditLog holds one hash chain per item. Appending and reading the head
// cost the same however long the chain is; reading is paged.
type AuditLog interface {
	// AppendAudit adds e to the chain of e.Event.Item if e.Seq is one more
	// than the last entry's (1 for the first) and e.Prev is its Hash (the
	// genesis hash for the first); else ErrConflict. The store checks
	// sequence and Prev only; the Service computes and checks hashes.
	// Its cost does not grow with the chain.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditEntries returns up to limit entries of an item's chain with Seq
	// greater than after, oldest first: fewer than limit only at the end of
	// the chain. A limit below 1 is ErrInvalid. Its cost grows with limit,
	// not with the chain.
	AuditEntries(ctx context.Context, item string, after uint64, limit int) ([]*AuditEntry, error)
	// AuditHead returns the last entry of an item's chain, ErrNotFound if
	// it has none. Its cost does not grow with the chain.
	AuditHead(ctx context.Context, item string) (*AuditEntry, error)
	// ClaimDownload decides whether actor's download of item at now is
	// chained: if actor has no claim for item, or its claim is at least
	// window old (or after now), it records now as the claim and returns
	// true; else false. Of concurrent calls within one window exactly one
	// returns true.
	ClaimDownload(ctx context.Context, item, actor string, now time.Time, window time.Duration) (bool, error)
	// ReleaseDownload withdraws the claim made at claimed, whose entry
	// could not be chained, so that the next download is chained; it does
	// nothing if a later claim has replaced it.
	ReleaseDownload(ctx context.Context, item, actor string, claimed time.Time) error
}

// Usage is what an owner's items hold in the stores, as the Service charges it.
type Usage struct{ Bytes, Items int64 }

// Plus returns u changed by d as a [UsageStore] keeps it: each total
// saturates at the int64 range and never goes below 0.
func (u Usage) Plus(d Usage) Usage {
	return Usage{Bytes: addUsage(u.Bytes, d.Bytes), Items: addUsage(u.Items, d.Items)}
}

func addUsage(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a, s < 0:
		return 0
	}
	return s
}

// UsageStore keeps each owner's usage; the Service updates it inside the transaction that commits an
// upload or a delete, so it never disagrees with the items.
type UsageStore interface {
	AddUsage(ctx context.Context, owner string, d Usage) (Usage, error) // returns the new total; a total never goes below 0
	Usage(ctx context.Context, owner string) (Usage, error)             // zero Usage for an unknown owner
}

// Transactor runs fn with stores whose writes all commit, or none do.
//
// The [Stores] handed to fn are bound to the transaction: fn must use them
// and no others of the same backend (a backend may have one connection, held
// by the transaction), must not write blobs (a blob put reads a client's
// stream, which no transaction waits on) and should be short. If fn returns
// an error, or ctx is done before the commit, nothing fn wrote is kept and
// Atomic returns that error; fn's error is returned as it is. A nested
// Atomic on the Stores handed to fn runs in the same transaction. A
// transaction may fail with ErrConflict where a concurrent one changed
// what it read; the caller may retry.
type Transactor interface {
	Atomic(ctx context.Context, fn func(tx Stores) error) error
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
	Usage       UsageStore
	// Tx makes several writes to the stores above one atomic step.
	Tx Transactor
}

// GenesisHash returns Prev of the first audit entry of item.
func GenesisHash(item string) []byte { return genesis(item) }
