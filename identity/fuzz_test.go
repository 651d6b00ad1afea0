package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sealkit/sealkit/identity"
)

// FuzzSignatureHeaders: any Signature-Input / Signature pair either
// verifies (only the golden ones can) or is refused with a *RejectError;
// never a panic.
func FuzzSignatureHeaders(f *testing.F) {
	vf := loadVectors(f)
	n := 0
	for _, v := range vf.Requests {
		var in, sig string
		for _, h := range v.Headers {
			switch h[0] {
			case "Signature-Input":
				in = h[1]
			case "Signature":
				sig = h[1]
			}
		}
		f.Add(v.Name, in, sig)
		n++
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	reg, now := vectorEnv(f, vf)
	byName := map[string]requestVector{}
	for _, v := range vf.Requests {
		byName[v.Name] = v
	}
	f.Fuzz(func(t *testing.T, name, in, sig string) {
		v, ok := byName[name]
		if !ok {
			v = vf.Requests[0]
		}
		r := vectorRequest(v)
		r.Header.Set("Signature-Input", in)
		r.Header.Set("Signature", sig)
		ver := &identity.Verifier{Registry: reg, Now: now}
		err := ver.Check(r)
		var re *identity.RejectError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("not a RejectError: %v", err)
		}
		if err == nil {
			// Only a signature by a registered key over this request passes.
			k, err := reg.Lookup(context.Background(), keyIDOf(t, r))
			if err != nil {
				t.Fatalf("accepted a request from an unregistered key: %v", err)
			}
			r2 := vectorRequest(v)
			r2.Header.Set("Signature-Input", in)
			r2.Header.Set("Signature", sig)
			if _, err := identity.VerifyRequestSignature(r2, "", k.PublicKey); err != nil {
				t.Fatalf("accepted, but the signature does not verify: %v", err)
			}
		}
	})
}

// FuzzParseSignedMessage: any bytes parse into a message that re-encodes
// and re-parses to the same signed bytes, or are refused with a
// *RejectError; verification never panics.
func FuzzParseSignedMessage(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Messages {
		f.Add([]byte(v.Message))
	}
	if len(vf.Messages) == 0 {
		f.Fatal("empty seed corpus")
	}
	reg, now := vectorEnv(f, vf)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := identity.ParseSignedMessage(b)
		if err != nil {
			var re *identity.RejectError
			if !errors.As(err, &re) {
				t.Fatalf("not a RejectError: %v", err)
			}
			return
		}
		j, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := identity.ParseSignedMessage(j)
		if err != nil || string(m2.SignedBytes()) != string(m.SignedBytes()) {
			t.Fatalf("re-encoding differs: %v", err)
		}
		mv := &identity.MessageVerifier{Registry: reg, Purpose: m.Purpose, Now: now}
		if _, err := mv.Verify(context.Background(), m); err != nil {
			var re *identity.RejectError
			if !errors.As(err, &re) {
				t.Fatalf("not a RejectError: %v", err)
			}
		}
	})
}

// FuzzParseToken: any string is refused with a *RejectError unless it is
// a token the vector server key issued.
func FuzzParseToken(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Tokens {
		f.Add(v.Token)
	}
	if len(vf.Tokens) == 0 {
		f.Fatal("empty seed corpus")
	}
	reg, now := vectorEnv(f, vf)
	tv := &identity.TokenVerifier{Key: vecKey(f, vf.Keys["server-ed25519"]), Issuer: vf.Issuer, Audience: vf.Audience, Registry: reg, Now: now}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := tv.Verify(tok)
		if err != nil {
			var re *identity.RejectError
			if !errors.As(err, &re) {
				t.Fatalf("not a RejectError: %v", err)
			}
			return
		}
		if c.Audience != vf.Audience || c.Issuer != vf.Issuer {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}
