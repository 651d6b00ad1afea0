package share

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/keylog"
)

// KeyWrapper wraps and unwraps keys under a user's own KEK. envelope.KEK is
// one; keystore provides the user's master KEK as one.
type KeyWrapper interface {
	envelope.Recipient
	envelope.Identity
}

// ConnectionKeyStore is where a Client keeps its per-connection private keys,
// each wrapped under its KEK (so the store, local or remote, never holds a
// usable private key). Put replaces.
type ConnectionKeyStore interface {
	// PutConnectionKey stores the wrapped private key record of connection.
	PutConnectionKey(ctx context.Context, connection string, record []byte) error
	// ConnectionKey returns the record PutConnectionKey stored for
	// connection; ErrNotFound if there is none.
	ConnectionKey(ctx context.Context, connection string) ([]byte, error)
}

// MemoryConnectionKeys is an in-memory ConnectionKeyStore.
type MemoryConnectionKeys struct{ m sync.Map }

var _ ConnectionKeyStore = (*MemoryConnectionKeys)(nil)

// PutConnectionKey implements ConnectionKeyStore.
func (m *MemoryConnectionKeys) PutConnectionKey(_ context.Context, id string, record []byte) error {
	m.m.Store(id, bytes.Clone(record))
	return nil
}

// ConnectionKey implements ConnectionKeyStore.
func (m *MemoryConnectionKeys) ConnectionKey(_ context.Context, id string) ([]byte, error) {
	v, ok := m.m.Load(id)
	if !ok {
		return nil, ErrNotFound
	}
	return bytes.Clone(v.([]byte)), nil
}

// Client is the user side of every flow: it seals, wraps, unwraps, opens
// and signs, and asks the server (through Transport) only to store and
// route what it made. All fields are required except ConnectionKeys, which
// only the connection and space flows use, Pins and AllowLegacy.
//
// The server is not trusted with keys: before wrapping to a user's key the
// Client checks the user's key bundle and pins the identity key, and before
// showing an item as someone's it checks the owner's signed manifest
// (SPEC.md §11).
type Client struct {
	// User is this user's ID.
	User string
	// Transport reaches the server as User.
	Transport Transport
	// Identities open what others shared directly with User: the private
	// keys of the public keys User published (RSA, X25519, hybrid).
	Identities []envelope.Identity
	// KEK wraps the DEKs of User's own items and everything User keeps.
	KEK KeyWrapper
	// SigningKey signs User's audit events; its public half is published.
	SigningKey ed25519.PrivateKey
	// ConnectionKeys keeps User's per-connection private keys.
	ConnectionKeys ConnectionKeyStore
	// Pins keeps contacts' pinned identity keys and the newest version and
	// manifest seen of each item, sealed under KEK. Nil keeps them in
	// memory for this Client's lifetime only.
	Pins PinStore
	// AllowLegacy accepts what records of earlier releases lack: a user
	// without a key bundle that this Client never pinned, and an item
	// without a manifest whose owner has no bundle (or is User). Such keys
	// and items are only as trustworthy as the server.
	AllowLegacy bool
	// KeyLog, if set, is the server's key transparency log as this client
	// follows it: every key bundle must be the log entry its record names,
	// proved included in a checkpoint the client accepted (ErrNotLogged),
	// so that a bundle the server shows one user is the one everyone, and
	// the user's own monitor, can see.
	KeyLog *keylog.Client

	pinsOnce  sync.Once
	memPins   *MemoryPins
	itemLocks sync.Map // item ID → *sync.Mutex, see lockItem
}

// Register publishes User's public keys (those of Identities that are
// RSA, X25519 or hybrid) and signing key in the users directory, with the
// key bundle that signs them by SigningKey as the identity key.
func (c *Client) Register(ctx context.Context) error {
	var keys []PublicKey
	for _, id := range c.Identities {
		var r envelope.Recipient
		switch id := id.(type) {
		case *envelope.RSAIdentity:
			r = id.Recipient()
		case *envelope.X25519Identity:
			r = id.Recipient()
		case *envelope.HybridIdentity:
			r = id.Recipient()
		default:
			continue
		}
		pk, err := PublicKeyOf(r)
		if err != nil {
			return err
		}
		keys = append(keys, pk)
	}
	u, err := NewUser(c.User, keys, c.SigningKey)
	if err != nil {
		return err
	}
	return c.Transport.PublishUser(ctx, u)
}

func (c *Client) event(action, item, subject string) *Event {
	return NewEvent(c.SigningKey, action, c.User, item, subject)
}

// sealTo streams src into a new envelope under dek and uploads it with
// keys. The header travels in the item record, the payload as the blob; the
// server's SHA-256 of the payload must equal ours.
func (c *Client) sealTo(ctx context.Context, it *Item, prev uint64, dek *envelope.Key, meta *envelope.Metadata, src io.Reader, keys []*WrappedKey) (*Item, error) {
	pr, pw := io.Pipe()
	h := sha256.New()
	w, err := envelope.NewPayloadWriter(io.MultiWriter(pw, h), ItemAD(it.ID, it.Owner, it.Version), &envelope.SealOptions{Key: dek, Metadata: meta})
	if err != nil {
		return nil, err
	}
	it.Header = w.Header().Bytes()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(w, src)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
		done <- err
	}()
	got, uerr := c.Transport.Upload(ctx, &Upload{Item: it, Keys: keys, PrevVersion: prev}, pr)
	pr.CloseWithError(errors.New("share: upload ended"))
	werr := <-done
	if uerr != nil {
		return nil, uerr
	}
	if werr != nil {
		return nil, werr
	}
	if subtle.ConstantTimeCompare(got.SHA256, h.Sum(nil)) != 1 {
		return nil, fmt.Errorf("%w: the server stored other bytes than were sent", ErrCorrupt)
	}
	if got.ID != it.ID || got.Owner != it.Owner || got.Version != it.Version || !bytes.Equal(got.Header, it.Header) {
		return nil, fmt.Errorf("%w: the server stored another record than was sent", ErrCorrupt)
	}
	return got, c.uploaded(ctx, got)
}

// Upload seals src as a new item owned by User, with a fresh DEK wrapped
// under User's KEK, signs its manifest, and then shares it with each of
// recipients: the DEK is wrapped per recipient in the key registry.
func (c *Client) Upload(ctx context.Context, src io.Reader, meta *envelope.Metadata, recipients ...string) (*Item, error) {
	dek := envelope.NewKey()
	defer dek.Destroy()
	it := &Item{ID: NewID(), Owner: c.User, Version: 1}
	own, err := envelope.WrapKey(dek, c.KEK)
	if err != nil {
		return nil, err
	}
	got, err := c.sealTo(ctx, it, 0, dek, meta, src,
		[]*WrappedKey{{Item: it.ID, Recipient: c.User, Version: 1, Record: own}})
	if err != nil {
		return nil, err
	}
	if _, err := c.putManifest(ctx, got, nil, nil); err != nil {
		return got, err
	}
	for _, r := range recipients {
		if _, err := c.Share(ctx, got.ID, r); err != nil {
			return got, err
		}
	}
	return got, nil
}

// itemKey returns the DEK of it for User, checked against its header and
// associated data: a key moved from another item, a swapped header or a
// record whose ID, owner or version changed fails with ErrCorrupt. A key
// for a recipient the owner's manifest m does not list is ErrBadManifest.
func (c *Client) itemKey(ctx context.Context, it *Item, m *Manifest) (*envelope.Key, error) {
	wk, err := c.Transport.MyKey(ctx, it.ID)
	if err != nil {
		return nil, err
	}
	if wk.Item != it.ID || wk.Version != it.Version {
		return nil, corrupt(errors.New("wrapped key for another item or version"))
	}
	if err := c.checkListed(it, m, wk.Space); err != nil {
		return nil, err
	}
	var dek *envelope.Key
	switch {
	case wk.Space == "":
		ids := append([]envelope.Identity{c.KEK}, c.Identities...)
		if dek, err = envelope.UnwrapKey(wk.Record, ids...); err != nil {
			return nil, corrupt(err)
		}
	default:
		sk, err := c.spaceKey(ctx, wk.Space)
		if err != nil {
			return nil, err
		}
		defer clear(sk)
		if dek, err = spaceDEK(wk, sk); err != nil {
			return nil, err
		}
	}
	if err := verifyItem(it, dek); err != nil {
		dek.Destroy()
		return nil, err
	}
	return dek, nil
}

// spaceDEK returns the DEK a space-share key entry gives with space key sk:
// sk itself (re-encryption mode) or what it unwraps (wrap mode).
func spaceDEK(wk *WrappedKey, sk []byte) (*envelope.Key, error) {
	if len(wk.Record) == 0 {
		return envelope.NewKeyFromBytes(sk)
	}
	kek, err := envelope.NewKEK(wk.Space, sk)
	if err != nil {
		return nil, err
	}
	dek, err := envelope.UnwrapKey(wk.Record, kek)
	if err != nil {
		return nil, corrupt(err)
	}
	return dek, nil
}

func verifyItem(it *Item, dek *envelope.Key) error {
	h, err := envelope.ParseHeader(it.Header)
	if err != nil {
		return corrupt(err)
	}
	if h.Len() != len(it.Header) {
		return corrupt(errors.New("trailing bytes after the header"))
	}
	if err := h.Verify(dek, ItemAD(it.ID, it.Owner, it.Version)); err != nil {
		return corrupt(err)
	}
	return nil
}

// openPayload decrypts payload (the blob of it) into w.
func openPayload(it *Item, dek *envelope.Key, payload io.Reader, w io.Writer) (*envelope.Metadata, error) {
	r, err := envelope.NewReader(io.MultiReader(bytes.NewReader(it.Header), payload),
		ItemAD(it.ID, it.Owner, it.Version), &envelope.OpenOptions{Key: dek})
	if err != nil {
		return nil, corrupt(err)
	}
	defer r.Close()
	if _, err := io.Copy(w, r); err != nil {
		if errors.Is(err, envelope.ErrCorrupt) {
			return nil, corrupt(err)
		}
		return nil, err
	}
	return r.Metadata(), nil
}

// Read decrypts item id into w (signing a download event) and returns its
// metadata. It works for owned items, direct shares and claimed or unclaimed
// space shares alike. The item must be its owner's (the manifest, SPEC.md
// §11): a forged or replaced item is ErrBadManifest before any byte is
// written; a payload other than the signed one is refused at the segment
// that differs (ErrCorrupt) or, at the latest, once it is read
// (ErrBadManifest).
func (c *Client) Read(ctx context.Context, id string, w io.Writer) (*envelope.Metadata, error) {
	unlock := c.lockItem(id)
	it, m, err := c.item(ctx, id)
	unlock()
	if err != nil {
		return nil, err
	}
	dek, err := c.itemKey(ctx, it, m)
	if err != nil {
		return nil, err
	}
	defer dek.Destroy()
	rc, err := c.Transport.Download(ctx, id, c.event(ActionDownload, id, ""))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if m == nil {
		return openPayload(it, dek, rc, w)
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(rc, m.Size), h)
	meta, err := openPayload(it, dek, src, w)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), m.PayloadHash) != 1 {
		return nil, errManifest("payload is not the one the owner signed")
	}
	return meta, nil
}

// ReadAll is Read into memory.
func (c *Client) ReadAll(ctx context.Context, id string) ([]byte, error) {
	var b bytes.Buffer
	if _, err := c.Read(ctx, id, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Share shares item, which User owns, with a registered user: it looks
// up the recipient's record, verifies its key bundle against the pin
// (ErrBadBundle, ErrKeyChanged, ErrRollback), wraps the DEK for the
// bundle's key (hybrid, else RSA-OAEP, else X25519), signs the item's next
// manifest listing the recipient and creates the share.
func (c *Client) Share(ctx context.Context, item, recipient string) (*Share, error) {
	if recipient == c.User {
		return nil, ErrSelfShare
	}
	defer c.lockItem(item)()
	it, m, err := c.ownedItem(ctx, item)
	if err != nil {
		return nil, err
	}
	k, err := c.contact(ctx, recipient)
	if err != nil {
		return nil, err
	}
	dek, err := c.itemKey(ctx, it, m)
	if err != nil {
		return nil, err
	}
	defer dek.Destroy()
	rec, err := wrapForKeys(dek, k.Keys)
	if err != nil {
		return nil, err
	}
	rs, err := c.recipients(ctx, it, m)
	if err != nil {
		return nil, err
	}
	next, err := c.nextManifest(ctx, it, m, withRecipient(rs, ManifestRecipient{User: recipient, BundleVersion: k.bundleVersion()}))
	if err != nil {
		return nil, err
	}
	sh := &Share{ID: NewID(), Item: item, Owner: c.User, Recipient: recipient, Mode: ModeDirect}
	wk := &WrappedKey{Item: item, Recipient: recipient, Version: it.Version, Record: rec}
	req := &ShareRequest{Share: sh, Key: wk, Event: c.event(ActionShare, item, recipient), Manifest: next.Bytes()}
	if err := c.Transport.Share(ctx, req); err != nil {
		return nil, err
	}
	return sh, c.saw(ctx, next)
}

func wrapForKeys(dek *envelope.Key, keys []PublicKey) ([]byte, error) {
	pk, err := preferredKey(keys)
	if err != nil {
		return nil, err
	}
	r, err := recipientFor(pk)
	if err != nil {
		return nil, err
	}
	return envelope.WrapKey(dek, r)
}

// Received lists the shares addressed to User.
func (c *Client) Received(ctx context.Context) ([]*Share, error) {
	return c.Transport.Received(ctx)
}

// Items returns a page of the items User owns, in order sort, after the
// cursor after ("" for the first page), and the cursor of the next page,
// "" once the listing is done. The records hold ciphertext headers; open
// one's metadata with [Client.Read] or [envelope] with User's KEK.
func (c *Client) Items(ctx context.Context, sort ItemSort, after string, limit int) (items []*Item, next string, err error) {
	return c.Transport.Items(ctx, sort, after, limit)
}

// Usage returns what User's items hold on the server and the quota.
func (c *Client) Usage(ctx context.Context) (used, limit Usage, err error) {
	return c.Transport.Usage(ctx)
}

// Delete deletes an item User owns.
func (c *Client) Delete(ctx context.Context, id string) error {
	return c.Transport.Delete(ctx, id, c.event(ActionDelete, id, ""))
}

// Audit fetches an item's audit chain, page by page (at most
// MaxAuditEntries), and verifies it (signatures against the users
// directory, hashes, order, and that head, if not nil, is still in it). It
// returns the entries and the new head to keep for next time.
func (c *Client) Audit(ctx context.Context, item string, head []byte) ([]*AuditEntry, []byte, error) {
	entries, err := c.auditPages(ctx, item, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := VerifyAudit(item, entries, head, c.signingKeys(ctx)); err != nil {
		return nil, nil, err
	}
	if len(entries) == 0 {
		return entries, head, nil
	}
	return entries, entries[len(entries)-1].Hash, nil
}

// AuditAfter fetches the entries of an item's chain that follow last (an
// entry an earlier Audit or AuditAfter returned; nil: from the start) and
// verifies that they continue it, so a client that keeps its last entry
// reads and checks only what was appended since. The last entry returned is
// the one to pass next time.
func (c *Client) AuditAfter(ctx context.Context, item string, last *AuditEntry) ([]*AuditEntry, error) {
	var after uint64
	if last != nil {
		after = last.Seq
	}
	entries, err := c.auditPages(ctx, item, after)
	if err != nil {
		return nil, err
	}
	if err := VerifyAuditAfter(item, last, entries, c.signingKeys(ctx)); err != nil {
		return nil, err
	}
	return entries, nil
}

// auditPages reads every page of an item's chain after seq after. The
// cursor counts the entries received, so a server cannot send it in
// circles; VerifyAudit checks that they are the right ones.
func (c *Client) auditPages(ctx context.Context, item string, after uint64) ([]*AuditEntry, error) {
	var entries []*AuditEntry
	for {
		page, err := c.Transport.Audit(ctx, item, after+uint64(len(entries)), MaxAuditPage)
		if err != nil {
			return nil, err
		}
		entries = append(entries, page...)
		if len(entries) > MaxAuditEntries {
			return nil, fmt.Errorf("%w: audit chain", ErrTooLarge)
		}
		if len(page) < MaxAuditPage {
			return entries, nil
		}
	}
}

// signingKeys looks users' signing keys up in the directory, once each,
// verified as contacts are: the key of a bundle checked against the pin.
func (c *Client) signingKeys(ctx context.Context) func(string) (ed25519.PublicKey, error) {
	keys := map[string]ed25519.PublicKey{c.User: c.SigningKey.Public().(ed25519.PublicKey)}
	return func(user string) (ed25519.PublicKey, error) {
		if k, ok := keys[user]; ok {
			return k, nil
		}
		u, err := c.contact(ctx, user)
		if err != nil {
			return nil, err
		}
		keys[user] = u.SigningKey
		return u.SigningKey, nil
	}
}
