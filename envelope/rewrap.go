package envelope

import (
	"fmt"
)

// Rewrap returns a new header for the same payload: the stanzas for which
// keep returns false are dropped (keep may be nil to keep all) and key is
// wrapped for each of add. key and ad must authenticate h. The payload is
// not touched: write the new header followed by the old payload bytes, or
// store the new header beside the payload if they are kept apart.
//
// Removing a stanza stops its holder from unwrapping the key from this
// header; it cannot make them forget a key they already unwrapped. To cut
// off such a recipient, seal the content again under a new key.
func Rewrap(h *Header, key *Key, ad []byte, keep func(*Stanza) bool, add ...Recipient) (*Header, error) {
	if err := h.Verify(key, ad); err != nil {
		return nil, err
	}
	var stanzas []*Stanza
	var classes []Class
	for _, s := range h.Stanzas() {
		if keep == nil || keep(s) {
			stanzas = append(stanzas, s)
			classes = append(classes, stanzaClass(s.Type))
		}
	}
	for _, r := range add {
		if r == nil {
			return nil, fmt.Errorf("envelope: nil recipient")
		}
		classes = append(classes, ClassOf(r))
	}
	if err := checkClasses(classes); err != nil {
		return nil, err
	}
	added, err := wrapAll(key, add)
	if err != nil {
		return nil, err
	}
	return buildHeader(h.suite, h.segmentSize, h.salt, append(stanzas, added...), h.metadata, key, ad)
}

// stanzaClass is the Class of the recipient that made a stanza of type typ,
// so that the mixing rule covers the stanzas Rewrap keeps.
func stanzaClass(typ string) Class {
	switch typ {
	case hybridType:
		return PostQuantum
	case kekType, aeadType:
		return Symmetric
	case pbkdf2Type, argon2idType:
		return Passphrase
	}
	return Classical
}

// WrapKey wraps key for the recipients as a standalone wrapped-key record,
// kept apart from any envelope (for example one record per recipient in a
// server-side registry). The same mixing rule as Seal applies.
func WrapKey(key *Key, recipients ...Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, fmt.Errorf("envelope: WrapKey needs a recipient")
	}
	if err := CheckRecipients(recipients); err != nil {
		return nil, err
	}
	stanzas, err := wrapAll(key, recipients)
	if err != nil {
		return nil, err
	}
	b := append([]byte(recordMagic), formatV1)
	return appendStanzas(b, stanzas)
}

// UnwrapKey returns the key in a wrapped-key record from the first identity
// that matches. The key is authentic to the wrapping only: opening the
// envelope it belongs to (OpenOptions.Key) checks it is that envelope's key.
func UnwrapKey(record []byte, identities ...Identity) (*Key, error) {
	stanzas, err := parseWrappedKey(record)
	if err != nil {
		return nil, err
	}
	key := &Key{}
	if err := unwrapStanzas(key, stanzas, identities); err != nil {
		return nil, err
	}
	return key, nil
}

// ParseWrappedKey returns copies of the stanzas of a wrapped-key record.
func ParseWrappedKey(record []byte) ([]*Stanza, error) {
	stanzas, err := parseWrappedKey(record)
	if err != nil {
		return nil, err
	}
	return cloneStanzas(stanzas), nil
}

// parseWrappedKey returns the stanzas of a wrapped-key record, pointing
// into record.
func parseWrappedKey(record []byte) ([]*Stanza, error) {
	if len(record) > MaxHeaderSize {
		return nil, corrupt("wrapped-key record over the size limit")
	}
	p := &parser{src: record, left: MaxHeaderSize, build: true}
	if err := p.preamble(recordMagic, "wrapped-key record"); err != nil {
		return nil, err
	}
	stanzas := p.stanzas()
	if p.err != nil {
		return nil, p.err
	}
	if p.off != len(record) {
		return nil, corrupt("trailing bytes after wrapped-key record")
	}
	if len(stanzas) == 0 {
		return nil, corrupt("wrapped-key record without stanzas")
	}
	return stanzas, nil
}
