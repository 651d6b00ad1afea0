package share_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/envelope"
	"github.com/sealkit/sealkit/share"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.json (the committed file is frozen: only for new vectors)")

const vectorsPath = "testdata/vectors.json"

type adVector struct {
	ID      string `json:"id"`
	Owner   string `json:"owner"`
	Version uint64 `json:"version"`
	AD      string `json:"ad"`
}

type tokenVector struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Hash  string `json:"hash"`
}

type linkVector struct {
	Name         string `json:"name"`
	Secret       string `json:"secret"`
	Salt         string `json:"salt"`
	Iterations   int    `json:"iterations"`
	KEK          string `json:"kek"`
	Verifier     string `json:"verifier"`
	VerifierHash string `json:"verifier_hash"`
	DEK          string `json:"dek"`
	WrappedKey   string `json:"wrapped_key"`
}

type auditCase struct {
	Name    string             `json:"name"`
	Entries []share.AuditEntry `json:"entries"`
	Head    string             `json:"head,omitempty"`
	Valid   bool               `json:"valid"`
}

type recordVector struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Record string `json:"record"` // the JSON text, as a string so that malformed cases fit
	Valid  bool   `json:"valid"`
	Error  string `json:"error,omitempty"` // "invalid" or "too_large"
}

type vectorFile struct {
	Comment          string         `json:"comment"`
	ItemAD           []adVector     `json:"item_ad"`
	InvitationTokens []tokenVector  `json:"invitation_tokens"`
	LinkKeys         []linkVector   `json:"link_keys"`
	AuditSigningSeed string         `json:"audit_signing_seed"`
	AuditPublicKey   string         `json:"audit_public_key"`
	AuditItem        string         `json:"audit_item"`
	Audit            []auditCase    `json:"audit"`
	Records          []recordVector `json:"records"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("vector file is required: %v", err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.ItemAD) == 0 || len(vf.LinkKeys) == 0 || len(vf.Audit) == 0 || len(vf.Records) == 0 {
		t.Fatal("vector file is missing sections")
	}
	return &vf
}

var decoders = map[string]func([]byte) error{
	"item":        func(b []byte) error { _, err := share.DecodeItem(b); return err },
	"wrapped_key": func(b []byte) error { _, err := share.DecodeWrappedKey(b); return err },
	"user":        func(b []byte) error { _, err := share.DecodeUser(b); return err },
	"share":       func(b []byte) error { _, err := share.DecodeShare(b); return err },
	"invitation":  func(b []byte) error { _, err := share.DecodeInvitation(b); return err },
	"connection":  func(b []byte) error { _, err := share.DecodeConnection(b); return err },
	"space":       func(b []byte) error { _, err := share.DecodeSpace(b); return err },
	"link":        func(b []byte) error { _, err := share.DecodeLink(b); return err },
	"link_params": func(b []byte) error { _, err := share.DecodeLinkParams(b); return err },
	"link_grant":  func(b []byte) error { _, err := share.DecodeLinkGrant(b); return err },
	"event":       func(b []byte) error { _, err := share.DecodeEvent(b); return err },
	"audit_entry": func(b []byte) error { _, err := share.DecodeAuditEntry(b); return err },
	"upload":      func(b []byte) error { _, err := share.DecodeUpload(b); return err },
}

// kinds lists decoders in a fixed order (fuzz targets index into it).
var kinds = []string{"item", "wrapped_key", "user", "share", "invitation", "connection", "space",
	"link", "link_params", "link_grant", "event", "audit_entry", "upload"}

func TestVectorsItemAD(t *testing.T) {
	for _, v := range loadVectors(t).ItemAD {
		if got := share.ItemAD(v.ID, v.Owner, v.Version); !bytes.Equal(got, unhex(t, v.AD)) {
			t.Errorf("%s/%s/%d: %x", v.ID, v.Owner, v.Version, got)
		}
	}
}

func TestVectorsInvitationTokens(t *testing.T) {
	for _, v := range loadVectors(t).InvitationTokens {
		if got := share.HashInvitationToken(v.ID, v.Token); !bytes.Equal(got, unhex(t, v.Hash)) {
			t.Errorf("%s: %x", v.ID, got)
		}
	}
}

// Link vectors are checked twice: through the package and with the
// primitives alone, as a browser would (PBKDF2, HKDF, SHA-256, AES-KW).
func TestVectorsLinkKeys(t *testing.T) {
	for _, v := range loadVectors(t).LinkKeys {
		t.Run(v.Name, func(t *testing.T) {
			salt := unhex(t, v.Salt)
			kek, ver, err := share.LinkKeys(v.Secret, salt, v.Iterations)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(kek, unhex(t, v.KEK)) || !bytes.Equal(ver, unhex(t, v.Verifier)) {
				t.Fatal("package KDF differs from the vector")
			}
			s, _ := pbkdf2.Key(sha256.New, v.Secret, salt, v.Iterations, 32)
			kek2, _ := hkdf.Key(sha256.New, s, salt, share.LabelLinkKEK, 32)
			ver2, _ := hkdf.Key(sha256.New, s, salt, share.LabelLinkVerifier, 32)
			h := sha256.Sum256(ver2)
			if !bytes.Equal(kek2, kek) || !bytes.Equal(ver2, ver) || !bytes.Equal(h[:], unhex(t, v.VerifierHash)) {
				t.Fatal("primitives differ from the vector")
			}
			k, _ := envelope.NewKEK("link", kek)
			dek, _ := envelope.NewKeyFromBytes(unhex(t, v.DEK))
			wrapped, err := envelope.WrapKey(dek, k)
			if err != nil || !bytes.Equal(wrapped, unhex(t, v.WrappedKey)) {
				t.Fatalf("wrapped key differs: %v", err)
			}
			if _, err := envelope.UnwrapKey(unhex(t, v.WrappedKey), k); err != nil {
				t.Fatal(err)
			}
			wrong, _ := envelope.NewKEK("link", ver)
			if _, err := envelope.UnwrapKey(unhex(t, v.WrappedKey), wrong); err == nil {
				t.Fatal("the verifier unwrapped the DEK")
			}
		})
	}
}

func TestVectorsAudit(t *testing.T) {
	vf := loadVectors(t)
	pub := ed25519.PublicKey(unhex(t, vf.AuditPublicKey))
	if !bytes.Equal(ed25519.NewKeyFromSeed(unhex(t, vf.AuditSigningSeed)).Public().(ed25519.PublicKey), pub) {
		t.Fatal("audit key pair mismatch")
	}
	keys := func(user string) (ed25519.PublicKey, error) {
		if user == "alice" {
			return pub, nil
		}
		return nil, share.ErrNotFound
	}
	for _, c := range vf.Audit {
		t.Run(c.Name, func(t *testing.T) {
			entries := make([]*share.AuditEntry, len(c.Entries))
			for i := range c.Entries {
				entries[i] = &c.Entries[i]
			}
			var head []byte
			if c.Head != "" {
				head = unhex(t, c.Head)
			}
			err := share.VerifyAudit(vf.AuditItem, entries, head, keys)
			if c.Valid && err != nil {
				t.Fatalf("valid chain refused: %v", err)
			}
			if !c.Valid && !errors.Is(err, share.ErrAudit) {
				t.Fatalf("invalid chain: %v, want ErrAudit", err)
			}
		})
	}
}

func TestVectorsRecords(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range loadVectors(t).Records {
		t.Run(v.Kind+"/"+v.Name, func(t *testing.T) {
			dec, ok := decoders[v.Kind]
			if !ok {
				t.Fatalf("unknown kind %q", v.Kind)
			}
			err := dec([]byte(v.Record))
			switch {
			case v.Valid && err != nil:
				t.Fatalf("valid record refused: %v", err)
			case !v.Valid && v.Error == "too_large" && !errors.Is(err, share.ErrTooLarge):
				t.Fatalf("got %v, want ErrTooLarge", err)
			case !v.Valid && v.Error == "invalid" && !errors.Is(err, share.ErrInvalid):
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
		if v.Valid {
			seen[v.Kind] = true
		}
	}
	for _, k := range kinds {
		if !seen[k] {
			t.Errorf("no valid vector for %s", k)
		}
	}
}

// TestGenerateVectors rewrites testdata/vectors.json when run with -update.
func TestGenerateVectors(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/vectors.json")
	}
	vf := &vectorFile{Comment: "sealkit share v1 golden vectors; layout in share/SPEC.md. Hex unless noted; records are the JSON the HTTP API and stores exchange. Frozen: never regenerate to make a test pass."}
	for _, a := range []adVector{{ID: "ITEM1", Owner: "alice", Version: 1}, {ID: "ITEM1", Owner: "alice", Version: 2}, {ID: "ITEM2", Owner: "bob@example.com", Version: 1}} {
		a.AD = hex.EncodeToString(share.ItemAD(a.ID, a.Owner, a.Version))
		vf.ItemAD = append(vf.ItemAD, a)
	}
	vf.InvitationTokens = []tokenVector{{ID: "INV1", Token: "TOKENTOKENTOKENTOKENTOKENTOKENTO"}}
	vf.InvitationTokens[0].Hash = hex.EncodeToString(share.HashInvitationToken("INV1", vf.InvitationTokens[0].Token))
	for _, l := range []struct {
		name, secret string
		iter         int
	}{{"test-iterations", "q3Vx0bQ8Zl2T9mWc1rKpNA", 1000}, {"production-iterations", "hE7pY2sLk9QmV3xZa0bRcw", share.LinkIterations}} {
		salt := bytes.Repeat([]byte{0x5a}, share.SaltSize)
		dek := bytes.Repeat([]byte{0xd1}, 32)
		kek, ver, err := share.LinkKeys(l.secret, salt, l.iter)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := envelope.NewKEK("link", kek)
		key, _ := envelope.NewKeyFromBytes(dek)
		w, err := envelope.WrapKey(key, k)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(ver)
		vf.LinkKeys = append(vf.LinkKeys, linkVector{Name: l.name, Secret: l.secret, Salt: hex.EncodeToString(salt),
			Iterations: l.iter, KEK: hex.EncodeToString(kek), Verifier: hex.EncodeToString(ver),
			VerifierHash: hex.EncodeToString(h[:]), DEK: hex.EncodeToString(dek), WrappedKey: hex.EncodeToString(w)})
	}

	seed := bytes.Repeat([]byte{0xed}, 32)
	priv := ed25519.NewKeyFromSeed(seed)
	vf.AuditSigningSeed = hex.EncodeToString(seed)
	vf.AuditPublicKey = hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	vf.AuditItem = "ITEM1"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var chain []share.AuditEntry
	prev := share.GenesisHash("ITEM1")
	for i, ev := range []share.Event{
		{Action: share.ActionShare, Actor: "alice", Item: "ITEM1", Subject: "bob"},
		{Action: share.ActionDownload, Actor: "alice", Item: "ITEM1"},
		{Action: share.ActionLinkDownload, Actor: "LINK1", Item: "ITEM1", Subject: "LINK1"},
		{Action: share.ActionRevoke, Actor: "alice", Item: "ITEM1", Subject: "bob"},
		{Action: share.ActionDelete, Actor: "alice", Item: "ITEM1"},
	} {
		ev.Time = t0.Add(time.Duration(i) * time.Minute)
		ev.Nonce = bytes.Repeat([]byte{byte(i + 1)}, share.NonceSize)
		if ev.Action != share.ActionLinkDownload {
			ev.Signature = ed25519.Sign(priv, ev.SignedBytes())
		}
		e := share.AuditEntry{Seq: uint64(i + 1), Prev: prev, Event: ev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		chain = append(chain, e)
	}
	cp := func() []share.AuditEntry {
		b, _ := json.Marshal(chain)
		var out []share.AuditEntry
		json.Unmarshal(b, &out)
		return out
	}
	head := hex.EncodeToString(chain[len(chain)-1].Hash)
	vf.Audit = append(vf.Audit, auditCase{Name: "valid", Entries: cp(), Head: head, Valid: true})
	vf.Audit = append(vf.Audit, auditCase{Name: "valid prefix without head", Entries: cp()[:3], Valid: true})
	changed := cp()
	changed[1].Event.Subject = "mallory"
	vf.Audit = append(vf.Audit, auditCase{Name: "event changed", Entries: changed})
	rehashed := cp()
	rehashed[3].Event.Subject = "carol"
	rehashed[3].Hash = rehashed[3].ComputeHash()
	vf.Audit = append(vf.Audit, auditCase{Name: "event changed and rehashed", Entries: rehashed})
	dropped := cp()
	dropped = append(dropped[:1], dropped[2:]...)
	vf.Audit = append(vf.Audit, auditCase{Name: "entry dropped", Entries: dropped})
	vf.Audit = append(vf.Audit, auditCase{Name: "tail dropped with known head", Entries: cp()[:4], Head: head})
	re := cp()
	re[1], re[2] = re[2], re[1]
	vf.Audit = append(vf.Audit, auditCase{Name: "entries reordered", Entries: re})
	renum := cp()
	renum[1], renum[2] = renum[2], renum[1]
	renum[1].Seq, renum[2].Seq = 2, 3
	vf.Audit = append(vf.Audit, auditCase{Name: "reordered and renumbered", Entries: renum})
	unsigned := cp()
	unsigned[0].Event.Signature = nil
	unsigned[0].Hash = unsigned[0].ComputeHash()
	vf.Audit = append(vf.Audit, auditCase{Name: "signature stripped", Entries: unsigned[:1]})

	// Records: one valid per kind, then mutations with their expected error.
	h32 := bytes.Repeat([]byte{7}, 32)
	hybridPub := PublicKeyBytes(t)
	item := &share.Item{ID: "ITEM1", Owner: "alice", Version: 1, Header: []byte("sealkit header bytes"), SHA256: h32, Size: 1234, BlobRef: "ITEM1.1", Created: t0}
	link := &share.Link{ID: "LINK1", Item: "ITEM1", Owner: "alice", Version: 1, Salt: bytes.Repeat([]byte{0x5a}, 16), Iterations: 600000,
		WrappedKey: unhex(t, vf.LinkKeys[1].WrappedKey), VerifierHash: unhex(t, vf.LinkKeys[1].VerifierHash), Expires: t0.Add(time.Hour), MaxDownloads: 10, Remaining: 9, Created: t0}
	valid := map[string]any{
		"item":        item,
		"wrapped_key": &share.WrappedKey{Item: "ITEM1", Recipient: "bob", Version: 1, Record: []byte("record"), Created: t0},
		"user":        &share.User{ID: "alice", Keys: []share.PublicKey{{Kind: share.KindHybrid, Bytes: hybridPub}}, SigningKey: priv.Public().(ed25519.PublicKey), Created: t0},
		"share":       &share.Share{ID: "SHARE1", Item: "ITEM1", Owner: "alice", Recipient: "bob", Mode: share.ModeWrap, Space: "SPACE1", Connection: "CONN1", Created: t0},
		"invitation":  &share.Invitation{ID: "INV1", Inviter: "alice", InviterKey: share.PublicKey{Kind: share.KindHybrid, Bytes: hybridPub}, TokenHash: unhex(t, vf.InvitationTokens[0].Hash), Expires: t0.Add(time.Hour), Created: t0},
		"connection":  &share.Connection{ID: "INV1", Inviter: "alice", Invitee: "bob", InviterKey: share.PublicKey{Kind: share.KindHybrid, Bytes: hybridPub}, InviteeKey: share.PublicKey{Kind: share.KindHybrid, Bytes: hybridPub}, Created: t0},
		"space":       &share.Space{ID: "SPACE1", Connection: "INV1", Sharer: "alice", Recipient: "bob", SharerKey: []byte("for alice"), RecipientKey: []byte("for bob"), Created: t0},
		"link":        link,
		"link_params": link.Params(),
		"link_grant":  &share.LinkGrant{Item: item, WrappedKey: link.WrappedKey, Remaining: 9},
		"event":       &chain[0].Event,
		"audit_entry": &chain[0],
		"upload":      &share.Upload{Item: item, Keys: []*share.WrappedKey{{Item: "ITEM1", Recipient: "alice", Version: 1, Record: []byte("r")}}},
	}
	add := func(kind, name string, rec []byte, valid bool, errCode string) {
		vf.Records = append(vf.Records, recordVector{Name: name, Kind: kind, Record: string(rec), Valid: valid, Error: errCode})
	}
	for _, kind := range kinds {
		b, err := json.Marshal(valid[kind])
		if err != nil {
			t.Fatal(err)
		}
		add(kind, "valid", b, true, "")
		add(kind, "unknown field", append(bytes.TrimSuffix(b, []byte("}")), []byte(`,"admin":true}`)...), false, "invalid")
		add(kind, "trailing data", append(bytes.Clone(b), []byte(` {}`)...), false, "invalid")
		add(kind, "not an object", []byte(`[]`), false, "invalid")
	}
	mut := func(kind, name, from, to string) {
		b, _ := json.Marshal(valid[kind])
		s := string(b)
		if !strings.Contains(s, from) {
			t.Fatalf("%s/%s: %q not in %s", kind, name, from, s)
		}
		add(kind, name, []byte(strings.Replace(s, from, to, 1)), false, "invalid")
	}
	mut("item", "path traversal in ID", `"id":"ITEM1"`, `"id":"../../etc/passwd"`)
	mut("item", "version zero", `"version":1`, `"version":0`)
	b64 := base64.StdEncoding.EncodeToString
	mut("item", "short hash", `"sha256":"`+b64(h32)+`"`, `"sha256":"AAAA"`)
	mut("item", "negative size", `"size":1234`, `"size":-1`)
	mut("wrapped_key", "no record and no space", `"record":"cmVjb3Jk",`, ``)
	mut("user", "unknown key kind", `"kind":"mlkem768x25519"`, `"kind":"rsa-pkcs1"`)
	mut("user", "short signing key", `"signing_key":"`+b64(priv.Public().(ed25519.PublicKey))+`"`, `"signing_key":"AAAA"`)
	mut("share", "tampered mode", `"mode":"wrap"`, `"mode":"admin"`)
	mut("share", "vault share without space", `"space":"SPACE1",`, ``)
	mut("share", "recipient with a slash", `"recipient":"bob"`, `"recipient":"bob/../alice"`)
	mut("invitation", "no expiry", `"expires":"2026-01-02T04:04:05Z",`, ``)
	mut("invitation", "short token hash", `"token_hash":"`+b64(unhex(t, vf.InvitationTokens[0].Hash))+`"`, `"token_hash":"AAAA"`)
	mut("connection", "missing invitee", `"invitee":"bob",`, ``)
	mut("space", "empty recipient key", `"recipient_key":"Zm9yIGJvYg=="`, `"recipient_key":""`)
	mut("link", "remaining above maximum", `"remaining":9`, `"remaining":11`)
	mut("link", "iterations absurd", `"iterations":600000`, `"iterations":2000000000`)
	mut("link", "short salt", `"salt":"WlpaWlpaWlpaWlpaWlpaWg=="`, `"salt":"WlpaWg=="`)
	mut("link", "negative failures", `"max_downloads":10`, `"max_downloads":10,"failures":-1`)
	mut("link", "no expiry", `"expires":"2026-01-02T04:04:05Z",`, ``)
	mut("link_params", "zero iterations", `"iterations":600000`, `"iterations":0`)
	mut("link_grant", "no item", `"item":{`, `"x":{`)
	mut("event", "unknown action", `"action":"share"`, `"action":"grant-admin"`)
	mut("event", "short nonce", `"nonce":"AQEBAQEBAQEBAQEBAQEBAQ=="`, `"nonce":"AQ=="`)
	mut("audit_entry", "sequence zero", `"seq":1`, `"seq":0`)
	mut("upload", "no keys", `"keys":[`, `"x":[`)
	add("share", "over the size cap", []byte(`{"id":"`+strings.Repeat("A", share.MaxSmallRecord)+`"}`), false, "too_large")

	b, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// PublicKeyBytes returns a fixed hybrid public key for the record vectors.
func PublicKeyBytes(t testing.TB) []byte {
	id, err := envelope.ParseHybridIdentity(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().Bytes()
}
