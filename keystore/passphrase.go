package keystore

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// preparePassphrase returns the bytes every KDF of this package stretches:
// the passphrase after RFC 8265 §4.2 OpaqueString preparation and
// enforcement (SPEC.md §2). Non-ASCII spaces become U+0020 and the result
// is NFC, so every spelling of one passphrase a keyboard or an operating
// system may produce derives the same keys; characters outside the PRECIS
// FreeformClass (controls, unassigned code points, default-ignorables, …)
// and the empty string are refused with ErrPassphrase. An ASCII passphrase
// of printable characters and spaces comes back unchanged.
//
// Invalid UTF-8 is refused too: x/text would map each bad byte to U+FFFD,
// so distinct byte strings would become one passphrase.
func preparePassphrase(passphrase string) ([]byte, error) {
	if !utf8.ValidString(passphrase) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrPassphrase)
	}
	b, err := precis.OpaqueString.Bytes([]byte(passphrase))
	if err != nil {
		// x/text's messages name the rule, never the input.
		return nil, fmt.Errorf("%w: %v", ErrPassphrase, err)
	}
	return b, nil
}
