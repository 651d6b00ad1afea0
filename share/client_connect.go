package share

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// DefaultInvitationTTL is how long an invitation is valid unless told.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// InvitationToken is what the inviter sends the invitee out of band (the
// server keeps only a hash of Token). Token is a secret: do not log it.
type InvitationToken struct {
	ID    string
	Token string
}

// String does not reveal the token.
func (t InvitationToken) String() string { return "share.InvitationToken(" + t.ID + ")" }

// newConnectionKey makes a per-connection MLKEM768-X25519 keypair (usable
// in FIPS mode, post-quantum) and stores its private seed, wrapped under the
// KEK, under the connection ID.
func (c *Client) newConnectionKey(ctx context.Context, conn string) (PublicKey, error) {
	if c.ConnectionKeys == nil {
		return PublicKey{}, errors.New("share: Client.ConnectionKeys is not set")
	}
	id, err := envelope.GenerateHybridIdentity()
	if err != nil {
		return PublicKey{}, err
	}
	seed := id.Bytes()
	defer clear(seed)
	rec, err := wrapBytes(seed, c.KEK)
	if err != nil {
		return PublicKey{}, err
	}
	if err := c.ConnectionKeys.PutConnectionKey(ctx, conn, rec); err != nil {
		return PublicKey{}, err
	}
	return PublicKeyOf(id.Recipient())
}

// connectionIdentity returns User's private key for a connection, checking
// that the connection record still holds its public half.
func (c *Client) connectionIdentity(ctx context.Context, conn *Connection) (*envelope.HybridIdentity, error) {
	if c.ConnectionKeys == nil {
		return nil, errors.New("share: Client.ConnectionKeys is not set")
	}
	rec, err := c.ConnectionKeys.ConnectionKey(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	seed, err := unwrapBytes(rec, c.KEK)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	id, err := envelope.ParseHybridIdentity(seed)
	if err != nil {
		return nil, corrupt(err)
	}
	mine := conn.InviteeKey
	if conn.Inviter == c.User {
		mine = conn.InviterKey
	}
	if mine.Kind != KindHybrid || !bytes.Equal(mine.Bytes, id.Recipient().Bytes()) {
		return nil, corrupt(errors.New("connection record does not hold our public key"))
	}
	return id, nil
}

// Invite creates an invitation to connect: a per-connection
// keypair whose private key is kept under User's KEK, and a random
// single-use token valid for ttl (0 means DefaultInvitationTTL). invitee may
// be empty to let whoever holds the token accept.
func (c *Client) Invite(ctx context.Context, invitee string, ttl time.Duration) (InvitationToken, error) {
	if ttl <= 0 {
		ttl = DefaultInvitationTTL
	}
	id := NewID()
	pk, err := c.newConnectionKey(ctx, id)
	if err != nil {
		return InvitationToken{}, err
	}
	token := rand.Text() + rand.Text() // 256 bits
	in := &Invitation{ID: id, Inviter: c.User, Invitee: invitee, InviterKey: pk,
		TokenHash: HashInvitationToken(id, token), Expires: time.Now().Add(ttl).UTC()}
	if err := c.Transport.Invite(ctx, in); err != nil {
		return InvitationToken{}, err
	}
	return InvitationToken{ID: id, Token: token}, nil
}

// Accept accepts an invitation: User makes its own per-connection keypair
// and the server creates the connection holding both public keys.
func (c *Client) Accept(ctx context.Context, inv InvitationToken) (*Connection, error) {
	if !ValidID(inv.ID) {
		return nil, invalid("invitation ID")
	}
	pk, err := c.newConnectionKey(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	return c.Transport.Accept(ctx, inv.ID, &AcceptRequest{Token: inv.Token, Key: pk})
}

// ShareViaConnection shares item with the other party of a connection
// through a new encryption space. mode is ModeWrap (the item's
// own DEK wrapped under the space key) or ModeReencrypt (the
// item re-sealed as a new item whose DEK is the space key; the share names
// the copy).
func (c *Client) ShareViaConnection(ctx context.Context, item, connection, mode string) (*Share, error) {
	conn, err := c.Transport.Connection(ctx, connection)
	if err != nil {
		return nil, err
	}
	peer, peerKey := conn.Invitee, conn.InviteeKey
	if conn.Invitee == c.User {
		peer, peerKey = conn.Inviter, conn.InviterKey
	}
	defer c.lockItem(item)()
	it, m, err := c.ownedItem(ctx, item)
	if err != nil {
		return nil, err
	}
	dek, err := c.itemKey(ctx, it, m)
	if err != nil {
		return nil, err
	}
	defer dek.Destroy()

	sk := make([]byte, envelope.KeySize)
	rand.Read(sk)
	defer clear(sk)
	r, err := recipientFor(peerKey)
	if err != nil {
		return nil, corrupt(err)
	}
	space := &Space{ID: NewID(), Connection: conn.ID, Sharer: c.User, Recipient: peer}
	if space.SharerKey, err = wrapBytes(sk, c.KEK); err != nil {
		return nil, err
	}
	if space.RecipientKey, err = wrapBytes(sk, r); err != nil {
		return nil, err
	}
	sh := &Share{ID: NewID(), Owner: c.User, Recipient: peer, Mode: mode, Space: space.ID, Connection: conn.ID}
	k := &WrappedKey{Recipient: peer, Space: space.ID}
	entry := ManifestRecipient{User: peer, Space: space.ID}
	var next *Manifest
	switch mode {
	case ModeWrap:
		kek, err := envelope.NewKEK(space.ID, sk)
		if err != nil {
			return nil, err
		}
		if k.Record, err = envelope.WrapKey(dek, kek); err != nil {
			return nil, err
		}
		sh.Item, k.Item, k.Version = it.ID, it.ID, it.Version
		rs, err := c.recipients(ctx, it, m)
		if err != nil {
			return nil, err
		}
		if next, err = c.nextManifest(ctx, it, m, withRecipient(rs, entry)); err != nil {
			return nil, err
		}
	case ModeReencrypt:
		cp, err := c.copyUnder(ctx, it, dek, sk)
		if err != nil {
			return nil, err
		}
		sh.Item, sh.SourceItem, k.Item, k.Version = cp.ID, it.ID, cp.ID, cp.Version
		// The copy's first manifest rides in the share request: the
		// copy is unreadable to the peer until the share commits anyway.
		if next, err = c.nextManifest(ctx, cp, nil, []ManifestRecipient{entry}); err != nil {
			return nil, err
		}
	default:
		return nil, invalid("unknown share mode")
	}
	req := &SpaceShareRequest{Space: space, Share: sh, Key: k, Event: c.event(ActionShare, sh.Item, peer), Manifest: next.Bytes()}
	if err := c.Transport.ShareToSpace(ctx, req); err != nil {
		return nil, err
	}
	return sh, c.saw(ctx, next)
}

// copyUnder re-seals item it (whose DEK is dek) as a new item of User's
// whose DEK is the space key sk.
func (c *Client) copyUnder(ctx context.Context, it *Item, dek *envelope.Key, sk []byte) (*Item, error) {
	rc, err := c.Transport.Download(ctx, it.ID, c.event(ActionDownload, it.ID, ""))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h, err := envelope.ParseHeader(it.Header)
	if err != nil {
		return nil, corrupt(err)
	}
	meta, err := h.Metadata(dek)
	if err != nil {
		return nil, corrupt(err)
	}
	r, err := envelope.NewReader(io.MultiReader(bytes.NewReader(it.Header), rc),
		ItemAD(it.ID, it.Owner, it.Version), &envelope.OpenOptions{Key: dek})
	if err != nil {
		return nil, corrupt(err)
	}
	defer r.Close()
	spaceDEK, _ := envelope.NewKeyFromBytes(sk)
	defer spaceDEK.Destroy()
	own, err := envelope.WrapKey(spaceDEK, c.KEK)
	if err != nil {
		return nil, err
	}
	cp := &Item{ID: NewID(), Owner: c.User, Version: 1}
	return c.sealTo(ctx, cp, 0, spaceDEK, meta, r,
		[]*WrappedKey{{Item: cp.ID, Recipient: c.User, Version: 1, Record: own}})
}

// Claim claims the key of a space share addressed to User: it
// unwraps the space key with the connection private key and stores it
// rewrapped under User's KEK. Claiming twice is a no-op.
func (c *Client) Claim(ctx context.Context, sh *Share) error {
	if sh.Space == "" {
		return invalid("not a space share")
	}
	sp, err := c.Transport.Space(ctx, sh.Space)
	if err != nil {
		return err
	}
	if sp.Recipient != c.User {
		return ErrPermission
	}
	if len(sp.ClaimedKey) != 0 {
		return nil
	}
	sk, err := c.unclaimedSpaceKey(ctx, sp)
	if err != nil {
		return err
	}
	defer clear(sk)
	// Claim only a key that opens the shared item: a server that swapped
	// the space's wrapped key is caught here, not at some later read.
	unlock := c.lockItem(sh.Item)
	it, m, err := c.item(ctx, sh.Item)
	unlock()
	if err != nil {
		return err
	}
	wk, err := c.Transport.MyKey(ctx, sh.Item)
	if err != nil {
		return err
	}
	if wk.Space != sp.ID || wk.Item != it.ID || wk.Version != it.Version {
		return corrupt(errors.New("share key entry does not name this space"))
	}
	if err := c.checkListed(it, m, sp.ID); err != nil {
		return err
	}
	dek, err := spaceDEK(wk, sk)
	if err != nil {
		return err
	}
	defer dek.Destroy()
	if err := verifyItem(it, dek); err != nil {
		return err
	}
	rec, err := wrapBytes(sk, c.KEK)
	if err != nil {
		return err
	}
	return c.Transport.Claim(ctx, sp.ID, rec)
}

func (c *Client) unclaimedSpaceKey(ctx context.Context, sp *Space) ([]byte, error) {
	conn, err := c.Transport.Connection(ctx, sp.Connection)
	if err != nil {
		return nil, err
	}
	id, err := c.connectionIdentity(ctx, conn)
	if err != nil {
		return nil, err
	}
	return unwrapBytes(sp.RecipientKey, id)
}

// spaceKey returns a space's key: for its sharer from SharerKey, for its
// recipient from ClaimedKey, or, before the claim, through the connection.
func (c *Client) spaceKey(ctx context.Context, id string) ([]byte, error) {
	sp, err := c.Transport.Space(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case sp.Sharer == c.User:
		return unwrapBytes(sp.SharerKey, c.KEK)
	case sp.Recipient == c.User && len(sp.ClaimedKey) != 0:
		return unwrapBytes(sp.ClaimedKey, c.KEK)
	case sp.Recipient == c.User:
		return c.unclaimedSpaceKey(ctx, sp)
	}
	return nil, ErrPermission
}
