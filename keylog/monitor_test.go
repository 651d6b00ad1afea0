package keylog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keylog"
)

func bundle(t *testing.T, key *identity.PrivateKey, user string, version uint64, prev *identity.KeyBundle, data byte) *identity.KeyBundle {
	t.Helper()
	b := identity.KeyBundle{
		UserID:  user,
		Version: version,
		Created: time.Unix(1700000000+int64(version), 0),
		Keys:    []identity.PublishedKey{{Type: "x25519", Purpose: "share", Data: []byte{data, 1, 2, 3}}},
	}
	if prev != nil {
		b.Previous = prev.Hash()
	}
	sb, err := identity.SignBundle(key, b)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

func idKey(t *testing.T, seed byte) *identity.PrivateKey {
	t.Helper()
	s := make([]byte, 32)
	s[0] = seed
	k, err := identity.NewEd25519PrivateKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMonitor(t *testing.T) {
	ctx := context.Background()
	alice, mallory, alice2 := idKey(t, 1), idKey(t, 2), idKey(t, 3)
	l := newTestLog(t, 1)
	l.appendN(t, 5, "other")

	b1 := bundle(t, alice, "alice", 1, nil, 1)
	b2 := bundle(t, alice, "alice", 2, b1, 2)
	c, _ := keylog.NewClient(l.v, l, nil)
	m, err := keylog.NewMonitor(c, "alice", alice.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*identity.KeyBundle{b1, b2} {
		m.Made(keylog.BundleEntry(b))
		if _, err := l.Append(ctx, keylog.BundleEntry(b)); err != nil {
			t.Fatal(err)
		}
	}
	l.appendN(t, 300, "other") // more than one request of entries
	if err := m.Scan(ctx); err != nil {
		t.Fatalf("Scan of the user's own entries: %v", err)
	}

	// The log (or the directory in front of it) publishes keys for alice
	// that she did not make.
	substituted := bundle(t, mallory, "alice", 3, b2, 9)
	unknownDevice := bundle(t, alice, "alice", 3, b2, 8)
	for _, e := range []keylog.Entry{
		keylog.BundleEntry(substituted),
		{User: "alice", Data: []byte("not a bundle")},
		keylog.BundleEntry(unknownDevice),
		keylog.BundleEntry(b1),                                            // replayed
		{User: "alice", Data: bundle(t, alice, "bob", 1, nil, 1).Bytes()}, // alice's key, bob's bundle
	} {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	l.appendN(t, 2, "other")
	err = m.Scan(ctx)
	var alerts []*keylog.AlertError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *keylog.AlertError
		if !errors.As(e, &ae) {
			t.Fatalf("not an AlertError: %v", e)
		}
		alerts = append(alerts, ae)
	}
	want := []error{keylog.ErrUnknownKey, keylog.ErrUnknownKey, keylog.ErrUnknownEntry, keylog.ErrReplayed, keylog.ErrUnknownKey}
	if len(alerts) != len(want) {
		t.Fatalf("%d alerts, want %d: %v", len(alerts), len(want), err)
	}
	for i, a := range alerts {
		if a.Err != want[i] || a.Index != uint64(5+2+300+i) {
			t.Errorf("alert %d: %v at %d, want %v at %d", i, a.Err, a.Index, want[i], 5+2+300+i)
		}
	}
	if !errors.Is(err, keylog.ErrUnknownKey) {
		t.Error("errors.Is(err, ErrUnknownKey) is false")
	}

	// A key change alice signed is hers too, though not this client's.
	ch, err := identity.SignKeyChange(alice, alice2, identity.KeyBundle{UserID: "alice", Version: 3, Created: time.Unix(1700000100, 0), Previous: b2.Hash(),
		Keys: []identity.PublishedKey{{Type: "x25519", Purpose: "share", Data: []byte{7}}}})
	if err != nil {
		t.Fatal(err)
	}
	l.Append(ctx, keylog.BundleEntry(ch))
	if err := m.Scan(ctx); !errors.Is(err, keylog.ErrUnknownEntry) || errors.Is(err, keylog.ErrUnknownKey) {
		t.Errorf("Scan of a key change alice signed: %v, want ErrUnknownEntry only", err)
	}
	if err := m.Scan(ctx); err != nil {
		t.Errorf("Scan with nothing new: %v", err)
	}

	// Resumed from its state, the monitor still knows b1 was seen.
	st := m.State()
	m2, err := keylog.NewMonitor(c, "alice", alice.Public(), &st)
	if err != nil {
		t.Fatal(err)
	}
	m2.Made(keylog.BundleEntry(b1))
	l.Append(ctx, keylog.BundleEntry(b1))
	if err := m2.Scan(ctx); !errors.Is(err, keylog.ErrReplayed) {
		t.Errorf("resumed monitor on a replay: %v, want ErrReplayed", err)
	}
}

// hidingSource leaves out of Entries one entry it substituted for alice:
// the entries then do not make the checkpoint's tree.
type hidingSource struct {
	keylog.Source
	hide uint64
}

func (h hidingSource) Entries(ctx context.Context, start uint64, count int) ([]keylog.Entry, error) {
	es, err := h.Source.Entries(ctx, start, count)
	if err == nil && h.hide >= start && h.hide < start+uint64(count) {
		es[h.hide-start] = keylog.Entry{User: "bob", Data: []byte("harmless")}
	}
	return es, err
}

func TestMonitorCatchesHiddenEntry(t *testing.T) {
	ctx := context.Background()
	alice, mallory := idKey(t, 1), idKey(t, 2)
	l := newTestLog(t, 1)
	l.appendN(t, 3, "other")
	l.Append(ctx, keylog.BundleEntry(bundle(t, mallory, "alice", 1, nil, 9)))
	l.appendN(t, 3, "other")
	c, _ := keylog.NewClient(l.v, hidingSource{Source: l, hide: 3}, nil)
	m, _ := keylog.NewMonitor(c, "alice", alice.Public(), nil)
	if err := m.Scan(ctx); !errors.Is(err, keylog.ErrBadProof) {
		t.Fatalf("Scan over a source hiding an entry: %v, want ErrBadProof", err)
	}
	if st := m.State(); st.Next != 0 {
		t.Errorf("a failed scan advanced the monitor to %d", st.Next)
	}
}
