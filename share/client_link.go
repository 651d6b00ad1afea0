package share

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"time"

	"github.com/sealkit/sealkit/envelope"
)

// linkKEKID is the envelope KEK hint of link-wrapped DEKs.
const linkKEKID = "link"

// LinkSecret identifies a public link and carries its secret. Give ID and
// Secret out of band, or as a URL whose fragment holds Secret (fragments are
// not sent to servers). Secret is 128 random bits, base64url: do not log it.
type LinkSecret struct {
	ID     string
	Secret string
}

// String does not reveal the secret.
func (l LinkSecret) String() string { return "share.LinkSecret(" + l.ID + ")" }

// URL returns base + "/" + ID + "#" + Secret.
func (l LinkSecret) URL(base string) string { return base + "/" + l.ID + "#" + l.Secret }

// LinkOptions bound a link's life.
type LinkOptions struct {
	TTL          time.Duration // required, at most MaxLinkTTL
	MaxDownloads int           // required, 1 to MaxMaxDownloads
}

// CreateLink makes a public password link for an item User owns. The
// secret, the share KEK and the verifier stay here; the server
// gets the salt, the DEK wrapped under the share KEK and SHA-256 of the
// verifier.
func (c *Client) CreateLink(ctx context.Context, item string, opt LinkOptions) (LinkSecret, error) {
	unlock := c.lockItem(item)
	it, m, err := c.ownedItem(ctx, item)
	unlock()
	if err != nil {
		return LinkSecret{}, err
	}
	dek, err := c.itemKey(ctx, it, m)
	if err != nil {
		return LinkSecret{}, err
	}
	defer dek.Destroy()
	raw := make([]byte, LinkSecretBytes)
	rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	clear(raw)
	l := &Link{ID: NewID(), Item: item, Owner: c.User, Version: it.Version,
		Salt: make([]byte, SaltSize), Iterations: int(minLinkIterations.Load()),
		Expires: time.Now().Add(opt.TTL).UTC(), MaxDownloads: opt.MaxDownloads, Remaining: opt.MaxDownloads}
	rand.Read(l.Salt)
	kek, verifier, err := linkKeys(secret, l.Salt, l.Iterations)
	if err != nil {
		return LinkSecret{}, err
	}
	defer clear(kek)
	k, err := envelope.NewKEK(linkKEKID, kek)
	if err != nil {
		return LinkSecret{}, err
	}
	if l.WrappedKey, err = envelope.WrapKey(dek, k); err != nil {
		return LinkSecret{}, err
	}
	l.VerifierHash = hashProof(verifier)
	if err := c.Transport.CreateLink(ctx, &LinkRequest{Link: l, Event: c.event(ActionShare, item, l.ID)}); err != nil {
		return LinkSecret{}, err
	}
	return LinkSecret{ID: l.ID, Secret: secret}, nil
}

// OpenLink opens a public link with its secret, decrypting the item into w.
// Anyone may call it; t needs no identity. It refuses link parameters below
// the KDF floor (a server lowering them would make the secret cheap to
// guess from the proof) or above the ceiling. A wrong secret is ErrBadProof;
// then ErrLocked, ErrExpired, ErrExhausted as the server says; anything the
// server changed is ErrCorrupt.
func OpenLink(ctx context.Context, t LinkOpener, l LinkSecret, w io.Writer) (*envelope.Metadata, error) {
	p, err := t.LinkParams(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if int64(p.Iterations) < minLinkIterations.Load() {
		return nil, invalid("link KDF iterations below the floor")
	}
	kek, verifier, err := linkKeys(l.Secret, p.Salt, p.Iterations)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	g, rc, err := t.AccessLink(ctx, l.ID, &AccessRequest{Proof: verifier})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := g.Validate(); err != nil {
		return nil, corrupt(err)
	}
	k, err := envelope.NewKEK(linkKEKID, kek)
	if err != nil {
		return nil, err
	}
	dek, err := envelope.UnwrapKey(g.WrappedKey, k)
	if err != nil {
		return nil, corrupt(err)
	}
	defer dek.Destroy()
	if err := verifyItem(g.Item, dek); err != nil {
		return nil, err
	}
	return openPayload(g.Item, dek, rc, w)
}

// Revoke removes recipient's access to item: the server deletes its wrapped
// key and share records, and User signs the item's next manifest without
// recipient. With rotate, the item is then re-sealed under a
// new DEK (a new version) wrapped for the remaining recipients only, so a
// revoked user who kept the old DEK cannot read the new version. Without
// rotate, a revoked user who saved the DEK or the plaintext keeps them; see
// SPEC.md, "What revocation promises".
func (c *Client) Revoke(ctx context.Context, item, recipient string, rotate bool) error {
	if err := c.revoke(ctx, item, recipient); err != nil || !rotate {
		return err
	}
	_, err := c.Rotate(ctx, item)
	return err
}

func (c *Client) revoke(ctx context.Context, item, recipient string) error {
	defer c.lockItem(item)()
	it, m, err := c.ownedItem(ctx, item)
	if err != nil {
		return err
	}
	rs, err := c.recipients(ctx, it, m)
	if err != nil {
		return err
	}
	next, err := c.nextManifest(ctx, it, m, withoutRecipient(rs, recipient))
	if err != nil {
		return err
	}
	if err := c.Transport.Revoke(ctx, item, recipient, c.event(ActionRevoke, item, recipient), next.Bytes()); err != nil {
		return err
	}
	return c.saw(ctx, next)
}

// Rotate re-seals item under a fresh DEK as its next version and rewraps
// the new DEK for the recipients of User's own latest manifest (SPEC.md
// §11): User's KEK, registered users' current, verified public keys, and
// space shares' space keys. The server's list of key holders only narrows
// it: a recipient the server no longer lists is dropped (as a server can
// always deny access), one it lists that the manifest does not is ignored.
// Public links of the old version stop working.
func (c *Client) Rotate(ctx context.Context, item string) (*Item, error) {
	// The item is locked to read and to sign, not while the payload
	// streams: rotations race at the Service, which keeps one.
	unlock := c.lockItem(item)
	it, m, err := c.ownedItem(ctx, item)
	unlock()
	if err != nil {
		return nil, err
	}
	old, err := c.itemKey(ctx, it, m)
	if err != nil {
		return nil, err
	}
	defer old.Destroy()
	h, err := envelope.ParseHeader(it.Header)
	if err != nil {
		return nil, corrupt(err)
	}
	meta, err := h.Metadata(old)
	if err != nil {
		return nil, corrupt(err)
	}
	rs, err := c.recipients(ctx, it, m)
	if err != nil {
		return nil, err
	}
	dek := envelope.NewKey()
	defer dek.Destroy()
	next := &Item{ID: it.ID, Owner: it.Owner, Version: it.Version + 1}
	own, err := envelope.WrapKey(dek, c.KEK)
	if err != nil {
		return nil, err
	}
	keys := []*WrappedKey{{Item: it.ID, Recipient: c.User, Version: next.Version, Record: own}}
	for i, r := range rs {
		k := &WrappedKey{Item: it.ID, Recipient: r.User, Version: next.Version, Space: r.Space}
		if r.Space != "" {
			var sk []byte
			if sk, err = c.spaceKey(ctx, r.Space); err == nil {
				var kek *envelope.KEK
				if kek, err = envelope.NewKEK(r.Space, sk); err == nil {
					k.Record, err = envelope.WrapKey(dek, kek)
				}
				clear(sk)
			}
		} else {
			var u contact
			if u, err = c.contact(ctx, r.User); err == nil {
				k.Record, err = wrapForKeys(dek, u.Keys)
				rs[i].BundleVersion = u.bundleVersion()
			}
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	rc, err := c.Transport.Download(ctx, item, c.event(ActionDownload, item, ""))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := openPayload(it, old, rc, pw)
		pw.CloseWithError(err)
	}()
	got, err := c.sealTo(ctx, next, it.Version, dek, meta, pr, keys)
	pr.CloseWithError(errors.New("share: rotation ended"))
	<-done
	if err != nil {
		return nil, err
	}
	defer c.lockItem(item)()
	if _, err := c.putManifest(ctx, got, m, rs); err != nil {
		return got, err
	}
	return got, nil
}
