package backend

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/sealkit/sealkit/backend/driver"
	"github.com/sealkit/sealkit/keylog"
)

// The record kinds of the key transparency log (keylog/SPEC.md, "Storage").
const (
	kindKeylogHead  = "keylog.head"  // ID keylogHeadID: u64 size || checkpoint
	kindKeylogEntry = "keylog.entry" // ID index: u16 len(user) || user || data
	kindKeylogNode  = "keylog.node"  // ID level/index: the hash
	kindKeylogUser  = "keylog.user"  // ID hex(user)/index: empty
	keylogHeadID    = "head"
)

// KeyLog returns a keylog.Store over s. Commit is one [driver.Store.Atomic]
// transaction: create-only puts of the entry, its nodes and its user index
// record, and a compare-and-swap of the head record. Called with the tx of
// an Atomic, a [keylog.Log] over it appends in that transaction, so an
// append commits together with, say, the directory record it logs.
//
// Record IDs are fixed-width hex, so [driver.Store.Range] scans are in
// index order: reading entries and a user's indexes costs what it returns,
// not what is stored.
func KeyLog(s driver.Store) keylog.Store { return keylogStore{s} }

type keylogStore struct{ s driver.Store }

var _ keylog.Store = keylogStore{}

func keylogIndex(i uint64) string { return fmt.Sprintf("%016x", i) }

func keylogNodeID(id keylog.NodeID) string { return fmt.Sprintf("%02x/%016x", id.Level, id.Index) }

// keylogUserPrefix is the ID prefix of user's index records. Hex cannot
// hold "/", so no user's prefix is a prefix of another's, and every ID
// under it lies below the prefix followed by "g".
func keylogUserPrefix(user string) string { return hex.EncodeToString([]byte(user)) + "/" }

// rangeFrom is the exclusive lower bound of a Range that starts at index
// start under prefix.
func rangeFrom(prefix string, start uint64) string {
	if start == 0 {
		return prefix
	}
	return prefix + keylogIndex(start-1)
}

func (k keylogStore) Head(ctx context.Context) (keylog.Head, error) {
	r, err := k.s.Get(ctx, kindKeylogHead, keylogHeadID)
	if errors.Is(err, driver.ErrNotFound) {
		return keylog.Head{}, nil
	}
	if err != nil {
		return keylog.Head{}, err
	}
	return decodeKeylogHead(r.Data)
}

func decodeKeylogHead(b []byte) (keylog.Head, error) {
	if len(b) < 8 {
		return keylog.Head{}, errors.New("backend: keylog head record is corrupt")
	}
	return keylog.Head{Size: binary.BigEndian.Uint64(b), Checkpoint: b[8:]}, nil
}

func (k keylogStore) Commit(ctx context.Context, c *keylog.Commit) error {
	err := k.s.Atomic(ctx, func(tx driver.Store) error {
		head := driver.Record{Kind: kindKeylogHead, ID: keylogHeadID,
			Data: binary.BigEndian.AppendUint64(nil, c.Size+1)}
		head.Data = append(head.Data, c.Checkpoint...)
		cur, err := tx.Get(ctx, kindKeylogHead, keylogHeadID)
		switch {
		case errors.Is(err, driver.ErrNotFound):
			if c.Size != 0 {
				return driver.ErrConflict
			}
			if _, err := tx.Create(ctx, head); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			h, err := decodeKeylogHead(cur.Data)
			if err != nil {
				return err
			}
			if h.Size != c.Size {
				return driver.ErrConflict
			}
			if _, err := tx.Update(ctx, head, cur.Version); err != nil {
				return err
			}
		}
		data := binary.BigEndian.AppendUint16(nil, uint16(len(c.Entry.User)))
		data = append(append(data, c.Entry.User...), c.Entry.Data...)
		if _, err := tx.Create(ctx, driver.Record{Kind: kindKeylogEntry, ID: keylogIndex(c.Size), Data: data}); err != nil {
			return err
		}
		if _, err := tx.Create(ctx, driver.Record{Kind: kindKeylogUser, ID: keylogUserPrefix(c.Entry.User) + keylogIndex(c.Size)}); err != nil {
			return err
		}
		for _, n := range c.Nodes {
			if _, err := tx.Create(ctx, driver.Record{Kind: kindKeylogNode, ID: keylogNodeID(n.ID), Data: n.Hash}); err != nil {
				return err
			}
		}
		return nil
	})
	// Another writer that committed first shows as a head of another
	// version or size, or as a record this commit meant to create.
	if errors.Is(err, driver.ErrExists) {
		return keylog.ErrConflict
	}
	return err
}

func (k keylogStore) Entries(ctx context.Context, start uint64, count int) ([]keylog.Entry, error) {
	if count < 0 || start > keylog.MaxSize {
		return nil, keylog.ErrNotFound
	}
	if count == 0 {
		return []keylog.Entry{}, nil
	}
	rs, err := k.s.Range(ctx, kindKeylogEntry, rangeFrom("", start), keylogIndex(start+uint64(count)), count)
	if err != nil {
		return nil, err
	}
	if len(rs) != count {
		return nil, keylog.ErrNotFound
	}
	out := make([]keylog.Entry, count)
	for i, r := range rs {
		if r.ID != keylogIndex(start+uint64(i)) || len(r.Data) < 2 || len(r.Data)-2 < int(binary.BigEndian.Uint16(r.Data)) {
			return nil, fmt.Errorf("backend: keylog entry record %q is corrupt", r.ID)
		}
		ul := 2 + int(binary.BigEndian.Uint16(r.Data))
		out[i] = keylog.Entry{User: string(r.Data[2:ul]), Data: r.Data[ul:]}
	}
	return out, nil
}

func (k keylogStore) Nodes(ctx context.Context, ids []keylog.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		r, err := k.s.Get(ctx, kindKeylogNode, keylogNodeID(id))
		if err != nil {
			return nil, err
		}
		out[i] = r.Data
	}
	return out, nil
}

func (k keylogStore) UserIndexes(ctx context.Context, user string, start uint64, limit int) ([]uint64, error) {
	if start > keylog.MaxSize {
		return nil, nil
	}
	prefix := keylogUserPrefix(user)
	rs, err := k.s.Range(ctx, kindKeylogUser, rangeFrom(prefix, start), prefix+"g", limit)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, 0, len(rs))
	for _, r := range rs {
		i, err := strconv.ParseUint(r.ID[len(prefix):], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("backend: keylog user record %q is corrupt", r.ID)
		}
		out = append(out, i)
	}
	return out, nil
}
