package identity_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/identity"
)

// TestParseSignedMessageStrict refuses messages that leave a member out,
// set one to null, or carry anything after the object.
func TestParseSignedMessageStrict(t *testing.T) {
	key, err := identity.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := identity.SignMessage(key, "vault/put", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	wire, err := msg.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.ParseSignedMessage(wire); err != nil {
		t.Fatalf("a well-formed message: %v", err)
	}
	var members map[string]any
	json.Unmarshal(wire, &members)
	for _, name := range []string{"payload", "purpose", "nonce", "created", "public_key_id", "alg", "signature"} {
		for _, how := range []string{"missing", "null"} {
			m := map[string]any{}
			for k, v := range members {
				m[k] = v
			}
			if how == "missing" {
				delete(m, name)
			} else {
				m[name] = nil
			}
			b, _ := json.Marshal(m)
			if _, err := identity.ParseSignedMessage(b); !errors.Is(err, identity.ErrMalformed) {
				t.Errorf("%s %s: %v, want ErrMalformed", name, how, err)
			}
		}
	}
	for _, tail := range []string{"}", "]", "{}", "x"} {
		if _, err := identity.ParseSignedMessage(append(append([]byte{}, wire...), tail...)); !errors.Is(err, identity.ErrMalformed) {
			t.Errorf("trailing %q: %v, want ErrMalformed", tail, err)
		}
	}
}
