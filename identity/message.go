package identity

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
)

// messageContext starts every signed message's to-be-signed bytes, so a
// message signature can never be taken for an HTTP signature base, a JWS or
// another protocol's signature by the same key.
const messageContext = "sealkit identity signed-message v1"

// Message limits, checked before decoding.
const (
	// MaxMessagePayload caps a signed message's payload.
	MaxMessagePayload = 1 << 20
	// MaxMessageBytes caps the JSON encoding ParseSignedMessage accepts.
	MaxMessageBytes = MaxMessagePayload*4/3 + 4<<10
	// MaxPurposeLength and MaxKeyIDLength cap those fields.
	MaxPurposeLength = 255
	MaxKeyIDLength   = 255
)

// LoginPurpose is the purpose of the signed login challenge that
// TokenIssuer exchanges for a session token.
const LoginPurpose = "sealkit-login"

// SignedMessage is a message signed outside HTTP: a {payload,
// signature, public_key_id} with a creation time, a nonce and a purpose
// string that a verifier must expect, all bound by the signature over
// SignedBytes. Its JSON form is in SPEC.md.
type SignedMessage struct {
	Payload   []byte
	Created   time.Time
	Nonce     string
	Purpose   string
	KeyID     string
	Alg       Algorithm
	Signature []byte
}

// SignMessage signs payload for purpose with key, now, with a fresh nonce.
func SignMessage(key *PrivateKey, purpose string, payload []byte) (*SignedMessage, error) {
	m := &SignedMessage{
		Payload: payload,
		Created: time.Unix(time.Now().Unix(), 0),
		Nonce:   NewNonce(),
		Purpose: purpose,
		KeyID:   key.KeyID(),
		Alg:     key.Algorithm(),
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	sig, err := key.Sign(m.SignedBytes())
	if err != nil {
		return nil, err
	}
	m.Signature = sig
	return m, nil
}

func (m *SignedMessage) check() error {
	switch {
	case len(m.Payload) > MaxMessagePayload:
		return reject(ReasonBodyTooLarge, "payload exceeds the cap")
	case len(m.Purpose) > MaxPurposeLength, len(m.KeyID) > MaxKeyIDLength, len(m.Alg) > MaxPurposeLength:
		return reject(ReasonMalformed, "field too long")
	case m.Created.Unix() < 0:
		return reject(ReasonMalformed, "created before 1970")
	}
	return checkNonce(m.Nonce)
}

// SignedBytes returns the canonical encoding the signature covers:
//
//	messageContext || 0x00 || str(purpose) || str(alg) || str(keyid) ||
//	uint64(created) || str(nonce) || uint32(len(payload)) || payload
//
// where str(s) is uint16(len(s)) || s and integers are big-endian.
func (m *SignedMessage) SignedBytes() []byte {
	b := make([]byte, 0, len(messageContext)+1+2*4+len(m.Purpose)+len(m.Alg)+len(m.KeyID)+len(m.Nonce)+8+4+len(m.Payload))
	b = append(b, messageContext...)
	b = append(b, 0)
	str := func(s string) {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	str(m.Purpose)
	str(string(m.Alg))
	str(m.KeyID)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Created.Unix()))
	str(m.Nonce)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Payload)))
	return append(b, m.Payload...)
}

type messageJSON struct {
	Payload   string `json:"payload"`
	Created   int64  `json:"created"`
	Nonce     string `json:"nonce"`
	Purpose   string `json:"purpose"`
	KeyID     string `json:"public_key_id"`
	Alg       string `json:"alg"`
	Signature string `json:"signature"`
}

var b64 = base64.RawURLEncoding

// MarshalJSON encodes m as in SPEC.md (binary fields base64url, unpadded).
func (m *SignedMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(messageJSON{
		Payload:   b64.EncodeToString(m.Payload),
		Created:   m.Created.Unix(),
		Nonce:     m.Nonce,
		Purpose:   m.Purpose,
		KeyID:     m.KeyID,
		Alg:       string(m.Alg),
		Signature: b64.EncodeToString(m.Signature),
	})
}

// ParseSignedMessage decodes the JSON form strictly (no unknown or
// missing fields, canonical base64url, limits checked before decoding). It
// verifies nothing: use MessageVerifier. Errors wrap ErrMalformed (or
// ErrBodyTooLarge).
func ParseSignedMessage(b []byte) (*SignedMessage, error) {
	if len(b) > MaxMessageBytes {
		return nil, reject(ReasonBodyTooLarge, "message exceeds the cap")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var j messageJSON
	if err := d.Decode(&j); err != nil {
		return nil, rejectErr(ReasonMalformed, "message is not the expected JSON object", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, reject(ReasonMalformed, "trailing data after the message")
	}
	if err := requireMembers(b); err != nil {
		return nil, err
	}
	payload, err := b64.Strict().DecodeString(j.Payload)
	if err != nil {
		return nil, reject(ReasonMalformed, "payload is not base64url")
	}
	sig, err := b64.Strict().DecodeString(j.Signature)
	if err != nil || len(sig) == 0 {
		return nil, reject(ReasonMalformed, "signature is not base64url")
	}
	if j.KeyID == "" || j.Alg == "" || j.Created <= 0 {
		return nil, reject(ReasonMalformed, "public_key_id, alg and created are required")
	}
	m := &SignedMessage{
		Payload:   payload,
		Created:   time.Unix(j.Created, 0),
		Nonce:     j.Nonce,
		Purpose:   j.Purpose,
		KeyID:     j.KeyID,
		Alg:       Algorithm(j.Alg),
		Signature: sig,
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

// messageMembers are the members every signed message carries.
var messageMembers = []string{"payload", "created", "nonce", "purpose", "public_key_id", "alg", "signature"}

// requireMembers refuses a message object that lacks one of
// messageMembers or has one as null: encoding/json would read it as
// empty, and an empty payload or purpose must be said, not implied.
func requireMembers(b []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return rejectErr(ReasonMalformed, "message is not the expected JSON object", err)
	}
	for _, name := range messageMembers {
		if v, ok := members[name]; !ok || string(v) == "null" {
			return reject(ReasonMalformed, "message member "+name+" is missing")
		}
	}
	return nil
}

// MessageVerifier verifies SignedMessages: the expected purpose, a known
// algorithm, a registered unrevoked key whose algorithm matches, the
// signature, freshness (created within MaxAge, at most MaxSkew ahead) and a
// nonce not seen before. Set Registry; the rest have defaults.
type MessageVerifier struct {
	Registry KeyRegistry
	// Replay remembers nonces; nil means one MemoryReplayStore per verifier.
	Replay ReplayStore
	// Purpose is the purpose messages must carry (exactly).
	Purpose         string
	MaxAge, MaxSkew time.Duration
	Now             func() time.Time

	once   sync.Once
	replay ReplayStore
}

// Verify checks m and returns the *Verified outcome or a *RejectError.
func (v *MessageVerifier) Verify(ctx context.Context, m *SignedMessage) (*Verified, error) {
	return v.verify(ctx, m, v.Purpose)
}

func (v *MessageVerifier) verify(ctx context.Context, m *SignedMessage, purpose string) (*Verified, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if m.Purpose != purpose {
		return nil, reject(ReasonPolicy, "purpose "+strconv.Quote(m.Purpose)+" not expected here")
	}
	if m.Alg != Ed25519 && m.Alg != ECDSAP256SHA256 {
		return nil, reject(ReasonUnknownAlgorithm, "alg "+strconv.Quote(string(m.Alg)))
	}
	until, err := newFreshness(v.MaxAge, v.MaxSkew, v.Now).check(m.Created, time.Time{})
	if err != nil {
		return nil, err
	}
	entry, err := lookupKey(ctx, v.Registry, m.KeyID)
	if err != nil {
		return nil, err
	}
	if entry.PublicKey.Algorithm() != m.Alg {
		return nil, reject(ReasonBadSignature, "alg does not match the key")
	}
	if !entry.PublicKey.Verify(m.SignedBytes(), m.Signature) {
		return nil, reject(ReasonBadSignature, "signature does not verify")
	}
	rs := v.Replay
	if rs == nil {
		v.once.Do(func() { v.replay = &MemoryReplayStore{Now: v.Now} })
		rs = v.replay
	}
	if err := remember(ctx, rs, entry.KeyID(), m.Nonce, until); err != nil {
		return nil, err
	}
	return &Verified{ok: true, entry: entry, created: m.Created, nonce: m.Nonce}, nil
}

// NewChallenge returns a random login challenge for a client to sign with
// SignMessage(key, LoginPurpose, []byte(challenge)).
func NewChallenge() string { return NewNonce() }

// VerifyLogin checks a signed login challenge: purpose LoginPurpose and
// payload equal to the challenge the server issued (and has not reused),
// plus everything Verify checks. Pass the result to TokenIssuer.Issue.
func (v *MessageVerifier) VerifyLogin(ctx context.Context, m *SignedMessage, challenge string) (*Verified, error) {
	if challenge == "" || subtle.ConstantTimeCompare(m.Payload, []byte(challenge)) != 1 {
		return nil, reject(ReasonBadSignature, "login challenge mismatch")
	}
	return v.verify(ctx, m, LoginPurpose)
}

// VerifyMessage checks a message signed by key, a key that is not (yet)
// in a registry: a registration request proves with it that the client
// holds the key it registers. It checks the purpose (exactly), that alg
// and the key ID are key's, the signature, and freshness at now (created
// at most [DefaultMaxAge] ago and [DefaultMaxSkew] ahead). It remembers no
// nonce, so the caller binds the message to what it authorizes — its
// payload (a registration: the account name), checked by the caller —
// and refuses a second use by state (the name is then taken). Errors are
// *[RejectError].
func VerifyMessage(m *SignedMessage, key *PublicKey, purpose string, now time.Time) error {
	if err := m.check(); err != nil {
		return err
	}
	if m.Purpose != purpose {
		return reject(ReasonPolicy, "purpose "+strconv.Quote(m.Purpose)+" not expected here")
	}
	if m.Alg != Ed25519 && m.Alg != ECDSAP256SHA256 {
		return reject(ReasonUnknownAlgorithm, "alg "+strconv.Quote(string(m.Alg)))
	}
	if key == nil || m.KeyID != key.KeyID() {
		return reject(ReasonUnknownKey, "message names another key")
	}
	if m.Alg != key.Algorithm() {
		return reject(ReasonBadSignature, "alg does not match the key")
	}
	if _, err := newFreshness(0, 0, func() time.Time { return now }).check(m.Created, time.Time{}); err != nil {
		return err
	}
	if !key.Verify(m.SignedBytes(), m.Signature) {
		return reject(ReasonBadSignature, "signature does not verify")
	}
	return nil
}
