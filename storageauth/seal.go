package storageauth

// Seal encrypts keyring for this slot at version and signs it, returning the
// record a store request carries. A keyring may be empty and at most
// MaxKeyringBytes. The nonce is random, so sealing twice gives different
// ciphertexts.
func (k *Keys) Seal(keyring []byte, version uint64) (*Record, error) {
	if version < 1 || version > MaxVersion {
		return nil, malformed("version must be 1 to 2^53-1")
	}
	if len(keyring) > MaxKeyringBytes {
		return nil, &wrapped{"keyring longer than MaxKeyringBytes", ErrTooLarge}
	}
	id := k.id.String()
	ct := k.aead.Seal(nil, nil, keyring, keyringAD(id, version))
	sig, err := k.sk.sign(storeMessage(id, version, ct))
	if err != nil {
		return nil, err
	}
	return &Record{ID: id, Version: version, Ciphertext: ct, Signature: sig}, nil
}

// Open checks that rec belongs to this slot, verifies its signature and
// decrypts it. Every failure is ErrCorrupt: a client cannot tell a server's
// tampering from a swap, and need not.
func (k *Keys) Open(rec *Record) ([]byte, error) {
	if rec == nil || rec.ID != k.id.String() {
		return nil, ErrCorrupt
	}
	if _, err := rec.check(); err != nil {
		return nil, ErrCorrupt
	}
	if !verify(k.id, storeMessage(rec.ID, rec.Version, rec.Ciphertext), rec.Signature) {
		return nil, ErrCorrupt
	}
	pt, err := k.aead.Open(nil, nil, rec.Ciphertext, keyringAD(rec.ID, rec.Version))
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}
