package share

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// Memory is the in-memory reference implementation of every registry. It is
// safe for concurrent use; one mutex guards all of it, which also makes each
// method trivially atomic.
type Memory struct {
	mu          sync.Mutex
	items       map[string]*Item
	deleted     map[string]string // item ID -> owner: tombstones
	keys        map[[2]string]*WrappedKey
	users       map[string]*User
	shares      map[string]*Share
	invitations map[string]*Invitation
	connections map[string]*Connection
	spaces      map[string]*Space
	links       map[string]*Link
	audit       map[string][]*AuditEntry
	downloads   map[[2]string]time.Time // (item, actor) -> last claimed download
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
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		items: map[string]*Item{}, deleted: map[string]string{}, keys: map[[2]string]*WrappedKey{}, users: map[string]*User{},
		shares: map[string]*Share{}, invitations: map[string]*Invitation{},
		connections: map[string]*Connection{}, spaces: map[string]*Space{},
		links: map[string]*Link{}, audit: map[string][]*AuditEntry{},
		downloads: map[[2]string]time.Time{},
	}
}

// NewMemoryStores returns Stores backed by one new Memory.
func NewMemoryStores() Stores {
	m := NewMemory()
	return tmpFill(Stores{Items: m, Keys: m, Users: m, Shares: m, Invitations: m,
		Connections: m, Spaces: m, Links: m, Audit: m})
}

func cloneItem(v *Item) *Item {
	c := *v
	c.Header, c.SHA256 = slices.Clone(v.Header), slices.Clone(v.SHA256)
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
	c.SigningKey = slices.Clone(v.SigningKey)
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

// create, get and del are the shared bodies of the per-record methods.
func create[K comparable, V any](m *Memory, tbl map[K]*V, k K, v *V, clone func(*V) *V) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := tbl[k]; ok {
		return ErrExists
	}
	tbl[k] = clone(v)
	return nil
}

func get[K comparable, V any](m *Memory, tbl map[K]*V, k K, clone func(*V) *V) (*V, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := tbl[k]
	if !ok {
		return nil, ErrNotFound
	}
	return clone(v), nil
}

func del[K comparable, V any](m *Memory, tbl map[K]*V, k K) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := tbl[k]; !ok {
		return ErrNotFound
	}
	delete(tbl, k)
	return nil
}

func (m *Memory) CreateItem(_ context.Context, it *Item) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.deleted[it.ID]; ok {
		return ErrExists
	}
	if _, ok := m.items[it.ID]; ok {
		return ErrExists
	}
	m.items[it.ID] = cloneItem(it)
	return nil
}
func (m *Memory) Item(_ context.Context, id string) (*Item, error) {
	return get(m, m.items, id, cloneItem)
}
func (m *Memory) UpdateItem(_ context.Context, it *Item, prevVersion uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.items[it.ID]
	if !ok {
		return ErrNotFound
	}
	if old.Version != prevVersion {
		return ErrConflict
	}
	m.items[it.ID] = cloneItem(it)
	return nil
}
func (m *Memory) DeleteItem(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	if !ok {
		return ErrNotFound
	}
	delete(m.items, id)
	m.deleted[id] = it.Owner
	return nil
}
func (m *Memory) DeletedItem(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	owner, ok := m.deleted[id]
	if !ok {
		return "", ErrNotFound
	}
	return owner, nil
}

func (m *Memory) PutKey(_ context.Context, k *WrappedKey) error {
	return create(m, m.keys, [2]string{k.Item, k.Recipient}, k, cloneKey)
}
func (m *Memory) Key(_ context.Context, item, recipient string) (*WrappedKey, error) {
	return get(m, m.keys, [2]string{item, recipient}, cloneKey)
}
func (m *Memory) KeysForItem(_ context.Context, item string) ([]*WrappedKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*WrappedKey
	for k, v := range m.keys {
		if k[0] == item {
			out = append(out, cloneKey(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Recipient < out[j].Recipient })
	return out, nil
}
func (m *Memory) DeleteKey(_ context.Context, item, recipient string) error {
	return del(m, m.keys, [2]string{item, recipient})
}

func (m *Memory) CreateUser(_ context.Context, u *User) error {
	return create(m, m.users, u.ID, u, cloneUser)
}
func (m *Memory) User(_ context.Context, id string) (*User, error) {
	return get(m, m.users, id, cloneUser)
}

func (m *Memory) CreateShare(_ context.Context, s *Share) error {
	return create(m, m.shares, s.ID, s, cloneShare)
}
func (m *Memory) Share(_ context.Context, id string) (*Share, error) {
	return get(m, m.shares, id, cloneShare)
}
func (m *Memory) sharesWhere(pred func(*Share) bool) []*Share {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Share
	for _, v := range m.shares {
		if pred(v) {
			out = append(out, cloneShare(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
func (m *Memory) SharesForRecipient(_ context.Context, user string) ([]*Share, error) {
	return m.sharesWhere(func(s *Share) bool { return s.Recipient == user }), nil
}
func (m *Memory) SharesForItem(_ context.Context, item string) ([]*Share, error) {
	return m.sharesWhere(func(s *Share) bool { return s.Item == item }), nil
}
func (m *Memory) DeleteShare(_ context.Context, id string) error { return del(m, m.shares, id) }

func (m *Memory) CreateInvitation(_ context.Context, in *Invitation) error {
	return create(m, m.invitations, in.ID, in, cloneInvitation)
}
func (m *Memory) Invitation(_ context.Context, id string) (*Invitation, error) {
	return get(m, m.invitations, id, cloneInvitation)
}
func (m *Memory) UseInvitation(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.invitations[id]
	if !ok {
		return ErrNotFound
	}
	if in.Used {
		return ErrConflict
	}
	in.Used = true
	return nil
}

func (m *Memory) InvitationsFrom(_ context.Context, inviter string) ([]*Invitation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Invitation
	for _, v := range m.invitations {
		if v.Inviter == inviter {
			out = append(out, cloneInvitation(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (m *Memory) DeleteInvitation(_ context.Context, id string) error {
	return del(m, m.invitations, id)
}

func (m *Memory) CreateConnection(_ context.Context, c *Connection) error {
	return create(m, m.connections, c.ID, c, cloneConnection)
}
func (m *Memory) Connection(_ context.Context, id string) (*Connection, error) {
	return get(m, m.connections, id, cloneConnection)
}

func (m *Memory) CreateSpace(_ context.Context, s *Space) error {
	return create(m, m.spaces, s.ID, s, cloneSpace)
}
func (m *Memory) Space(_ context.Context, id string) (*Space, error) {
	return get(m, m.spaces, id, cloneSpace)
}
func (m *Memory) ClaimSpace(_ context.Context, id string, claimed []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.spaces[id]
	if !ok {
		return ErrNotFound
	}
	if len(s.ClaimedKey) != 0 {
		return ErrConflict
	}
	s.ClaimedKey = slices.Clone(claimed)
	return nil
}
func (m *Memory) SpacesFrom(_ context.Context, sharer string) ([]*Space, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Space
	for _, v := range m.spaces {
		if v.Sharer == sharer {
			out = append(out, cloneSpace(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (m *Memory) DeleteSpace(_ context.Context, id string) error { return del(m, m.spaces, id) }

func (m *Memory) CreateLink(_ context.Context, l *Link) error {
	return create(m, m.links, l.ID, l, cloneLink)
}
func (m *Memory) Link(_ context.Context, id string) (*Link, error) {
	return get(m, m.links, id, cloneLink)
}
func (m *Memory) LinksForItem(_ context.Context, item string) ([]*Link, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Link
	for _, v := range m.links {
		if v.Item == item {
			out = append(out, cloneLink(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
func (m *Memory) ConsumeDownload(_ context.Context, id string, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return 0, ErrNotFound
	}
	if !now.Before(l.Expires) {
		return 0, ErrExpired
	}
	if l.Remaining <= 0 {
		return 0, ErrExhausted
	}
	l.Remaining--
	return l.Remaining, nil
}
func (m *Memory) ReserveAttempt(_ context.Context, id string, max int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return 0, ErrNotFound
	}
	if l.Failures >= max {
		return 0, ErrLocked
	}
	l.Failures++
	return l.Failures, nil
}
func (m *Memory) ReleaseAttempt(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.links[id]
	if !ok {
		return ErrNotFound
	}
	l.Failures = max(l.Failures-1, 0)
	return nil
}
func (m *Memory) DeleteLink(_ context.Context, id string) error { return del(m, m.links, id) }

func (m *Memory) AppendAudit(_ context.Context, e *AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	item := e.Event.Item
	chain := m.audit[item]
	prev := genesis(item)
	if n := len(chain); n > 0 {
		prev = chain[n-1].Hash
	}
	if e.Seq != uint64(len(chain))+1 || !bytes.Equal(e.Prev, prev) {
		return ErrConflict
	}
	m.audit[item] = append(chain, cloneEntry(e))
	return nil
}
func (m *Memory) AuditEntries(_ context.Context, item string, after uint64, limit int) ([]*AuditEntry, error) {
	if limit < 1 {
		return nil, invalid("audit page limit")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
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
func (m *Memory) AuditHead(_ context.Context, item string) (*AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	chain := m.audit[item]
	if len(chain) == 0 {
		return nil, ErrNotFound
	}
	return cloneEntry(chain[len(chain)-1]), nil
}
func (m *Memory) ClaimDownload(_ context.Context, item, actor string, now time.Time, window time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{item, actor}
	if last, ok := m.downloads[k]; ok && withinWindow(last, now, window) {
		return false, nil
	}
	m.downloads[k] = now
	return true, nil
}
func (m *Memory) ReleaseDownload(_ context.Context, item, actor string, claimed time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{item, actor}
	if last, ok := m.downloads[k]; ok && last.Equal(claimed) {
		delete(m.downloads, k)
	}
	return nil
}
