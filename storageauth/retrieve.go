package storageauth

import (
	"encoding/binary"
	"time"
)

// DefaultProofWindow is how far a retrieve proof's timestamp may be from the
// server's clock when Server.ProofWindow is zero.
const DefaultProofWindow = 5 * time.Minute

// RetrieveProof proves possession of a slot's secret key when retrieving its
// record, so that a server requiring it does not reveal which slots exist
// or hand their ciphertexts to anyone who knows the public key.
type RetrieveProof struct {
	// Timestamp is the signing time in Unix seconds.
	Timestamp int64
	// Signature is the slot key's signature over the retrieve message.
	Signature []byte
}

// retrieveMessage is "sealkit/storageauth/v1/retrieve" || 0x00 ||
// u16(len(id)) || id || u64(timestamp).
func retrieveMessage(id string, ts int64) []byte {
	b := make([]byte, 0, len(contextRetrieve)+1+2+len(id)+8)
	b = appendBound(b, contextRetrieve, id)
	return binary.BigEndian.AppendUint64(b, uint64(ts))
}

// SignRetrieve returns a proof for retrieving this slot at time t.
func (k *Keys) SignRetrieve(t time.Time) (*RetrieveProof, error) {
	ts := t.Unix()
	if ts < 0 {
		return nil, malformed("retrieve time before 1970")
	}
	sig, err := k.sk.sign(retrieveMessage(k.id.String(), ts))
	if err != nil {
		return nil, err
	}
	return &RetrieveProof{Timestamp: ts, Signature: sig}, nil
}
