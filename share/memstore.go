package share

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the in-memory reference implementation of every registry. It is
// safe for concurrent use; one mutex guards all of it, which also makes each
// method trivially atomic. [Memory.Atomic] holds the mutex for the whole
// transaction and undoes its writes, newest first, if it fails.
type Memory struct {
	mu *sync.Mutex
	memTables
	tx *memTx // non-nil in the view a transaction hands to its function
}

// memTables are the maps of a Memory, shared by its transaction views.
type memTables struct {
	items       map[string]*Item
	deleted     map[string]string              // item ID -> owner: tombstones
	owned       map[string]map[string]struct{} // owner -> IDs of live items: the listing index
	keys        map[[2]string]*WrappedKey
	users       map[string]*User
	shares      map[string]*Share
	invitations map[string]*Invitation
	connections map[string]*Connection
	spaces      map[string]*Space
	links       map[string]*Link
	audit       map[string][]*AuditEntry
	downloads   map[[2]string]time.Time // (item, actor) -> last claimed download
	usage       map[string]Usage
}

// memTx is the undo log of one transaction.
type memTx struct {
	undo []func()
	done atomic.Bool // set when Atomic returns: a leaked view then locks as Memory does
}

var (
	_ ItemStore       = (*Memory)(nil)
	_ KeyStore        = (*Memory)(nil)
	_ UserStore       = (*Memory)(nil)
	_ ShareStore      = (*Memory)(nil)
	_ InvitationStore = (*Memory)(nil)
	_ ConnectionStore = (*Memory)(nil)
	_ SpaceStore      = (*Memory)(nil)
	_ LinkStore       = (*Memory)(nil)
	_ AuditLog        = (*Memory)(nil)
	_ UsageStore      = (*Memory)(nil)
	_ Transactor      = (*Memory)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{mu: new(sync.Mutex), memTables: memTables{
		items: map[string]*Item{}, deleted: map[string]string{}, owned: map[string]map[string]struct{}{},
		keys: map[[2]string]*WrappedKey{}, users: map[string]*User{},
		shares: map[string]*Share{}, invitations: map[string]*Invitation{},
		connections: map[string]*Connection{}, spaces: map[string]*Space{},
		links: map[string]*Link{}, audit: map[string][]*AuditEntry{},
		downloads: map[[2]string]time.Time{}, usage: map[string]Usage{},
	}}
}

// NewMemoryStores returns Stores backed by one new Memory.
func NewMemoryStores() Stores { return NewMemory().stores() }

func (m *Memory) stores() Stores {
	return Stores{Items: m, Keys: m, Users: m, Shares: m, Invitations: m,
		Connections: m, Spaces: m, Links: m, Audit: m, Usage: m, Tx: m}
}

// Atomic runs fn with stores that write to m under its mutex, held until fn
// returns, and undoes those writes if fn fails or ctx is done. The stores
// fn gets are not for concurrent use; a nested Atomic on them runs fn in
// the same transaction.
func (m *Memory) Atomic(ctx context.Context, fn func(tx Stores) error) error {
	if m.inTx() {
		return fn(m.stores())
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer m.lock()()
	t := &Memory{mu: m.mu, memTables: m.memTables, tx: &memTx{}}
	defer t.tx.done.Store(true)
	ok := false
	defer func() {
		if !ok { // fn failed or panicked
			for i := len(t.tx.undo) - 1; i >= 0; i-- {
				t.tx.undo[i]()
			}
		}
	}()
	err := fn(t.stores())
	if err == nil {
		err = ctx.Err()
	}
	ok = err == nil
	return err
}

func (m *Memory) inTx() bool { return m.tx != nil && !m.tx.done.Load() }

// lock takes m's mutex, unless m is the view of a running transaction,
// which holds it; defer the function it returns.
func (m *Memory) lock() (unlock func()) {
	if m.inTx() {
		return func() {}
	}
	m.mu.Lock()
	return m.mu.Unlock
}

// onUndo adds f to the running transaction's undo log.
func (m *Memory) onUndo(f func()) {
	if m.inTx() {
		m.tx.undo = append(m.tx.undo, f)
	}
}

// set stores v under k in tbl, logging the old entry for undo.
func set[K comparable, V any](m *Memory, tbl map[K]V, k K, v V) {
	old, had := tbl[k]
	m.onUndo(func() {
		if had {
			tbl[k] = old
		} else {
			delete(tbl, k)
		}
	})
	tbl[k] = v
}

// unset deletes k from tbl, logging the old entry for undo.
func unset[K comparable, V any](m *Memory, tbl map[K]V, k K) {
	old, had := tbl[k]
	if !had {
		return
	}
	m.onUndo(func() { tbl[k] = old })
	delete(tbl, k)
}

// index adds (or, if add is false, removes) item id in owner's listing index.
func (m *Memory) index(owner, id string, add bool) {
	ids := m.owned[owner]
	if ids == nil {
		if !add {
			return
		}
		ids = map[string]struct{}{}
		m.owned[owner] = ids
	}
	if add {
		set(m, ids, id, struct{}{})
	} else {
		unset(m, ids, id)
	}
}

func cloneItem(v *Item) *Item {
	c := *v
	c.Header, c.SHA256, c.Manifest = slices.Clone(v.Header), slices.Clone(v.SHA256), slices.Clone(v.Manifest)
	return &c
}

func cloneKey(v *WrappedKey) *WrappedKey {
	c := *v
	c.Record = slices.Clone(v.Record)
	return &c
}

func clonePub(v PublicKey) PublicKey { return PublicKey{Kind: v.Kind, Bytes: slices.Clone(v.Bytes)} }

func cloneUser(v *User) *User {
	c := *v
	c.Keys = make([]PublicKey, len(v.Keys))
	for i := range v.Keys {
		c.Keys[i] = clonePub(v.Keys[i])
	}
	c.SigningKey, c.Bundle = slices.Clone(v.SigningKey), slices.Clone(v.Bundle)
	if v.LogIndex != nil {
		i := *v.LogIndex
		c.LogIndex = &i
	}
	return &c
}

func cloneShare(v *Share) *Share { c := *v; return &c }

func cloneInvitation(v *Invitation) *Invitation {
	c := *v
	c.InviterKey, c.TokenHash = clonePub(v.InviterKey), slices.Clone(v.TokenHash)
	return &c
}

func cloneConnection(v *Connection) *Connection {
	c := *v
	c.InviterKey, c.InviteeKey = clonePub(v.InviterKey), clonePub(v.InviteeKey)
	return &c
}

func cloneSpace(v *Space) *Space {
	c := *v
	c.SharerKey, c.RecipientKey, c.ClaimedKey = slices.Clone(v.SharerKey), slices.Clone(v.RecipientKey), slices.Clone(v.ClaimedKey)
	return &c
}

func cloneLink(v *Link) *Link {
	c := *v
	c.Salt, c.WrappedKey, c.VerifierHash = slices.Clone(v.Salt), slices.Clone(v.WrappedKey), slices.Clone(v.VerifierHash)
	return &c
}

func cloneEntry(v *AuditEntry) *AuditEntry {
	c := *v
	c.Prev, c.Hash = slices.Clone(v.Prev), slices.Clone(v.Hash)
	c.Event.Nonce, c.Event.Signature = slices.Clone(v.Event.Nonce), slices.Clone(v.Event.Signature)
	return &c
}

// create, get, del and change are the shared bodies of the per-record
// methods. A stored record is never changed in place: change stores a
// changed copy, so that undo can put the old one back.
func create[K comparable, V any](m *Memory, tbl map[K]*V, k K, v *V, clone func(*V) *V) error {
	defer m.lock()()
	if _, ok := tbl[k]; ok {
		return ErrExists
	}
	set(m, tbl, k, clone(v))
	return nil
}

func get[K comparable, V any](m *Memory, tbl map[K]*V, k K, clone func(*V) *V) (*V, error) {
	defer m.lock()()
	v, ok := tbl[k]
	if !ok {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

func del[K comparable, V any](m *Memory, tbl map[K]*V, k K) error {
	defer m.lock()()
	if _, ok := tbl[k]; !ok {
		return ErrNotFound
	}
	unset(m, tbl, k)
	return nil
}

// change applies fn to a copy of the record under k and stores the copy if
// fn returns nil.
func change[K comparable, V any](m *Memory, tbl map[K]*V, k K, fn func(*V) error) error {
	defer m.lock()()
	v, ok := tbl[k]
	if !ok {
		return ErrNotFound
	}
	c := *v
	if err := fn(&c); err != nil {
		return err
	}
	set(m, tbl, k, &c)
	return nil
}

// CreateItem implements [ItemStore.CreateItem].
func (m *Memory) CreateItem(_ context.Context, it *Item) error {
	defer m.lock()()
	if _, ok := m.deleted[it.ID]; ok {
		return ErrExists
	}
	if _, ok := m.items[it.ID]; ok {
		return ErrExists
	}
	set(m, m.items, it.ID, cloneItem(it))
	m.index(it.Owner, it.ID, true)
	return nil
}

// Item implements [ItemStore.Item].
func (m *Memory) Item(_ context.Context, id string) (*Item, error) {
	return get(m, m.items, id, cloneItem)
}

// UpdateItem implements [ItemStore.UpdateItem].
func (m *Memory) UpdateItem(_ context.Context, it *Item, prevVersion uint64) error {
	defer m.lock()()
	old, ok := m.items[it.ID]
	if !ok {
		return ErrNotFound
	}
	if old.Version != prevVersion {
		return ErrConflict
	}
	set(m, m.items, it.ID, cloneItem(it))
	m.index(old.Owner, it.ID, false)
	m.index(it.Owner, it.ID, true)
	return nil
}

// DeleteItem implements [ItemStore.DeleteItem].
func (m *Memory) DeleteItem(_ context.Context, id string) error {
	defer m.lock()()
	it, ok := m.items[id]
	if !ok {
		return ErrNotFound
	}
	unset(m, m.items, id)
	m.index(it.Owner, id, false)
	set(m, m.deleted, id, it.Owner)
	return nil
}

// OwnedItems sorts the owner's items from the listing index: its cost
// grows with the number of items owner has, not with all items.
func (m *Memory) OwnedItems(_ context.Context, owner string, sort ItemSort, after string, limit int) ([]*Item, error) {
	if err := CheckPage(sort, after, limit); err != nil {
		return nil, err
	}
	defer m.lock()()
	type entry struct {
		cursor string
		it     *Item
	}
	var page []entry
	for id := range m.owned[owner] {
		it := m.items[id]
		if c := sort.Cursor(it); c > after {
			page = append(page, entry{c, it})
		}
	}
	slices.SortFunc(page, func(a, b entry) int { return strings.Compare(a.cursor, b.cursor) })
	out := make([]*Item, 0, min(limit, len(page)))
	for _, e := range page[:min(limit, len(page))] {
		out = append(out, cloneItem(e.it))
	}
	return out, nil
}

// DeletedItem implements [ItemStore.DeletedItem].
func (m *Memory) DeletedItem(_ context.Context, id string) (string, error) {
	defer m.lock()()
	owner, ok := m.deleted[id]
	if !ok {
		return "", ErrNotFound
	}
	return owner, nil
}

// PutKey implements [KeyStore.PutKey].
func (m *Memory) PutKey(_ context.Context, k *WrappedKey) error {
	return create(m, m.keys, [2]string{k.Item, k.Recipient}, k, cloneKey)
}

// Key implements [KeyStore.Key].
func (m *Memory) Key(_ context.Context, item, recipient string) (*WrappedKey, error) {
	return get(m, m.keys, [2]string{item, recipient}, cloneKey)
}

// KeysForItem implements [KeyStore.KeysForItem].
func (m *Memory) KeysForItem(_ context.Context, item string) ([]*WrappedKey, error) {
	defer m.lock()()
	var out []*WrappedKey
	for k, v := range m.keys {
		if k[0] == item {
			out = append(out, cloneKey(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Recipient < out[j].Recipient })
	return out, nil
}

// DeleteKey implements [KeyStore.DeleteKey].
func (m *Memory) DeleteKey(_ context.Context, item, recipient string) error {
	return del(m, m.keys, [2]string{item, recipient})
}

// CreateUser implements [UserStore.CreateUser].
func (m *Memory) CreateUser(_ context.Context, u *User) error {
	return create(m, m.users, u.ID, u, cloneUser)
}

// User implements [UserStore.User].
func (m *Memory) User(_ context.Context, id string) (*User, error) {
	return get(m, m.users, id, cloneUser)
}

// CreateShare implements [ShareStore.CreateShare].
func (m *Memory) CreateShare(_ context.Context, s *Share) error {
	return create(m, m.shares, s.ID, s, cloneShare)
}

// Share implements [ShareStore.Share].
func (m *Memory) Share(_ context.Context, id string) (*Share, error) {
	return get(m, m.shares, id, cloneShare)
}
func (m *Memory) sharesWhere(pred func(*Share) bool) []*Share {
	defer m.lock()()
	var out []*Share
	for _, v := range m.shares {
		if pred(v) {
			out = append(out, cloneShare(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SharesForRecipient implements [ShareStore.SharesForRecipient].
func (m *Memory) SharesForRecipient(_ context.Context, user string) ([]*Share, error) {
	return m.sharesWhere(func(s *Share) bool { return s.Recipient == user }), nil
}

// SharesForItem implements [ShareStore.SharesForItem].
func (m *Memory) SharesForItem(_ context.Context, item string) ([]*Share, error) {
	return m.sharesWhere(func(s *Share) bool { return s.Item == item }), nil
}

// DeleteShare implements [ShareStore.DeleteShare].
func (m *Memory) DeleteShare(_ context.Context, id string) error { return del(m, m.shares, id) }

// CreateInvitation implements [InvitationStore.CreateInvitation].
func (m *Memory) CreateInvitation(_ context.Context, in *Invitation) error {
	return create(m, m.invitations, in.ID, in, cloneInvitation)
}

// Invitation implements [InvitationStore.Invitation].
func (m *Memory) Invitation(_ context.Context, id string) (*Invitation, error) {
	return get(m, m.invitations, id, cloneInvitation)
}

// UseInvitation implements [InvitationStore.UseInvitation].
func (m *Memory) UseInvitation(_ context.Context, id string) error {
	return change(m, m.invitations, id, func(in *Invitation) error {
		if in.Used {
			return ErrConflict
		}
		in.Used = true
		return nil
	})
}

// InvitationsFrom implements [InvitationStore.InvitationsFrom].
func (m *Memory) InvitationsFrom(_ context.Context, inviter string) ([]*Invitation, error) {
	defer m.lock()()
	var out []*Invitation
	for _, v := range m.invitations {
		if v.Inviter == inviter {
			out = append(out, cloneInvitation(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteInvitation implements [InvitationStore.DeleteInvitation].
func (m *Memory) DeleteInvitation(_ context.Context, id string) error {
	return del(m, m.invitations, id)
}

// CreateConnection implements [ConnectionStore.CreateConnection].
func (m *Memory) CreateConnection(_ context.Context, c *Connection) error {
	return create(m, m.connections, c.ID, c, cloneConnection)
}

// Connection implements [ConnectionStore.Connection].
func (m *Memory) Connection(_ context.Context, id string) (*Connection, error) {
	return get(m, m.connections, id, cloneConnection)
}

// CreateSpace implements [SpaceStore.CreateSpace].
func (m *Memory) CreateSpace(_ context.Context, s *Space) error {
	return create(m, m.spaces, s.ID, s, cloneSpace)
}

// Space implements [SpaceStore.Space].
func (m *Memory) Space(_ context.Context, id string) (*Space, error) {
	return get(m, m.spaces, id, cloneSpace)
}

// ClaimSpace implements [SpaceStore.ClaimSpace].
func (m *Memory) ClaimSpace(_ context.Context, id string, claimed []byte) error {
	return change(m, m.spaces, id, func(s *Space) error {
		if len(s.ClaimedKey) != 0 {
			return ErrConflict
		}
		s.ClaimedKey = slices.Clone(claimed)
		return nil
	})
}

// SpacesFrom implements [SpaceStore.SpacesFrom].
func (m *Memory) SpacesFrom(_ context.Context, sharer string) ([]*Space, error) {
	defer m.lock()()
	var out []*Space
	for _, v := range m.spaces {
		if v.Sharer == sharer {
			out = append(out, cloneSpace(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeleteSpace implements [SpaceStore.DeleteSpace].
func (m *Memory) DeleteSpace(_ context.Context, id string) error { return del(m, m.spaces, id) }

// CreateLink implements [LinkStore.CreateLink].
func (m *Memory) CreateLink(_ context.Context, l *Link) error {
	return create(m, m.links, l.ID, l, cloneLink)
}

// Link implements [LinkStore.Link].
func (m *Memory) Link(_ context.Context, id string) (*Link, error) {
	return get(m, m.links, id, cloneLink)
}

// LinksForItem implements [LinkStore.LinksForItem].
func (m *Memory) LinksForItem(_ context.Context, item string) ([]*Link, error) {
	defer m.lock()()
	var out []*Link
	for _, v := range m.links {
		if v.Item == item {
			out = append(out, cloneLink(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ConsumeDownload implements [LinkStore.ConsumeDownload].
func (m *Memory) ConsumeDownload(_ context.Context, id string, now time.Time) (int, error) {
	remaining := 0
	err := change(m, m.links, id, func(l *Link) error {
		if !now.Before(l.Expires) {
			return ErrExpired
		}
		if l.Remaining <= 0 {
			return ErrExhausted
		}
		l.Remaining--
		remaining = l.Remaining
		return nil
	})
	return remaining, err
}

// ReserveAttempt implements [LinkStore.ReserveAttempt].
func (m *Memory) ReserveAttempt(_ context.Context, id string, max int) (int, error) {
	failures := 0
	err := change(m, m.links, id, func(l *Link) error {
		if l.Failures >= max {
			return ErrLocked
		}
		l.Failures++
		failures = l.Failures
		return nil
	})
	return failures, err
}

// ReleaseAttempt implements [LinkStore.ReleaseAttempt].
func (m *Memory) ReleaseAttempt(_ context.Context, id string) error {
	return change(m, m.links, id, func(l *Link) error {
		l.Failures = max(l.Failures-1, 0)
		return nil
	})
}

// DeleteLink implements [LinkStore.DeleteLink].
func (m *Memory) DeleteLink(_ context.Context, id string) error { return del(m, m.links, id) }

// AppendAudit implements [AuditLog.AppendAudit].
func (m *Memory) AppendAudit(_ context.Context, e *AuditEntry) error {
	defer m.lock()()
	item := e.Event.Item
	chain := m.audit[item]
	prev := genesis(item)
	if n := len(chain); n > 0 {
		prev = chain[n-1].Hash
	}
	if e.Seq != uint64(len(chain))+1 || !bytes.Equal(e.Prev, prev) {
		return ErrConflict
	}
	set(m, m.audit, item, append(chain, cloneEntry(e)))
	return nil
}

// AuditEntries implements [AuditLog.AuditEntries].
func (m *Memory) AuditEntries(_ context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	if limit < 1 {
		return nil, invalid("audit page limit")
	}
	defer m.lock()()
	chain := m.audit[item]
	if after >= uint64(len(chain)) {
		return nil, nil
	}
	page := chain[after:min(uint64(len(chain)), after+uint64(limit))]
	out := make([]*AuditEntry, len(page))
	for i, e := range page {
		out[i] = cloneEntry(e)
	}
	return out, nil
}

// AuditHead implements [AuditLog.AuditHead].
func (m *Memory) AuditHead(_ context.Context, item string) (*AuditEntry, error) {
	defer m.lock()()
	chain := m.audit[item]
	if len(chain) == 0 {
		return nil, ErrNotFound
	}
	return cloneEntry(chain[len(chain)-1]), nil
}

// ClaimDownload implements [AuditLog.ClaimDownload].
func (m *Memory) ClaimDownload(_ context.Context, item, actor string, now time.Time, window time.Duration) (bool, error) {
	defer m.lock()()
	k := [2]string{item, actor}
	if last, ok := m.downloads[k]; ok && withinWindow(last, now, window) {
		return false, nil
	}
	set(m, m.downloads, k, now)
	return true, nil
}

// ReleaseDownload implements [AuditLog.ReleaseDownload].
func (m *Memory) ReleaseDownload(_ context.Context, item, actor string, claimed time.Time) error {
	defer m.lock()()
	k := [2]string{item, actor}
	if last, ok := m.downloads[k]; ok && last.Equal(claimed) {
		unset(m, m.downloads, k)
	}
	return nil
}

// AddUsage implements [UsageStore.AddUsage].
func (m *Memory) AddUsage(_ context.Context, owner string, d Usage) (Usage, error) {
	defer m.lock()()
	u := m.usage[owner].Plus(d)
	set(m, m.usage, owner, u)
	return u, nil
}

// Usage implements [UsageStore.Usage].
func (m *Memory) Usage(_ context.Context, owner string) (Usage, error) {
	defer m.lock()()
	return m.usage[owner], nil
}
