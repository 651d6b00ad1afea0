package share

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"
)

// Audited actions.
const (
	ActionShare        = "share"
	ActionRevoke       = "revoke"
	ActionDownload     = "download"
	ActionDelete       = "delete"
	ActionLinkDownload = "link-download" // server-attested: the downloader has no identity
)

// Domain-separation labels of the audit log (SPEC.md, "Audit").
const (
	LabelAuditEvent = "sealkit/share audit event v1"
	LabelAuditEntry = "sealkit/share audit entry v1"
)

// NonceSize is the size of an event's random nonce.
const NonceSize = 16

// Event is what an acting user asks for, signed with its Ed25519 key. The
// server checks that it describes the request it arrived with and that the
// signature verifies under the user's registered signing key.
type Event struct {
	Action  string    `json:"action"` // one of the Action… constants
	Actor   string    `json:"actor"`  // the acting user; for a link download, the link ID
	Item    string    `json:"item"`
	Subject string    `json:"subject,omitempty"` // recipient user, or link ID
	Time    time.Time `json:"time"`              // set by the signer; the Service refuses it beyond EventSkew of its clock
	Nonce   []byte    `json:"nonce"`             // NonceSize random bytes
	// Signature is the actor's Ed25519 signature over [Event.SignedBytes];
	// empty on the link-download events the Service chains itself.
	Signature []byte `json:"signature,omitempty"`
}

// AuditEntry is one link of an item's hash chain.
//
//	Hash = SHA-256(LabelAuditEntry || u64(Seq) || Prev || SignedBytes(Event) || lp(Signature))
type AuditEntry struct {
	Seq   uint64 `json:"seq"`  // 1 for the first entry of an item
	Prev  []byte `json:"prev"` // the previous entry's Hash; [GenesisHash] for the first
	Event Event  `json:"event"`
	Hash  []byte `json:"hash"` // this entry's hash, as above; 32 bytes
}

func appendLP(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// SignedBytes returns the bytes an event's signature covers:
//
//	LabelAuditEvent || lp(action) || lp(actor) || lp(item) || lp(subject) ||
//	i64(time, Unix nanoseconds) || lp(nonce)
//
// where lp(x) is a 4-byte big-endian length followed by x.
func (e *Event) SignedBytes() []byte {
	b := []byte(LabelAuditEvent)
	b = appendLP(b, []byte(e.Action))
	b = appendLP(b, []byte(e.Actor))
	b = appendLP(b, []byte(e.Item))
	b = appendLP(b, []byte(e.Subject))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	return appendLP(b, e.Nonce)
}

// NewEvent returns an event by actor, stamped now with a fresh nonce and
// signed with key.
func NewEvent(key ed25519.PrivateKey, action, actor, item, subject string) *Event {
	e := &Event{Action: action, Actor: actor, Item: item, Subject: subject,
		Time: time.Now().UTC().Round(0), Nonce: make([]byte, NonceSize)}
	rand.Read(e.Nonce)
	e.Signature = ed25519.Sign(key, e.SignedBytes())
	return e
}

// Validate checks field formats and limits (not the signature).
func (e *Event) Validate() error {
	switch e.Action {
	case ActionShare, ActionRevoke, ActionDownload, ActionDelete, ActionLinkDownload:
	default:
		return invalid("unknown audit action")
	}
	if err := checkIDs(e.Actor, e.Item); err != nil {
		return err
	}
	if e.Subject != "" && !ValidID(e.Subject) {
		return invalid("audit subject")
	}
	if len(e.Nonce) != NonceSize {
		return invalid("audit nonce")
	}
	if len(e.Signature) != 0 && len(e.Signature) != ed25519.SignatureSize {
		return invalid("audit signature size")
	}
	return nil
}

// Verify checks e's signature under pub.
func (e *Event) Verify(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(e.Signature) == ed25519.SignatureSize &&
		ed25519.Verify(pub, e.SignedBytes(), e.Signature)
}

// ComputeHash returns the chain hash of an entry with these fields.
func (a *AuditEntry) ComputeHash() []byte {
	b := []byte(LabelAuditEntry)
	b = binary.BigEndian.AppendUint64(b, a.Seq)
	b = append(b, a.Prev...)
	b = append(b, a.Event.SignedBytes()...)
	b = appendLP(b, a.Event.Signature)
	h := sha256.Sum256(b)
	return h[:]
}

// Validate checks field formats and limits (not the chain).
func (a *AuditEntry) Validate() error {
	if a.Seq == 0 {
		return invalid("audit sequence starts at 1")
	}
	if err := checkHash(a.Prev); err != nil {
		return err
	}
	if err := checkHash(a.Hash); err != nil {
		return err
	}
	return a.Event.Validate()
}

// genesis is Prev of an item's first entry: SHA-256(LabelAuditEntry || item).
func genesis(item string) []byte {
	h := sha256.Sum256(append([]byte(LabelAuditEntry), item...))
	return h[:]
}

// VerifyAudit checks an item's audit chain, oldest first: sequence numbers
// count up from 1, each entry names the previous one's hash (the first, the
// item's genesis hash), each hash is right, and every event is about item and
// signed by its actor under the key signingKey returns (server-attested
// link-download entries, which carry no signature, are accepted unsigned).
// A changed, dropped, inserted or reordered entry fails with ErrAudit.
// Dropping entries from the end is only caught if head (the last hash the
// caller saw, or nil) is given: keep it and pass it next time.
func VerifyAudit(item string, entries []*AuditEntry, head []byte, signingKey func(user string) (ed25519.PublicKey, error)) error {
	return verifyChain(item, 0, genesis(item), entries, head, signingKey)
}

// VerifyAuditAfter checks entries that continue an item's chain after last,
// an entry the caller verified before (nil: from the start): the first must
// have Seq last.Seq+1 and name last's hash, and the rest are checked as
// VerifyAudit checks a chain. It lets a verifier that kept its last entry
// check only what was appended since.
func VerifyAuditAfter(item string, last *AuditEntry, entries []*AuditEntry, signingKey func(user string) (ed25519.PublicKey, error)) error {
	if last == nil {
		return VerifyAudit(item, entries, nil, signingKey)
	}
	if last.Validate() != nil || last.Event.Item != item || subtle.ConstantTimeCompare(last.Hash, last.ComputeHash()) != 1 {
		return fmt.Errorf("%w: the known last entry is malformed", ErrAudit)
	}
	return verifyChain(item, last.Seq, last.Hash, entries, nil, signingKey)
}

// verifyChain checks entries that follow entry seq0 (0: the start) whose
// hash is prev.
func verifyChain(item string, seq0 uint64, prev []byte, entries []*AuditEntry, head []byte, signingKey func(user string) (ed25519.PublicKey, error)) error {
	sawHead := head == nil
	for i, e := range entries {
		n := seq0 + uint64(i) + 1
		fail := func(why string) error {
			return fmt.Errorf("%w: entry %d: %s", ErrAudit, n, why)
		}
		if e == nil || e.Validate() != nil {
			return fail("malformed")
		}
		if e.Seq != n {
			return fail("sequence number out of order")
		}
		if subtle.ConstantTimeCompare(e.Prev, prev) != 1 {
			return fail("does not follow the previous entry")
		}
		if subtle.ConstantTimeCompare(e.Hash, e.ComputeHash()) != 1 {
			return fail("hash mismatch")
		}
		if e.Event.Item != item {
			return fail("entry about another item")
		}
		if e.Event.Action == ActionLinkDownload && len(e.Event.Signature) == 0 {
			// server-attested
		} else {
			pub, err := signingKey(e.Event.Actor)
			if err != nil {
				return fmt.Errorf("%w: entry %d: signing key: %w", ErrAudit, n, err)
			}
			if !e.Event.Verify(pub) {
				return fail("bad signature")
			}
		}
		prev = e.Hash
		if !sawHead && subtle.ConstantTimeCompare(e.Hash, head) == 1 {
			sawHead = true
		}
	}
	if !sawHead {
		return fmt.Errorf("%w: the known head is missing: entries were dropped", ErrAudit)
	}
	return nil
}
