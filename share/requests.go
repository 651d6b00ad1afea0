package share

// The requests a client sends the Service, each with the checks of its
// shape that need no stores (Validate); the Service checks the rest
// against the stores inside the operation's transaction.

// Upload is an item record with its wrapped keys. PrevVersion is 0 to
// create the item, or the version it replaces (rotation).
type Upload struct {
	Item        *Item         `json:"item"`                   // Item.Version must be PrevVersion+1
	Keys        []*WrappedKey `json:"keys"`                   // the new version's keys, the owner's among them
	PrevVersion uint64        `json:"prev_version,omitempty"` // 0 to create the item
}

// Validate checks field formats and limits.
func (u *Upload) Validate() error {
	if u.Item == nil {
		return invalid("upload without item")
	}
	if err := u.Item.Validate(); err != nil {
		return err
	}
	if len(u.Keys) == 0 || len(u.Keys) > maxKeysPerItem {
		return invalid("an upload carries 1 to %d keys", maxKeysPerItem)
	}
	for _, k := range u.Keys {
		if k == nil {
			return invalid("nil key")
		}
		if err := k.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// maxKeysPerItem caps the recipients of one item version.
const maxKeysPerItem = 1024

// ShareRequest creates a direct (E2EE) share: the item's DEK wrapped to the
// recipient's published public key, and the signed share event.
type ShareRequest struct {
	Share *Share      `json:"share"` // Mode must be ModeDirect
	Key   *WrappedKey `json:"key"`   // the DEK wrapped to Share.Recipient
	Event *Event      `json:"event"` // the owner's signed share event, subject Share.Recipient
	// Manifest is the owner's next signed manifest of the item, listing
	// the recipient (SPEC.md §11); stored with the share. Optional.
	Manifest []byte `json:"manifest,omitempty"`
}

// Validate checks field formats and limits.
func (r *ShareRequest) Validate() error {
	if r.Share == nil || r.Key == nil {
		return invalid("share request without share or key")
	}
	if len(r.Manifest) > MaxManifestBytes {
		return invalid("manifest size")
	}
	if err := r.Share.Validate(); err != nil {
		return err
	}
	return r.Key.Validate()
}

// SpaceShareRequest creates a share through an encryption space. Space is
// the new space to create, or nil to use the existing Share.Space.
type SpaceShareRequest struct {
	Space *Space      `json:"space,omitempty"`
	Share *Share      `json:"share"` // Mode must be ModeWrap or ModeReencrypt
	Key   *WrappedKey `json:"key"`   // the recipient's key record, naming the space
	Event *Event      `json:"event"` // the owner's signed share event, subject Share.Recipient
	// Manifest is the owner's next signed manifest of Share.Item, listing
	// the recipient with the space (SPEC.md §11); stored with the share.
	// Optional.
	Manifest []byte `json:"manifest,omitempty"`
}

// Validate checks field formats and limits.
func (r *SpaceShareRequest) Validate() error {
	if r.Share == nil || r.Key == nil {
		return invalid("space share request without share or key")
	}
	if len(r.Manifest) > MaxManifestBytes {
		return invalid("manifest size")
	}
	if r.Space != nil {
		if err := r.Space.Validate(); err != nil {
			return err
		}
	}
	if err := r.Share.Validate(); err != nil {
		return err
	}
	return r.Key.Validate()
}

// AcceptRequest accepts an invitation with its token and the invitee's
// per-connection public key.
type AcceptRequest struct {
	Token string    `json:"token"` // the secret of the [InvitationToken]
	Key   PublicKey `json:"key"`   // becomes the connection's InviteeKey
}

// LinkRequest creates a public link; Event is the owner's signed share
// event whose subject is the link ID.
type LinkRequest struct {
	Link  *Link  `json:"link"`
	Event *Event `json:"event"`
}

// AccessRequest presents a link proof (the verifier derived from the secret).
type AccessRequest struct {
	Proof []byte `json:"proof"`
}
