package envelope_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sealkit/sealkit/envelope"
)

// FuzzParseKeyText: any text either fails without repeating itself or
// parses into a key whose text form is exactly the input (one key, one
// string), as a recipient or as an identity; key files never panic.
func FuzzParseKeyText(f *testing.F) {
	vf := loadTextKeys(f)
	for _, v := range vf.Keys {
		f.Add(v.Text)
	}
	for _, v := range vf.Files {
		f.Add(v.Text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := envelope.ParseRecipient(s); err == nil {
			if got, _, _ := recipientText(t, r); got != s {
				t.Fatalf("recipient %q formats as %q", s, got)
			}
		}
		id, err := envelope.ParseIdentity(s)
		if err == nil {
			if got, _, _, _ := identityText(t, id); got != s {
				t.Fatal("identity does not format as its input")
			}
		} else if len(s) >= 12 && strings.Contains(err.Error(), s) && !errors.Is(err, envelope.ErrUnknownKeyType) {
			t.Fatalf("error %q repeats the input", err)
		}
		envelope.ParseRecipients(strings.NewReader(s))
		envelope.ParseIdentities(strings.NewReader(s))
	})
}
