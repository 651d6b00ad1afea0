package keylog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keylog"
	"golang.org/x/mod/sumdb/note"
)

var updateVectors = flag.Bool("update-vectors", false, "regenerate "+vectorFile+" (frozen: only to append vectors)")

// TestGenerateVectors writes vectorFile with -update-vectors. Every input
// is fixed (keys from fixed seeds, Ed25519 signatures are deterministic),
// so regenerating reproduces the existing entries byte for byte; check the
// diff only adds.
func TestGenerateVectors(t *testing.T) {
	if !*updateVectors {
		t.Skip("run with -update-vectors to regenerate " + vectorFile)
	}
	vs := generateVectors(t)
	b, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// noteKeys returns the signer and verifier keys of the Ed25519 key made
// from seed under name.
func noteKeys(t testing.TB, name, seed string) (skey, vkey string) {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	priv := ed25519.NewKeyFromSeed(s[:])
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Split(vkey, "+")[1]
	return "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, s[:]...)), vkey
}

func identityKey(t testing.TB, seed string) *identity.PrivateKey {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	k, err := identity.NewEd25519PrivateKey(s[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fixedBytes(label string) []byte {
	h := sha256.Sum256([]byte(label))
	return h[:]
}

// vectorLog is a log being built for the vectors, with each checkpoint.
type vectorLog struct {
	*keylog.Log
	notes []string // notes[n] is the checkpoint of size n
}

func newVectorLog(t testing.TB, origin string, signer note.Signer, entries []keylog.Entry) *vectorLog {
	t.Helper()
	ctx := context.Background()
	l, err := keylog.New(&keylog.MemStore{}, origin, signer)
	if err != nil {
		t.Fatal(err)
	}
	vl := &vectorLog{Log: l}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vl.notes = append(vl.notes, string(cp))
	for _, e := range entries {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		cp, err := l.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vl.notes = append(vl.notes, string(cp))
	}
	return vl
}

func (vl *vectorLog) root(t testing.TB, v *keylog.Verifier, size uint64) string {
	t.Helper()
	cp, err := v.ParseCheckpoint([]byte(vl.notes[size]))
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(cp.Hash)
}

func (vl *vectorLog) inclusion(t testing.TB, index, size uint64) []string {
	t.Helper()
	p, err := vl.InclusionProof(context.Background(), index, size)
	if err != nil {
		t.Fatal(err)
	}
	return hexAll(p.Hashes)
}

func (vl *vectorLog) consistency(t testing.TB, old, new uint64) []string {
	t.Helper()
	p, err := vl.ConsistencyProof(context.Background(), old, new)
	if err != nil {
		t.Fatal(err)
	}
	return hexAll(p.Hashes)
}

// signText signs text as a note with signers, whatever text is.
func signText(t testing.TB, text string, signers ...note.Signer) string {
	t.Helper()
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func flipHex(s string, i int) string {
	b, _ := hex.DecodeString(s)
	b[i] ^= 1
	return hex.EncodeToString(b)
}

func vectorEntries(t testing.TB) ([]entryVector, []keylog.Entry) {
	t.Helper()
	created := time.Unix(1767225600, 0)
	alice, bob, bobNew := identityKey(t, "alice identity"), identityKey(t, "bob identity"), identityKey(t, "bob identity 2")
	share := identity.PublishedKey{Type: "x25519", Purpose: "share", Data: fixedBytes("alice share")}
	laptop := identity.PublishedKey{Type: "ed25519-request", Purpose: "laptop", Data: fixedBytes("alice laptop")}
	phone := identity.PublishedKey{Type: "ed25519-request", Purpose: "phone", Data: fixedBytes("alice phone")}
	bobShare := identity.PublishedKey{Type: "x25519", Purpose: "share", Data: fixedBytes("bob share")}
	bobShare2 := identity.PublishedKey{Type: "x25519", Purpose: "share", Data: fixedBytes("bob share 2")}
	sign := func(b *identity.KeyBundle, err error) *identity.KeyBundle {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a1 := sign(identity.SignBundle(alice, identity.KeyBundle{UserID: "alice", Version: 1, Created: created, Keys: []identity.PublishedKey{share, laptop}}))
	b1 := sign(identity.SignBundle(bob, identity.KeyBundle{UserID: "bob@example.com", Version: 1, Created: created, Keys: []identity.PublishedKey{bobShare}}))
	a2 := sign(identity.SignBundle(alice, identity.KeyBundle{UserID: "alice", Version: 2, Created: created.Add(time.Hour), Keys: []identity.PublishedKey{share, laptop, phone}, Previous: a1.Hash()}))
	a3 := sign(identity.SignBundle(alice, identity.KeyBundle{UserID: "alice", Version: 3, Created: created.Add(2 * time.Hour), Keys: []identity.PublishedKey{share, laptop}, Previous: a2.Hash()}))
	b2 := sign(identity.SignKeyChange(bob, bobNew, identity.KeyBundle{UserID: "bob@example.com", Version: 2, Created: created.Add(3 * time.Hour), Keys: []identity.PublishedKey{bobShare2}, Previous: b1.Hash()}))
	type in struct {
		name, kind string
		e          keylog.Entry
	}
	ins := []in{
		{"alice-bundle-v1", "bundle", keylog.BundleEntry(a1)},
		{"bob-bundle-v1", "bundle", keylog.BundleEntry(b1)},
		{"alice-bundle-v2-adds-phone", "bundle", keylog.BundleEntry(a2)},
		{"alice-bundle-v3-revokes-phone", "revocation", keylog.BundleEntry(a3)},
		{"bob-key-change-v2", "key-change", keylog.BundleEntry(b2)},
		{"raw-empty-data", "raw", keylog.Entry{User: "carol"}},
		{"raw-unicode-user", "raw", keylog.Entry{User: "zoë@example.com", Data: []byte("x")}},
		{"raw-user-of-255-bytes", "raw", keylog.Entry{User: strings.Repeat("a", keylog.MaxUserLength), Data: []byte("longest user label")}},
	}
	for i := len(ins); i < 13; i++ {
		ins = append(ins, in{fmt.Sprintf("raw-%d", i), "raw", keylog.Entry{User: fmt.Sprintf("u%d", i%3), Data: fmt.Appendf(nil, "entry %d", i)}})
	}
	var evs []entryVector
	var es []keylog.Entry
	for _, x := range ins {
		evs = append(evs, entryVector{Name: x.name, Kind: x.kind, User: x.e.User, Data: hex.EncodeToString(x.e.Data),
			Leaf: hex.EncodeToString(x.e.Leaf()), LeafHash: hex.EncodeToString(x.e.LeafHash())})
		es = append(es, x.e)
	}
	return evs, es
}

func generateVectors(t testing.TB) *vectorSet {
	const origin = "log.example/keys"
	skey, vkey := noteKeys(t, origin, "log key")
	signer := mustSigner(t, skey)
	otherSkey, _ := noteKeys(t, origin, "another key of the same name")
	otherNameSkey, _ := noteKeys(t, "other.example/log", "another log's key")
	witnessSkey, _ := noteKeys(t, "witness.example/w", "witness key")
	v, err := keylog.NewVerifier(origin, vkey)
	if err != nil {
		t.Fatal(err)
	}
	vs := &vectorSet{
		Comment: "sealkit keylog golden vectors; see keylog/SPEC.md. Deterministic inputs; frozen: regenerate only to append vectors.",
		Origin:  origin, LogKey: vkey, LogPrivateKey: skey,
	}
	var entries []keylog.Entry
	vs.Entries, entries = vectorEntries(t)
	n := uint64(len(entries))
	a := newVectorLog(t, origin, signer, entries)

	// The fork: the same key signs a log whose entries differ from entry
	// 5 on, the first a bundle for alice signed by a key she does not hold.
	forged := identityKey(t, "the server's key")
	fb, err := identity.SignBundle(forged, identity.KeyBundle{UserID: "alice", Version: 4, Created: time.Unix(1767240000, 0),
		Keys: []identity.PublishedKey{{Type: "x25519", Purpose: "share", Data: fixedBytes("the server's share key")}}, Previous: fixedBytes("whatever")})
	if err != nil {
		t.Fatal(err)
	}
	forkEntries := append(append([]keylog.Entry{}, entries[:5]...), keylog.BundleEntry(fb))
	for i := len(forkEntries); i < len(entries); i++ {
		forkEntries = append(forkEntries, keylog.Entry{User: "mallory", Data: fmt.Appendf(nil, "fork %d", i)})
	}
	b := newVectorLog(t, origin, signer, forkEntries)

	// Entries Check refuses, and the boundary it allows.
	for _, x := range []struct {
		name, user string
		data       int
		expect     string
	}{
		{"longest-user-and-data", strings.Repeat("a", 255), keylog.MaxEntryData, "ok"},
		{"empty-user", "", 0, "malformed"},
		{"user-of-256-bytes", strings.Repeat("a", 256), 0, "malformed"},
		{"user-with-newline", "ali\nce", 0, "malformed"},
		{"user-with-c1-control", "ali\u0085ce", 0, "malformed"},
		{"user-not-utf8", "ali\xffce", 0, "malformed"},
		{"data-over-64KiB", "alice", keylog.MaxEntryData + 1, "malformed"},
	} {
		vs.BadEntries = append(vs.BadEntries, badEntryVector{Name: x.name, UserHex: hex.EncodeToString([]byte(x.user)), DataLen: x.data, Expect: x.expect})
	}

	label := []byte("sealkit keylog entry v1")
	leaf := func(parts ...[]byte) string { return hex.EncodeToString(bytes.Join(parts, nil)) }
	for _, x := range []struct {
		name, leaf string
		zeros      int
		expect     string
	}{
		{"one-byte-user-no-data", leaf(label, []byte{0, 1}, []byte("a")), 0, "ok"},
		{"empty", "", 0, "malformed"},
		{"label-only", leaf(label), 0, "malformed"},
		{"no-user-length", leaf(label, []byte{0}), 0, "malformed"},
		{"other-label", leaf([]byte("sealkit keylog entry v2"), []byte{0, 1}, []byte("a")), 0, "malformed"},
		{"no-zero-after-label", leaf(label, []byte{1, 1}, []byte("a")), 0, "malformed"},
		{"user-length-past-the-end", leaf(label, []byte{0, 5}, []byte("abc")), 0, "malformed"},
		{"empty-user", leaf(label, []byte{0, 0}, []byte("data")), 0, "malformed"},
		{"user-with-control", leaf(label, []byte{0, 2}, []byte("a\x00")), 0, "malformed"},
		{"data-of-64KiB", leaf(label, []byte{0, 1}, []byte("a")), keylog.MaxEntryData, "ok"},
		{"data-over-64KiB", leaf(label, []byte{0, 1}, []byte("a")), keylog.MaxEntryData + 1, "malformed"},
	} {
		vs.Leaves = append(vs.Leaves, leafVector{Name: x.name, Leaf: x.leaf, Zeros: x.zeros, Expect: x.expect})
	}

	for size := uint64(0); size <= n; size++ {
		vs.TreeHeads = append(vs.TreeHeads, treeHeadVector{Size: size, Root: a.root(t, v, size)})
	}
	rootA := func(size uint64) string { return vs.TreeHeads[size].Root }

	// Inclusion: every index of every size, then tampered proofs.
	for size := uint64(1); size <= n; size++ {
		for i := range size {
			vs.Inclusion = append(vs.Inclusion, inclusionVector{Name: fmt.Sprintf("index-%d-size-%d", i, size), Entry: int(i), Index: i, Size: size,
				Root: rootA(size), Hashes: a.inclusion(t, i, size), Expect: "ok"})
		}
	}
	base := a.inclusion(t, 5, n)
	incl := func(name string, entry int, index, size uint64, root string, hs []string, expect string) {
		vs.Inclusion = append(vs.Inclusion, inclusionVector{Name: name, Entry: entry, Index: index, Size: size, Root: root, Hashes: hs, Expect: expect})
	}
	incl("flipped-hash", 5, 5, n, rootA(n), append([]string{flipHex(base[0], 0)}, base[1:]...), "bad_proof")
	incl("flipped-last-hash", 5, 5, n, rootA(n), append(append([]string{}, base[:len(base)-1]...), flipHex(base[len(base)-1], 31)), "bad_proof")
	incl("missing-hash", 5, 5, n, rootA(n), base[:len(base)-1], "bad_proof")
	incl("extra-hash", 5, 5, n, rootA(n), append(append([]string{}, base...), base[0]), "bad_proof")
	incl("other-entry", 6, 5, n, rootA(n), base, "bad_proof")
	incl("other-index", 5, 4, n, rootA(n), base, "bad_proof")
	incl("forked-root", 5, 5, n, b.root(t, v, n), base, "bad_proof")
	incl("proof-of-smaller-tree", 5, 5, n, rootA(n), a.inclusion(t, 5, n-1), "bad_proof")
	incl("size-1-with-a-hash", 0, 0, 1, rootA(1), []string{rootA(1)}, "bad_proof")
	incl("index-equals-size", 5, n, n, rootA(n), base, "malformed")
	incl("short-hash", 5, 5, n, rootA(n), append([]string{base[0][:62]}, base[1:]...), "malformed")
	incl("65-hashes", 5, 5, n, rootA(n), repeat(base[0], keylog.MaxProofHashes+1), "malformed")

	// Consistency: every pair of sizes, then tampered proofs.
	for nw := uint64(1); nw <= n; nw++ {
		for old := uint64(0); old <= nw; old++ {
			vs.Consistency = append(vs.Consistency, consistencyVector{Name: fmt.Sprintf("size-%d-to-%d", old, nw), Old: old, New: nw,
				OldRoot: rootA(old), NewRoot: rootA(nw), Hashes: a.consistency(t, old, nw), Expect: "ok"})
		}
	}
	cbase := a.consistency(t, 7, n)
	cons := func(name string, old, nw uint64, oldRoot, newRoot string, hs []string, expect string) {
		vs.Consistency = append(vs.Consistency, consistencyVector{Name: name, Old: old, New: nw, OldRoot: oldRoot, NewRoot: newRoot, Hashes: hs, Expect: expect})
	}
	cons("flipped-hash", 7, n, rootA(7), rootA(n), append([]string{flipHex(cbase[0], 0)}, cbase[1:]...), "bad_proof")
	cons("missing-hash", 7, n, rootA(7), rootA(n), cbase[:len(cbase)-1], "bad_proof")
	cons("extra-hash", 7, n, rootA(7), rootA(n), append(append([]string{}, cbase...), cbase[0]), "bad_proof")
	cons("forked-old-root", 7, n, b.root(t, v, 7), rootA(n), cbase, "bad_proof")
	cons("forked-new-root", 7, n, rootA(7), b.root(t, v, n), cbase, "bad_proof")
	cons("forked-log-own-proof", 7, n, rootA(7), b.root(t, v, n), b.consistency(t, 7, n), "bad_proof")
	cons("equal-sizes-other-roots", 7, 7, rootA(7), b.root(t, v, 7), []string{}, "bad_proof")
	cons("equal-sizes-with-a-hash", 7, 7, rootA(7), rootA(7), []string{rootA(7)}, "bad_proof")
	cons("from-0-with-a-hash", 0, 5, rootA(0), rootA(5), []string{rootA(5)}, "bad_proof")
	cons("old-past-new", n, 7, rootA(n), rootA(7), cbase, "malformed")
	cons("short-hash", 7, n, rootA(7), rootA(n), append([]string{cbase[0][:62]}, cbase[1:]...), "malformed")
	cons("65-hashes", 7, n, rootA(7), rootA(n), repeat(cbase[0], keylog.MaxProofHashes+1), "malformed")

	// Checkpoints.
	rootB64 := func(h string) string { b, _ := hex.DecodeString(h); return base64.StdEncoding.EncodeToString(b) }
	text := func(origin, size, root string) string { return origin + "\n" + size + "\n" + root + "\n" }
	cp := func(name, note string, size uint64, root, expect string) {
		c := checkpointVector{Name: name, Note: note, Expect: expect}
		if expect == "ok" {
			c.Size, c.Root = size, root
		}
		vs.Checkpoints = append(vs.Checkpoints, c)
	}
	cp("size-0", a.notes[0], 0, rootA(0), "ok")
	cp("size-1", a.notes[1], 1, rootA(1), "ok")
	cp(fmt.Sprintf("size-%d", n), a.notes[n], n, rootA(n), "ok")
	tn := text(origin, fmt.Sprint(n), rootB64(rootA(n)))
	cp("cosigned", signText(t, tn, signer, mustSigner(t, witnessSkey)), n, rootA(n), "ok")
	cp("cosignature-first", signText(t, tn, mustSigner(t, witnessSkey), signer), n, rootA(n), "ok")
	cp("signed-by-another-key-of-the-name", signText(t, tn, mustSigner(t, otherSkey)), 0, "", "bad_signature")
	cp("signed-by-another-log", signText(t, tn, mustSigner(t, otherNameSkey)), 0, "", "bad_signature")
	cp("other-origin", signText(t, text("log.example/other", fmt.Sprint(n), rootB64(rootA(n))), signer), 0, "", "wrong_origin")
	good := a.notes[n]
	body, sigLine, _ := strings.Cut(good, "\n\n")
	prefix, sigB64, _ := strings.Cut(strings.TrimSuffix(sigLine, "\n"), " "+origin+" ")
	sig, _ := base64.StdEncoding.DecodeString(sigB64)
	mangle := func(i int) string {
		s := bytes.Clone(sig)
		s[i] ^= 1
		return body + "\n\n" + prefix + " " + origin + " " + base64.StdEncoding.EncodeToString(s) + "\n"
	}
	cp("flipped-signature-byte", mangle(len(sig)-1), 0, "", "bad_signature")
	cp("flipped-key-hash-byte", mangle(0), 0, "", "bad_signature")
	cp("altered-text", strings.Replace(good, "\n"+fmt.Sprint(n)+"\n", "\n"+fmt.Sprint(n+1)+"\n", 1), 0, "", "bad_signature")
	line := func(s []byte) string {
		return prefix + " " + origin + " " + base64.StdEncoding.EncodeToString(s) + "\n"
	}
	flipped := bytes.Clone(sig)
	flipped[len(flipped)-1] ^= 1
	// note.Open skips a second line of a key it has seen, unverified.
	cp("second-line-of-the-key-skipped", good+line(flipped), n, rootA(n), "ok")
	cp("bad-line-of-the-key-first", body+"\n\n"+line(flipped)+line(sig), 0, "", "bad_signature")
	cp("signature-too-short", body+"\n\n"+line(sig[:4]), 0, "", "malformed")
	cp("no-signatures", body+"\n", 0, "", "malformed")
	cp("no-final-newline", strings.TrimSuffix(good, "\n"), 0, "", "malformed")
	cp("extension-line", signText(t, tn+"extension\n", signer), 0, "", "malformed")
	cp("size-with-leading-zero", signText(t, text(origin, "0"+fmt.Sprint(n), rootB64(rootA(n))), signer), 0, "", "malformed")
	cp("size-with-plus", signText(t, text(origin, "+"+fmt.Sprint(n), rootB64(rootA(n))), signer), 0, "", "malformed")
	cp("size-2^53", signText(t, text(origin, "9007199254740992", rootB64(rootA(n))), signer), 0, "", "malformed")
	cp("size-2^53-1", signText(t, text(origin, "9007199254740991", rootB64(rootA(n))), signer), 9007199254740991, rootA(n), "ok")
	cp("size-0-other-root", signText(t, text(origin, "0", rootB64(rootA(1))), signer), 0, "", "malformed")
	cp("root-of-31-bytes", signText(t, text(origin, fmt.Sprint(n), base64.StdEncoding.EncodeToString(fixedBytes("x")[:31])), signer), 0, "", "malformed")
	cp("root-unpadded-base64", signText(t, text(origin, "1", strings.TrimRight(rootB64(rootA(1)), "=")), signer), 0, "", "malformed")
	cp("root-url-base64", signText(t, text(origin, "1", strings.NewReplacer("+", "-", "/", "_").Replace(rootB64(rootA(1)))), signer), 0, "", "malformed")
	cp("control-character", strings.Replace(good, origin+"\n", origin+"\t\n", 1), 0, "", "malformed")
	over := good + "— " + strings.Repeat("w", keylog.MaxCheckpointBytes) + " " + base64.StdEncoding.EncodeToString(fixedBytes("sig")) + "\n"
	cp("over-16KiB", over, 0, "", "malformed")
	many := good
	for i := range 100 {
		many += fmt.Sprintf("— w%d.example %s\n", i, base64.StdEncoding.EncodeToString(fixedBytes(fmt.Sprint(i))))
	}
	cp("101-signatures", many, 0, "", "malformed")
	// Ed25519's S must be below the group order L (RFC 8032 §5.1.7): S+L
	// verifies the same equation and must still be refused.
	unreduced := bytes.Clone(sig)
	addOrder(unreduced[4+32:])
	cp("signature-s-not-reduced", body+"\n\n"+line(unreduced), 0, "", "bad_signature")

	// Client rules.
	pv := func(vl *vectorLog, old, nw uint64) *proofVector {
		return &proofVector{Old: old, New: nw, Hashes: vl.consistency(t, old, nw)}
	}
	cl := func(name, accepted, next string, p *proofVector, expect string) {
		vs.ClientChecks = append(vs.ClientChecks, clientVector{Name: name, Accepted: accepted, Next: next, Proof: p, Expect: expect})
	}
	cl("same-checkpoint", a.notes[7], a.notes[7], nil, "ok")
	cl("same-tree-cosigned", a.notes[n], vs.Checkpoints[3].Note, nil, "ok")
	cl("extends", a.notes[5], a.notes[n], pv(a, 5, n), "ok")
	cl("extends-by-one", a.notes[1], a.notes[2], pv(a, 1, 2), "ok")
	cl("extends-empty", a.notes[0], a.notes[3], pv(a, 0, 3), "ok")
	cl("rollback", a.notes[9], a.notes[5], nil, "rollback")
	cl("rollback-to-empty", a.notes[1], a.notes[0], nil, "rollback")
	cl("fork-same-size", a.notes[7], b.notes[7], nil, "fork")
	cl("fork-with-its-own-proof", a.notes[7], b.notes[10], pv(b, 7, 10), "fork_bad_proof")
	cl("fork-with-the-honest-proof", a.notes[5], b.notes[9], pv(a, 5, 9), "fork_bad_proof")
	cl("shared-prefix-is-no-fork", a.notes[5], b.notes[9], pv(b, 5, 9), "ok")
	cl("no-proof", a.notes[5], a.notes[9], nil, "bad_proof")
	cl("proof-from-another-size", a.notes[5], a.notes[9], pv(a, 4, 9), "bad_proof")
	cl("proof-to-another-size", a.notes[5], a.notes[9], pv(a, 5, 10), "bad_proof")
	return vs
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// addOrder adds the Ed25519 group order L to the little-endian scalar s.
func addOrder(s []byte) {
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	carry := 0
	for i := range s {
		v := int(s[i]) + int(l[i]) + carry
		s[i], carry = byte(v), v>>8
	}
}
