package keylog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/sealkit/sealkit/identity"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// MaxAlerts caps the alerts one [Monitor.Scan] reports; it counts the
// rest.
const MaxAlerts = 64

// Monitor is a user's self-monitoring: it reads every entry of the log,
// in order, checks that together they make the tree of the [Client]'s
// newest checkpoint, and reports each entry under its user's name that
// the user did not make. Only a full scan is sound: the server's lookup
// by user ([Source.UserEntries]) could leave an entry out.
//
// An entry under the user's name is fine if it is one the user declared
// with [Monitor.Made], the first time it appears. Otherwise it is an
// [*AlertError] wrapping
//   - [ErrReplayed] if it is a made entry seen before,
//   - [ErrUnknownEntry] if it is a key bundle for the user that the
//     user's identity key signed (or moved away from with a key change
//     signature) but this client did not declare,
//   - [ErrUnknownKey] for anything else: a key substituted for the user.
//
// Methods are safe for concurrent use.
type Monitor struct {
	client *Client
	user   string
	key    *identity.PublicKey

	mu   sync.Mutex
	made map[[32]byte]bool
	seen map[[32]byte]bool
	rng  *compact.Range
	rf   *compact.RangeFactory
}

// MonitorState is what a [Monitor] has checked: the entries below Next,
// whose tree's perfect subtrees are Range, and the leaf hashes of made
// entries already seen. Persist it to resume a scan.
type MonitorState struct {
	Next  uint64   `json:"next"`
	Range [][]byte `json:"range"`
	Seen  [][]byte `json:"seen"`
}

// NewMonitor returns the monitor of user, whose identity key is key,
// reading through c, resuming from state (nil: scan from the start).
func NewMonitor(c *Client, user string, key *identity.PublicKey, state *MonitorState) (*Monitor, error) {
	if err := (Entry{User: user}).Check(); err != nil {
		return nil, err
	}
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	m := &Monitor{client: c, user: user, key: key, made: map[[32]byte]bool{}, seen: map[[32]byte]bool{}, rf: rf, rng: rf.NewEmptyRange(0)}
	if state != nil {
		r, err := rf.NewRange(0, state.Next, state.Range)
		if err != nil {
			return nil, malformed("monitor state: %v", err)
		}
		m.rng = r
		for _, h := range state.Seen {
			if len(h) != HashSize {
				return nil, malformed("monitor state: seen hash of %d bytes", len(h))
			}
			m.seen[[32]byte(h)] = true
		}
	}
	return m, nil
}

// Made declares e an entry the user made (call it before or after the
// append, before the scan that reaches it).
func (m *Monitor) Made(e Entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.made[sha256.Sum256(e.Leaf())] = true
}

// State returns what the monitor has checked so far.
func (m *Monitor) State() MonitorState {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MonitorState{Next: m.rng.End(), Range: m.rng.Hashes()}
	for h := range m.seen {
		s.Seen = append(s.Seen, h[:])
	}
	return s
}

// Scan refreshes the client's checkpoint, reads the entries since the last
// scan and checks them. It returns nil if every entry under the user's
// name is one the user made; the alerts, joined (errors.Is matches each
// sentinel, errors.As finds the first [*AlertError]); or, if the entries
// the source gave do not make the checkpoint's tree, [ErrBadProof] and no
// alerts (the monitor's state is then unchanged, so the next Scan rereads
// them). Its work is the new entries' hashes, in requests of
// [MaxEntriesPerRequest].
func (m *Monitor) Scan(ctx context.Context) error {
	cp, err := m.client.Refresh(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start := m.rng.End()
	if cp.Size < start {
		return fmt.Errorf("%w: checkpoint of size %d behind the scanned %d", ErrRollback, cp.Size, start)
	}
	r, err := m.rf.NewRange(0, start, m.rng.Hashes())
	if err != nil {
		return err
	}
	var alerts []error
	dropped := 0
	seen := map[[32]byte]bool{}
	for next := start; next < cp.Size; {
		n := int(min(cp.Size-next, MaxEntriesPerRequest))
		es, err := m.client.src.Entries(ctx, next, n)
		if err != nil {
			return err
		}
		if len(es) != n {
			return fmt.Errorf("%w: asked for %d entries at %d, got %d", ErrBadProof, n, next, len(es))
		}
		for i, e := range es {
			if err := e.Check(); err != nil {
				return fmt.Errorf("%w: entry %d: %v", ErrBadProof, next+uint64(i), err)
			}
			leaf := e.Leaf()
			if err := r.Append(rfc6962.DefaultHasher.HashLeaf(leaf), nil); err != nil {
				return err
			}
			if e.User != m.user {
				continue
			}
			h := sha256.Sum256(leaf)
			var why error
			switch {
			case m.made[h] && !m.seen[h] && !seen[h]:
				seen[h] = true
			case m.made[h]:
				why = ErrReplayed
			case m.signedByUser(e):
				why = ErrUnknownEntry
			default:
				why = ErrUnknownKey
			}
			if why != nil {
				if len(alerts) == MaxAlerts {
					dropped++
					continue
				}
				alerts = append(alerts, &AlertError{Index: next + uint64(i), Entry: e, Err: why})
			}
		}
		next += uint64(n)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return err
	}
	if cp.Size == 0 {
		root = EmptyRoot
	}
	if string(root) != string(cp.Hash) {
		return fmt.Errorf("%w: entries %d to %d do not make the checkpoint's tree", ErrBadProof, start, cp.Size)
	}
	m.rng = r
	for h := range seen {
		m.seen[h] = true
	}
	if dropped > 0 {
		alerts = append(alerts, fmt.Errorf("keylog: %d more alerts not listed", dropped))
	}
	return errors.Join(alerts...)
}

// signedByUser reports whether e is a bundle for the user that verifies
// against the monitor's identity key (directly or by a key change it
// signed).
func (m *Monitor) signedByUser(e Entry) bool {
	b, err := identity.ParseBundle(e.Data)
	if err != nil {
		return false
	}
	return identity.VerifyBundle(b, identity.BundlePin{UserID: m.user, Key: m.key}) == nil
}
