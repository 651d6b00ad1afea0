package share

// TEMPORARY copy of the store declarations helper D adds to stores.go and
// memstore.go; deleted when D's work is merged.

import (
	"context"
	"sync"
)

// Transactor runs fn with stores whose writes all commit, or none do.
type Transactor interface {
	Atomic(ctx context.Context, fn func(tx Stores) error) error
}

// Usage is what an owner's items hold in the stores, as the Service charges it.
type Usage struct{ Bytes, Items int64 }

// UsageStore keeps each owner's usage.
type UsageStore interface {
	AddUsage(ctx context.Context, owner string, d Usage) (Usage, error)
	Usage(ctx context.Context, owner string) (Usage, error)
}

// ItemSort names an order of OwnedItems.
type ItemSort int

// Orders of OwnedItems.
const (
	SortByCreated ItemSort = iota
	SortBySize
	SortByID
)

// Cursor encodes it's sort key and ID.
func (s ItemSort) Cursor(it *Item) string { return it.ID }

type ownedLister interface {
	OwnedItems(ctx context.Context, owner string, sort ItemSort, after string, limit int) ([]*Item, error)
}

type tmpTx struct{ st *Stores }

func (t tmpTx) Atomic(ctx context.Context, fn func(tx Stores) error) error { return fn(*t.st) }

type tmpUsage struct {
	mu sync.Mutex
	m  map[string]Usage
}

func (u *tmpUsage) AddUsage(_ context.Context, owner string, d Usage) (Usage, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	v := u.m[owner]
	v.Bytes, v.Items = max(0, v.Bytes+d.Bytes), max(0, v.Items+d.Items)
	u.m[owner] = v
	return v, nil
}

func (u *tmpUsage) Usage(_ context.Context, owner string) (Usage, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[owner], nil
}

func tmpFill(st Stores) Stores {
	p := &st
	st.Usage = &tmpUsage{m: map[string]Usage{}}
	st.Tx = tmpTx{p}
	*p = st
	return st
}
