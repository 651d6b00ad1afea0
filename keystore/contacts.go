package keystore

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The contact book (SPEC.md §10) is where a client pins the identity keys of
// the users it shares with, so a server that answers a lookup with another
// key is caught: the first key seen for a user is pinned (trust on first
// use), a different one later is refused until the user accepts it, and a
// key bundle older than one already seen is refused as a replay. The book is
// one record sealed under the master KEK, so the server that stores it can
// neither read nor change it; it can only withhold it or serve an older
// copy, which Contacts.Seq lets a client that remembers the last sequence
// number detect.

const (
	// contactsID is the Store ID of the sealed contact book.
	contactsID = "contacts"
	// labelContacts derives, from the master KEK, the AES-256-GCM key that
	// seals the contact book.
	labelContacts = "sealkit/keystore/v1/contacts"
	// labelContactsAD prefixes the associated data of the sealed book.
	labelContactsAD = "sealkit/keystore/v1/contacts-record"
)

// Limits of the contact book: a record over them is refused as corrupt
// before it is decrypted or parsed.
const (
	// MaxContacts is how many users one book holds.
	MaxContacts = 10_000
	// maxContactUser caps a contact's user ID (twice share's MaxIDLen).
	maxContactUser = 128
	// maxContactsRecord caps the sealed record: a contact's JSON is at most
	// 320 bytes (a 128-byte ID, the key in base64, a timestamp, the flags).
	maxContactsRecord = MaxContacts*320 + 64 + 28
)

var (
	// ErrKeyChanged is returned, wrapped, when a user's identity key is not
	// the one pinned for them: the server substituted a key, or the user
	// changed theirs (a new identity after recovery). Show it as "key
	// changed" and let the person decide (Contacts.Accept).
	ErrKeyChanged = errors.New("keystore: contact's identity key changed")
	// ErrRollback is returned, wrapped, for a key bundle version older than
	// one already seen for the user: a replayed bundle.
	ErrRollback = errors.New("keystore: contact's key bundle is older than one already seen")
)

// Contact is what the book remembers of one user.
type Contact struct {
	User string
	// IdentityKey is the pinned Ed25519 identity key.
	IdentityKey ed25519.PublicKey
	// Verified is set when the person compared safety numbers
	// (identity.SafetyNumber) out of band; accepting a changed key clears it.
	Verified bool
	// Pinned is when IdentityKey was first pinned or accepted.
	Pinned time.Time
	// BundleVersion is the newest key bundle version seen for the user.
	BundleVersion uint64
}

// Contacts is an owner's contact book as read from the Store. Methods change
// the copy in memory; Keystore.SaveContacts seals and stores it. It is not
// safe for concurrent use.
type Contacts struct {
	owner   string
	seq     uint64
	rev     uint64 // the Store version it was read at; 0 for a new book
	byUser  map[string]*Contact
	changed bool
}

// contactsBody is the sealed plaintext (SPEC.md §10).
type contactsBody struct {
	Seq      uint64        `json:"seq"`
	Contacts []contactJSON `json:"contacts"`
}

type contactJSON struct {
	User          string    `json:"user"`
	IdentityKey   []byte    `json:"identity_key"`
	Verified      bool      `json:"verified,omitempty"`
	Pinned        time.Time `json:"pinned"`
	BundleVersion uint64    `json:"bundle_version,omitempty"`
}

// Seq is the book's sequence number, one more at each save. A client that
// keeps the last Seq it saw (outside the server's reach) detects a server
// serving an older copy of the book.
func (c *Contacts) Seq() uint64 { return c.seq }

// Contact returns a copy of what the book holds for user, if anything.
func (c *Contacts) Contact(user string) (Contact, bool) {
	k, ok := c.byUser[user]
	if !ok {
		return Contact{}, false
	}
	cp := *k
	cp.IdentityKey = slices.Clone(k.IdentityKey)
	return cp, true
}

// List returns copies of every contact, by user.
func (c *Contacts) List() []Contact {
	out := make([]Contact, 0, len(c.byUser))
	for u := range c.byUser {
		k, _ := c.Contact(u)
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Contact) int { return strings.Compare(a.User, b.User) })
	return out
}

// Observe checks a user's identity key and key bundle version against the
// book: an unknown user is pinned to key (trust on first use); a pinned user
// with another key is ErrKeyChanged; a bundle version below the newest seen
// is ErrRollback. It returns whether the book changed (save it).
func (c *Contacts) Observe(user string, key ed25519.PublicKey, bundleVersion uint64, now time.Time) (bool, error) {
	if err := checkContact(user, key); err != nil {
		return false, err
	}
	k, ok := c.byUser[user]
	if !ok {
		if len(c.byUser) >= MaxContacts {
			return false, fmt.Errorf("keystore: contact book holds %d contacts already", MaxContacts)
		}
		c.byUser[user] = &Contact{User: user, IdentityKey: slices.Clone(key), Pinned: now.UTC(), BundleVersion: bundleVersion}
		c.changed = true
		return true, nil
	}
	if !bytes.Equal(k.IdentityKey, key) { // public keys: no secret to time
		return false, fmt.Errorf("%w: %q", ErrKeyChanged, user)
	}
	if bundleVersion < k.BundleVersion {
		return false, fmt.Errorf("%w: %q version %d, seen %d", ErrRollback, user, bundleVersion, k.BundleVersion)
	}
	if bundleVersion > k.BundleVersion {
		k.BundleVersion = bundleVersion
		c.changed = true
		return true, nil
	}
	return false, nil
}

// Accept pins key for user in place of what was pinned, after the person
// chose to trust a changed key. It clears Verified and the bundle version.
func (c *Contacts) Accept(user string, key ed25519.PublicKey, now time.Time) error {
	if err := checkContact(user, key); err != nil {
		return err
	}
	if _, ok := c.byUser[user]; !ok && len(c.byUser) >= MaxContacts {
		return fmt.Errorf("keystore: contact book holds %d contacts already", MaxContacts)
	}
	c.byUser[user] = &Contact{User: user, IdentityKey: slices.Clone(key), Pinned: now.UTC()}
	c.changed = true
	return nil
}

// MarkVerified records that the person compared safety numbers with user
// and they matched; ErrNotFound if user is not in the book.
func (c *Contacts) MarkVerified(user string) error {
	k, ok := c.byUser[user]
	if !ok {
		return fmt.Errorf("%w: contact %q", ErrNotFound, user)
	}
	if !k.Verified {
		k.Verified, c.changed = true, true
	}
	return nil
}

// Remove forgets user; ErrNotFound if user is not in the book.
func (c *Contacts) Remove(user string) error {
	if _, ok := c.byUser[user]; !ok {
		return fmt.Errorf("%w: contact %q", ErrNotFound, user)
	}
	delete(c.byUser, user)
	c.changed = true
	return nil
}

func checkContact(user string, key ed25519.PublicKey) error {
	if user == "" || len(user) > maxContactUser {
		return fmt.Errorf("keystore: contact user ID of %d bytes", len(user))
	}
	if len(key) != ed25519.PublicKeySize {
		return fmt.Errorf("keystore: identity key of %d bytes", len(key))
	}
	return nil
}

func contactsAD(owner string) []byte {
	return append([]byte(labelContactsAD+"\x00"), owner...)
}

// Contacts reads and opens the session owner's contact book; an owner
// without one gets an empty book. A record that does not open under the
// owner's KEK is ErrCorrupt.
func (ks *Keystore) Contacts(ctx context.Context, s *Session) (*Contacts, error) {
	owner := s.Owner()
	c := &Contacts{owner: owner, byUser: map[string]*Contact{}}
	e, err := ks.store.Get(ctx, owner, contactsID)
	if errors.Is(err, ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if len(e.Data) > maxContactsRecord {
		return nil, fmt.Errorf("%w: contact book of %d bytes", ErrCorrupt, len(e.Data))
	}
	plain, err := s.openContacts(e.Data)
	if err != nil {
		return nil, err
	}
	body, err := parseContacts(plain)
	if err != nil {
		return nil, err
	}
	c.seq, c.rev = body.Seq, e.Version
	for _, k := range body.Contacts {
		c.byUser[k.User] = &Contact{User: k.User, IdentityKey: k.IdentityKey, Verified: k.Verified, Pinned: k.Pinned, BundleVersion: k.BundleVersion}
	}
	return c, nil
}

// parseContacts decodes the book's plaintext: exact fields, no duplicates,
// every contact valid, users in increasing order.
func parseContacts(plain []byte) (*contactsBody, error) {
	d := json.NewDecoder(bytes.NewReader(plain))
	d.DisallowUnknownFields()
	var body contactsBody
	if err := d.Decode(&body); err != nil || d.More() {
		return nil, fmt.Errorf("%w: contact book is not one JSON record", ErrCorrupt)
	}
	if len(body.Contacts) > MaxContacts {
		return nil, fmt.Errorf("%w: contact book of %d contacts", ErrCorrupt, len(body.Contacts))
	}
	for i, k := range body.Contacts {
		if err := checkContact(k.User, k.IdentityKey); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if i > 0 && body.Contacts[i-1].User >= k.User {
			return nil, fmt.Errorf("%w: contact book users out of order", ErrCorrupt)
		}
	}
	return &body, nil
}

// SaveContacts seals c under the session's KEK with the next sequence
// number and stores it; ErrConflict if the book changed in the Store since
// c was read (read it again and re-apply). A book with no changes is not
// written.
func (ks *Keystore) SaveContacts(ctx context.Context, s *Session, c *Contacts) error {
	if c.owner != s.Owner() {
		return fmt.Errorf("keystore: contact book of another owner")
	}
	if !c.changed {
		return nil
	}
	if c.seq == math.MaxUint64 {
		return fmt.Errorf("keystore: contact book sequence number exhausted")
	}
	body := contactsBody{Seq: c.seq + 1, Contacts: []contactJSON{}}
	for _, k := range c.List() {
		body.Contacts = append(body.Contacts, contactJSON{User: k.User, IdentityKey: k.IdentityKey, Verified: k.Verified, Pinned: k.Pinned, BundleVersion: k.BundleVersion})
	}
	plain, err := json.Marshal(body)
	if err != nil {
		return err
	}
	sealed, err := s.sealContacts(plain)
	if err != nil {
		return err
	}
	var rev uint64
	if c.rev == 0 {
		rev, err = ks.store.Put(ctx, c.owner, contactsID, sealed)
		if errors.Is(err, ErrExists) {
			err = fmt.Errorf("%w: contact book created meanwhile", ErrConflict)
		}
	} else {
		rev, err = ks.store.Update(ctx, c.owner, contactsID, c.rev, sealed)
	}
	if err != nil {
		return err
	}
	c.seq, c.rev, c.changed = body.Seq, rev, false
	return nil
}

func (s *Session) sealContacts(plain []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, ErrClosed
	}
	a := sealer(s.kek, labelContacts)
	return a.Seal(nil, nil, plain, contactsAD(s.owner)), nil
}

func (s *Session) openContacts(sealed []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kek == nil {
		return nil, ErrClosed
	}
	a := sealer(s.kek, labelContacts)
	plain, err := a.Open(nil, nil, sealed, contactsAD(s.owner))
	if err != nil {
		return nil, fmt.Errorf("%w: contact book does not open", ErrCorrupt)
	}
	return plain, nil
}
