package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sealkit/sealkit/envelope"
)

// envelopeFlows shows the envelope package alone: sealing for several
// recipients, what tampering and moving do, rewrapping, streaming, ranges
// and passphrases.
func envelopeFlows(s *steps, dir string) error {
	s.section("Envelope encryption: one object, several recipients")

	// Keys are made on the users' devices; servers only ever see public keys.
	alice, err := envelope.GenerateX25519Identity()
	if err != nil {
		return err
	}
	bob, err := envelope.GenerateRSAIdentity(3072)
	if err != nil {
		return err
	}
	s.say("Alice made an X25519 key and Bob an RSA-3072 key on their own devices.")

	doc := []byte("Minutes of the board meeting: the merger is approved.")
	ad := []byte("object:doc-1|owner:alice")
	env, err := envelope.Seal(doc, ad, &envelope.SealOptions{
		Metadata: &envelope.Metadata{Name: "minutes.txt", ContentType: "text/plain", Size: int64(len(doc))},
	}, alice.Recipient(), bob.Recipient())
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "doc-1.sealed")
	if err := os.WriteFile(path, env, 0o600); err != nil {
		return err
	}
	s.say("Alice sealed a %d-byte document for herself and Bob: %d bytes stored, name and type encrypted too.", len(doc), len(env))

	stored, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pt, meta, err := envelope.OpenWithMetadata(stored, ad, nil, bob)
	if err != nil {
		return err
	}
	s.say("Bob opened it with his private key: %q (%s).", pt, meta.Name)

	if _, err := envelope.Open(stored, []byte("object:doc-2|owner:alice"), nil, bob); errors.Is(err, envelope.ErrCorrupt) {
		s.say("Moved to another record, the same bytes are refused: %v", err)
	} else {
		return fmt.Errorf("a ciphertext moved to another record was not refused: %v", err)
	}
	tampered := bytes.Clone(stored)
	tampered[len(tampered)-5] ^= 1
	if _, err := envelope.Open(tampered, ad, nil, bob); errors.Is(err, envelope.ErrCorrupt) {
		s.say("A single changed bit is refused, and no plaintext is released.")
	} else {
		return fmt.Errorf("tampering was not detected: %v", err)
	}
	mallory, _ := envelope.GenerateX25519Identity()
	var nomatch *envelope.NoIdentityMatchError
	if _, err := envelope.Open(stored, ad, nil, mallory); errors.As(err, &nomatch) {
		s.say("Mallory's key matches none of the %d recipient stanzas, and is told so.", len(nomatch.StanzaTypes))
	} else {
		return fmt.Errorf("a stranger's key was not refused: %v", err)
	}

	// Share with Carol later: only the header changes.
	carol, _ := envelope.GenerateX25519Identity()
	h, err := envelope.ParseHeader(stored)
	if err != nil {
		return err
	}
	key, err := h.Unwrap(ad, alice)
	if err != nil {
		return err
	}
	pq, _ := envelope.GenerateHybridIdentity()
	if _, err := envelope.Rewrap(h, key, ad, nil, pq.Recipient()); errors.Is(err, envelope.ErrMixedRecipients) {
		s.say("Adding a post-quantum key beside classical ones is refused: the classical stanzas would void its protection.")
	} else {
		return fmt.Errorf("mixed recipients were not refused: %v", err)
	}
	nh, err := envelope.Rewrap(h, key, ad, func(st *envelope.Stanza) bool { return st.Type != "rsa-oaep-256" }, carol.Recipient())
	if err != nil {
		return err
	}
	rewrapped := append(nh.Bytes(), stored[h.Len():]...)
	if _, err := envelope.Open(rewrapped, ad, nil, carol); err != nil {
		return err
	}
	if _, err := envelope.Open(rewrapped, ad, nil, bob); err == nil {
		return errors.New("removed recipient still opens the envelope")
	}
	s.say("Alice added Carol and removed Bob by rewriting only the %d-byte header; the payload is untouched.", nh.Len())
	s.detail("(Bob may have kept the key he unwrapped before: to cut him off for good, seal new versions under a new key.)")

	// A large file, streamed in constant memory and read by range.
	const big = 32 << 20
	bigPath := filepath.Join(dir, "video.sealed")
	f, err := os.Create(bigPath)
	if err != nil {
		return err
	}
	w, err := envelope.NewWriter(f, nil, &envelope.SealOptions{Concurrency: 2}, alice.Recipient())
	if err != nil {
		return err
	}
	hash := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(w, hash), &pattern{}, big); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s.say("Alice streamed a 32 MiB file into an envelope on disk, 64 KiB at a time, on two cores.")

	f, err = os.Open(bigPath)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := envelope.NewReader(f, nil, nil, alice)
	if err != nil {
		return err
	}
	check := sha256.New()
	if _, err := io.Copy(check, r); err != nil {
		return err
	}
	if !bytes.Equal(check.Sum(nil), hash.Sum(nil)) {
		return errors.New("streamed plaintext differs")
	}
	s.say("She streamed it back out: the SHA-256 of the plaintext matches.")

	fi, _ := f.Stat()
	ra, err := envelope.NewReaderAt(f, fi.Size(), nil, nil, alice)
	if err != nil {
		return err
	}
	part := make([]byte, 16)
	if _, err := ra.ReadAt(part, 20<<20); err != nil {
		return err
	}
	s.say("A range request for 16 bytes at 20 MiB decrypted only the segment it touches: %q.", part)

	// A passphrase, for people without keys.
	pr, _ := envelope.NewPBKDF2Recipient("tulip-orbit-canyon-velvet")
	penv, err := envelope.Seal([]byte("the wifi password is hunter2"), nil, nil, pr)
	if err != nil {
		return err
	}
	pid, _ := envelope.NewPassphraseIdentity("tulip-orbit-canyon-velvet")
	ppt, err := envelope.Open(penv, nil, nil, pid)
	if err != nil {
		return err
	}
	s.say("A note sealed under a passphrase (PBKDF2-SHA256, 600,000 iterations) opens with it: %q.", ppt)

	return nil
}

// pattern is an endless source of readable text whose position is easy to
// check by eye: byte i is line[i % len(line)].
type pattern struct{ off int }

const line = "sealkit streams large files 64 KiB at a time. "

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = line[(p.off+i)%len(line)]
	}
	p.off += len(b)
	return len(b), nil
}
