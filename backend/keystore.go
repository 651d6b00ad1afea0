package backend

import (
	"context"
	"sort"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/keystore"
)

const kindKeystore = "keystore"

// Keystore returns a keystore.Store over s.
func Keystore(s driver.Store) keystore.Store { return keystoreStore{s} }

type keystoreStore struct{ s driver.Store }

var _ keystore.Store = keystoreStore{}

func (k keystoreStore) Put(ctx context.Context, owner, id string, data []byte) (uint64, error) {
	r, err := k.s.Create(ctx, driver.Record{Kind: kindKeystore, ID: compositeID(owner, id), Owner: owner, Ref: id, Data: data})
	return uint64(r.Version), err
}

func (k keystoreStore) Update(ctx context.Context, owner, id string, version uint64, data []byte) (uint64, error) {
	r, err := k.s.Update(ctx, driver.Record{Kind: kindKeystore, ID: compositeID(owner, id), Owner: owner, Ref: id, Data: data}, int64(version))
	return uint64(r.Version), err
}

func (k keystoreStore) Get(ctx context.Context, owner, id string) (keystore.Entry, error) {
	r, err := k.s.Get(ctx, kindKeystore, compositeID(owner, id))
	if err != nil {
		return keystore.Entry{}, err
	}
	return keystore.Entry{Owner: owner, ID: id, Version: uint64(r.Version), Data: r.Data}, nil
}

func (k keystoreStore) List(ctx context.Context, owner string) ([]keystore.Entry, error) {
	rs, err := k.s.List(ctx, kindKeystore, driver.ByOwner, owner)
	if err != nil {
		return nil, err
	}
	out := make([]keystore.Entry, 0, len(rs))
	for _, r := range rs {
		out = append(out, keystore.Entry{Owner: owner, ID: r.Ref, Version: uint64(r.Version), Data: r.Data})
	}
	// Record IDs are length-prefixed, so their order is not the entry IDs'.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (k keystoreStore) Delete(ctx context.Context, owner, id string) error {
	return k.s.Delete(ctx, kindKeystore, compositeID(owner, id))
}
