package envelope

import (
	"crypto/hpke"
)

// HPKE recipients use base mode with HKDF-SHA256 and AES-256-GCM. The
// stanza body is enc || ciphertext, the output of RFC 9180 single-shot
// SealBase(pkR, info, aad = "", pt = file key).
func hpkeWrap(pub hpke.PublicKey, typ, info string, hint, fileKey []byte) ([]*Stanza, error) {
	body, err := hpke.Seal(pub, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte(info), fileKey)
	if err != nil {
		return nil, err
	}
	return []*Stanza{{Type: typ, Hint: hint, Body: body}}, nil
}

// hpkeUnwrap tries every stanza of type typ whose hint fits and whose body
// is encLen + 48 bytes long.
func hpkeUnwrap(priv hpke.PrivateKey, typ, info string, hint []byte, encLen int, stanzas []*Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type != typ || !hintMatches(s, hint) || len(s.Body) != encLen+KeySize+16 {
			continue
		}
		fk, err := hpke.Open(priv, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte(info), s.Body)
		if err != nil {
			continue
		}
		return fk, nil
	}
	return nil, incorrect(typ)
}
