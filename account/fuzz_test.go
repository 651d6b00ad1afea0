package account_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
)

// inProcess serves requests with a handler in this process, as from one
// client address.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.RemoteAddr = "192.0.2.1:1234"
	r.RequestURI = r.URL.RequestURI()
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// FuzzRoutes sends arbitrary bodies to every account route that reads one
// (the passphrase change signed by a registered key, so that its body is
// read): each answer is a 2xx or 4xx and every error a JSON {"error"} —
// never a panic or a 500. Seeds are valid requests of each route.
func FuzzRoutes(f *testing.F) {
	e := newEnv(f, nil, func(c *account.Config) { c.LoginRate = httplimit.Rate{Burst: 1 << 20, Per: time.Hour} })
	reg := newRegistration(f, "fuzzer")
	if _, err := e.anon.Register(f.Context(), reg.req); err != nil {
		f.Fatal(err)
	}
	anon := &http.Client{Transport: inProcess{e.handler}}
	signed := &http.Client{Transport: &identity.Transport{Key: reg.signer, Base: anon.Transport, SplitTarget: true}}
	var routes []account.Route
	for _, rt := range account.Routes() {
		if rt.Method == "POST" && rt.Name != "Token" {
			routes = append(routes, rt)
		}
	}
	seeds := map[string]any{
		"Register":         newRegistration(f, "other").req,
		"LoginStart":       account.LoginStartRequest{User: "fuzzer"},
		"Login":            account.LoginRequest{User: "fuzzer", AuthKey: reg.ks.AuthKey()},
		"ChangePassphrase": account.ChangePassphraseRequest{OldAuthKey: reg.ks.AuthKey(), Account: reg.req.Account, AuthKey: reg.ks.AuthKey()},
	}
	for i, rt := range routes {
		b, err := json.Marshal(seeds[rt.Name])
		if err != nil || len(b) < 10 {
			f.Fatalf("no seed for %s", rt.Name)
		}
		for _, s := range [][]byte{b, nil, []byte("{}"), []byte(`{"user":"fuzzer"} x`)} {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		req, err := http.NewRequest(rt.Method, e.anon.BaseURL+rt.Path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		hc := anon
		if rt.Auth == account.Signed {
			hc = signed
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("%s: status %d: %s", rt.Name, resp.StatusCode, b)
		}
		if resp.StatusCode >= 400 {
			var eb struct{ Error string }
			if err := json.Unmarshal(b, &eb); err != nil || eb.Error == "" {
				t.Fatalf("%s: %d with body %q", rt.Name, resp.StatusCode, b)
			}
		}
	})
}
