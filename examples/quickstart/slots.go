package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/sealkit/sealkit/backend/sqlite"
	"github.com/sealkit/sealkit/storageauth"
)

// slotFlows shows storage authorisation: a keyring slot whose ID
// is a public key derived, with the keyring's KEK, from a passkey secret.
func slotFlows(ctx context.Context, s *steps, db *sqlite.DB) error {
	s.section("Storage authorisation: a keyring slot only its owner can write")
	// In a browser this is the WebAuthn PRF extension's output.
	prf := bytes.Repeat([]byte{0x42}, 32)
	ikm, err := storageauth.IKMFromPRF(prf)
	if err != nil {
		return err
	}
	keys, err := storageauth.Derive(storageauth.Ed25519, ikm, []byte("vault.example"))
	if err != nil {
		return err
	}
	s.say("Carol's passkey gave a PRF secret; from it she derived a KEK and an Ed25519 key whose public half is her slot ID (%s…).", keys.ID().String()[:20])

	server := storageauth.NewServer(db.StorageAuth())
	srv := httptest.NewTLSServer(http.StripPrefix("/slots", server))
	defer srv.Close()
	client := storageauth.NewClient(srv.URL+"/slots", keys, srv.Client())
	for _, keyring := range []string{"keyring v1", "keyring v2"} {
		if _, err := client.Store(ctx, []byte(keyring)); err != nil {
			return err
		}
	}
	keyring, version, err := client.Retrieve(ctx)
	if err != nil {
		return err
	}
	s.say("She stored her encrypted keyring twice, signed each time; retrieving gave %q at version %d.", keyring, version)

	mallory, _ := storageauth.Derive(storageauth.Ed25519, bytes.Repeat([]byte{0x66}, 32), nil)
	forged, err := mallory.Seal([]byte("garbage"), 3)
	if err != nil {
		return err
	}
	forged.ID = keys.ID().String()
	if err := server.Put(ctx, forged); !errors.Is(err, storageauth.ErrInvalidSignature) {
		return fmt.Errorf("garbage in another user's slot: %v", err)
	}
	s.say("Mallory tried to fill Carol's slot with garbage signed by his own key: refused.")

	old, err := keys.Seal([]byte("keyring v1"), 1)
	if err != nil {
		return err
	}
	if err := server.Put(ctx, old); !errors.Is(err, storageauth.ErrConflict) {
		return fmt.Errorf("a rolled-back store was accepted: %v", err)
	}
	s.say("A replayed, validly signed version-1 store was refused: the slot only moves forward.")
	return nil
}
