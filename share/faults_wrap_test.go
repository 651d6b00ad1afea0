package share_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/sealkit/sealkit/share"
)

// errFault is the failure faults injects.
var errFault = errors.New("injected fault")

// faults numbers every write that reaches the stores or the blobs (inside
// a transaction or not) and fails the one numbered failAt (1-based; 0
// fails none). In crash mode every later write fails too, as if the
// process had stopped there: no clean-up step runs, and the transaction in
// progress never commits.
type faults struct {
	mu     sync.Mutex
	n      int
	failAt int
	crash  bool
}

// arm resets the count and fails write k from now on.
func (f *faults) arm(k int, crash bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.failAt, f.crash = 0, k, crash
}

// writes returns the writes counted since arm.
func (f *faults) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// hit counts one write and says whether it fails.
func (f *faults) hit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.failAt > 0 && (f.n == f.failAt || f.crash && f.n > f.failAt) {
		return errFault
	}
	return nil
}

// faultStores wraps every store of st, and the stores each of its
// transactions hands out, so that f sees every write.
func faultStores(st share.Stores, f *faults) share.Stores {
	return share.Stores{
		Items: fItems{st.Items, f}, Keys: fKeys{st.Keys, f}, Users: fUsers{st.Users, f},
		Shares: fShares{st.Shares, f}, Invitations: fInvitations{st.Invitations, f},
		Connections: fConnections{st.Connections, f}, Spaces: fSpaces{st.Spaces, f},
		Links: fLinks{st.Links, f}, Audit: fAudit{st.Audit, f}, Usage: fUsage{st.Usage, f},
		Tx: fTx{st.Tx, f},
	}
}

type fTx struct {
	share.Transactor
	f *faults
}

func (t fTx) Atomic(ctx context.Context, fn func(tx share.Stores) error) error {
	return t.Transactor.Atomic(ctx, func(tx share.Stores) error { return fn(faultStores(tx, t.f)) })
}

type fItems struct {
	share.ItemStore
	f *faults
}

func (s fItems) CreateItem(ctx context.Context, it *share.Item) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ItemStore.CreateItem(ctx, it)
}

func (s fItems) UpdateItem(ctx context.Context, it *share.Item, prev uint64) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ItemStore.UpdateItem(ctx, it, prev)
}

func (s fItems) DeleteItem(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ItemStore.DeleteItem(ctx, id)
}

type fKeys struct {
	share.KeyStore
	f *faults
}

func (s fKeys) PutKey(ctx context.Context, k *share.WrappedKey) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.KeyStore.PutKey(ctx, k)
}

func (s fKeys) DeleteKey(ctx context.Context, item, recipient string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.KeyStore.DeleteKey(ctx, item, recipient)
}

type fUsers struct {
	share.UserStore
	f *faults
}

func (s fUsers) CreateUser(ctx context.Context, u *share.User) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.UserStore.CreateUser(ctx, u)
}

type fShares struct {
	share.ShareStore
	f *faults
}

func (s fShares) CreateShare(ctx context.Context, sh *share.Share) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ShareStore.CreateShare(ctx, sh)
}

func (s fShares) DeleteShare(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ShareStore.DeleteShare(ctx, id)
}

type fInvitations struct {
	share.InvitationStore
	f *faults
}

func (s fInvitations) CreateInvitation(ctx context.Context, in *share.Invitation) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.InvitationStore.CreateInvitation(ctx, in)
}

func (s fInvitations) UseInvitation(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.InvitationStore.UseInvitation(ctx, id)
}

func (s fInvitations) DeleteInvitation(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.InvitationStore.DeleteInvitation(ctx, id)
}

type fConnections struct {
	share.ConnectionStore
	f *faults
}

func (s fConnections) CreateConnection(ctx context.Context, c *share.Connection) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.ConnectionStore.CreateConnection(ctx, c)
}

type fSpaces struct {
	share.SpaceStore
	f *faults
}

func (s fSpaces) CreateSpace(ctx context.Context, sp *share.Space) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.SpaceStore.CreateSpace(ctx, sp)
}

func (s fSpaces) ClaimSpace(ctx context.Context, id string, claimed []byte) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.SpaceStore.ClaimSpace(ctx, id, claimed)
}

func (s fSpaces) DeleteSpace(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.SpaceStore.DeleteSpace(ctx, id)
}

type fLinks struct {
	share.LinkStore
	f *faults
}

func (s fLinks) CreateLink(ctx context.Context, l *share.Link) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.LinkStore.CreateLink(ctx, l)
}

func (s fLinks) ConsumeDownload(ctx context.Context, id string, now time.Time) (int, error) {
	if err := s.f.hit(); err != nil {
		return 0, err
	}
	return s.LinkStore.ConsumeDownload(ctx, id, now)
}

func (s fLinks) ReserveAttempt(ctx context.Context, id string, max int) (int, error) {
	if err := s.f.hit(); err != nil {
		return 0, err
	}
	return s.LinkStore.ReserveAttempt(ctx, id, max)
}

func (s fLinks) ReleaseAttempt(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.LinkStore.ReleaseAttempt(ctx, id)
}

func (s fLinks) DeleteLink(ctx context.Context, id string) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.LinkStore.DeleteLink(ctx, id)
}

type fAudit struct {
	share.AuditLog
	f *faults
}

func (s fAudit) AppendAudit(ctx context.Context, e *share.AuditEntry) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.AuditLog.AppendAudit(ctx, e)
}

func (s fAudit) ClaimDownload(ctx context.Context, item, actor string, now time.Time, window time.Duration) (bool, error) {
	if err := s.f.hit(); err != nil {
		return false, err
	}
	return s.AuditLog.ClaimDownload(ctx, item, actor, now, window)
}

func (s fAudit) ReleaseDownload(ctx context.Context, item, actor string, claimed time.Time) error {
	if err := s.f.hit(); err != nil {
		return err
	}
	return s.AuditLog.ReleaseDownload(ctx, item, actor, claimed)
}

type fUsage struct {
	share.UsageStore
	f *faults
}

func (s fUsage) AddUsage(ctx context.Context, owner string, d share.Usage) (share.Usage, error) {
	if err := s.f.hit(); err != nil {
		return share.Usage{}, err
	}
	return s.UsageStore.AddUsage(ctx, owner, d)
}

// fBlobs counts blob writes through f and keeps the set of blobs stored.
type fBlobs struct {
	share.BlobStore
	f    *faults
	mu   sync.Mutex
	live map[string]bool
}

func (b *fBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := b.f.hit(); err != nil {
		return 0, err
	}
	n, err := b.BlobStore.Put(ctx, key, r)
	if err == nil {
		b.mu.Lock()
		b.live[key] = true
		b.mu.Unlock()
	}
	return n, err
}

func (b *fBlobs) Delete(ctx context.Context, key string) error {
	if err := b.f.hit(); err != nil {
		return err
	}
	err := b.BlobStore.Delete(ctx, key)
	if err == nil {
		b.mu.Lock()
		delete(b.live, key)
		b.mu.Unlock()
	}
	return err
}

// stored returns the keys of the blobs stored.
func (b *fBlobs) stored() map[string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]bool{}
	for k := range b.live {
		out[k] = true
	}
	return out
}
