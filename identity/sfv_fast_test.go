package identity

// These tests hold the structured-field fast path (sfv.go) to the general
// parser: whatever the fast path takes, the general path takes too, with the
// same members, values and parameters. They need the unexported parsers, so
// they live inside the package.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dunglas/httpsfv"
)

// fieldLines splits a fuzz string into field lines at LF (a field value
// cannot hold one), so one input can stand for several header lines.
func fieldLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// checkDictAgrees: if the fast scanner takes lines, httpsfv parses them to
// the same keys in the same order, byte sequences to the same bytes, and
// inner lists that serialize back to the member's own text.
func checkDictAgrees(t *testing.T, lines []string) (fast bool) {
	t.Helper()
	ms, ok := scanDict(lines, 1<<20, nil)
	if !ok {
		return false
	}
	d, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil {
		t.Fatalf("fast path takes %q, httpsfv refuses: %v", lines, err)
	}
	if names := d.Names(); len(names) != len(ms) {
		t.Fatalf("%q: fast path has %d members, httpsfv %v", lines, len(ms), names)
	}
	for i, name := range d.Names() {
		m := ms[i]
		if m.key != name {
			t.Fatalf("%q: member %d is %q on the fast path, %q in httpsfv", lines, i, m.key, name)
		}
		v, _ := d.Get(name)
		switch v := v.(type) {
		case httpsfv.Item:
			b, ok := v.Value.([]byte)
			fb, fok := decodeBytes(m.val, nil)
			if !ok || !fok || !bytes.Equal(b, fb) || len(v.Params.Names()) != 0 {
				t.Fatalf("%q: member %q: fast path %q, httpsfv %#v", lines, name, m.val, v)
			}
		case httpsfv.InnerList:
			ser, err := httpsfv.Marshal(v)
			if err != nil || ser != m.val {
				t.Fatalf("%q: member %q: fast path %q, httpsfv serializes %q (%v)", lines, name, m.val, ser, err)
			}
		default:
			t.Fatalf("%q: member %q: fast path %q, httpsfv %T", lines, name, m.val, v)
		}
	}
	return true
}

// checkSignaturesAgree: if fastSignatures takes the fields, generalSignatures
// accepts them and yields the same signature, components and parameters.
func checkSignaturesAgree(t *testing.T, in, sig []string, label string) (fast bool) {
	t.Helper()
	fp, ok := fastSignatures(in, sig, label)
	if !ok {
		return false
	}
	gp, err := generalSignatures(in, sig, label)
	if err != nil {
		t.Fatalf("fast path takes %q / %q (label %q), general path refuses: %v", in, sig, label, err)
	}
	if fp.label != gp.label || !bytes.Equal(fp.sig, gp.sig) || fp.sp.ser != gp.sp.ser ||
		!reflect.DeepEqual(fp.sp.comps, gp.sp.comps) || !reflect.DeepEqual(fp.sp.p, gp.sp.p) {
		t.Fatalf("%q / %q (label %q):\nfast    %q %x %q %+v\ngeneral %q %x %q %+v", in, sig, label,
			fp.label, fp.sig, fp.sp.ser, fp.sp.p, gp.label, gp.sig, gp.sp.ser, gp.sp.p)
	}
	return true
}

// checkDigestAgrees: if fastContentDigest takes the lines, the general path
// keeps the same members with the same expected digests, and no error.
func checkDigestAgrees(t *testing.T, lines []string) (fast bool) {
	t.Helper()
	fd, ok := fastContentDigest(lines)
	if !ok {
		return false
	}
	gd, err := generalContentDigest(lines)
	if err != nil || gd.err != nil {
		t.Fatalf("fast path takes Content-Digest %q, general path refuses: %v %v", lines, err, gd.err)
	}
	if len(fd.members) != len(gd.members) {
		t.Fatalf("Content-Digest %q: %d members on the fast path, %d on the general", lines, len(fd.members), len(gd.members))
	}
	for i := range fd.members {
		f, g := fd.members[i], gd.members[i]
		if f.name != g.name || !bytes.Equal(f.want, g.want) {
			t.Fatalf("Content-Digest %q: member %d: fast %s=%x, general %s=%x", lines, i, f.name, f.want, g.name, g.want)
		}
	}
	return true
}

// checkAgree runs every comparison on one input.
func checkAgree(t *testing.T, in, sig, label, digest string) {
	t.Helper()
	for _, s := range []string{in, sig, digest} {
		checkDictAgrees(t, fieldLines(s))
	}
	checkSignaturesAgree(t, fieldLines(in), fieldLines(sig), label)
	checkDigestAgrees(t, fieldLines(digest))
}

// FuzzFastPathAgrees feeds the same field values to the fast path and to
// the httpsfv-based general path and requires the same result whenever the
// fast path takes them (when it does not, only the general path decides).
// Seeds: the request vectors' fields and the tricky inputs of
// TestFastPathTrickyInputs; the committed corpus adds the signature-header
// fuzz corpus.
func FuzzFastPathAgrees(f *testing.F) {
	n := 0
	for _, r := range loadRequestFields(f) {
		f.Add(r.in, r.sig, "", r.digest)
		f.Add(r.in, r.sig, "sig1", r.sig)
		n++
	}
	for _, c := range trickyInputs {
		f.Add(c.in, c.sig, c.label, c.digest)
		n++
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, in, sig, label, digest string) {
		checkAgree(t, in, sig, label, digest)
	})
}

type requestFields struct{ in, sig, digest string }

// loadRequestFields reads the signature fields of the request vectors; a
// missing or empty vector file fails.
func loadRequestFields(tb testing.TB) []requestFields {
	tb.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vf struct {
		Requests []struct {
			Headers [][2]string `json:"headers"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(b, &vf); err != nil {
		tb.Fatal(err)
	}
	var out []requestFields
	for _, r := range vf.Requests {
		var rf requestFields
		for _, h := range r.Headers {
			switch h[0] {
			case headerSignatureInput:
				rf.in = h[1]
			case headerSignature:
				rf.sig = h[1]
			case headerContentDigest:
				rf.digest = h[1]
			}
		}
		out = append(out, rf)
	}
	if len(out) == 0 {
		tb.Fatal("no request vectors")
	}
	return out
}

const (
	trickyInput = `sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="k1";alg="ed25519"`
	trickySig   = `sig1=:PsIQykYpOUjegaOIlTioTgd9sx5THjI8Lwgs22a5Hg0Ibb4eHPGXsO8q6P1rqhTMyrmOYZWYZlOm0YhsbGPGCg==:`
	trickyDig   = `sha-256=:c2euMKODwlc+fidHWKQUD0X7IxA4Y07MSAKY1Fh7opk=:`
)

// A tricky input and what each path must make of it: fast says whether the
// fast path takes it, ok whether the general path (and so parseSignatures)
// accepts it. Only one of in or digest is the field under test; the other
// fields are the canonical ones above.
var trickyInputs = []struct {
	name                   string
	in, sig, label, digest string
	fast, ok               bool
	fastDigest, okDigest   bool
}{
	{name: "canonical", in: trickyInput, sig: trickySig, digest: trickyDig, fast: true, ok: true, fastDigest: true, okDigest: true},
	{name: "leading spaces", in: "  " + trickyInput, sig: "  " + trickySig, digest: "  " + trickyDig, fast: true, ok: true, fastDigest: true, okDigest: true},
	{name: "leading tab", in: "\t" + trickyInput, sig: trickySig, digest: "\t" + trickyDig, ok: false, okDigest: false},
	{name: "trailing spaces and tabs", in: trickyInput + " \t", sig: trickySig + "\t", digest: trickyDig + " \t ", fast: true, ok: true, fastDigest: true, okDigest: true},
	{name: "space inside the list", in: `sig1=( "@method" "@target-uri");created=1`, sig: trickySig, ok: true},
	{name: "two spaces between items", in: `sig1=("@method"  "@target-uri");created=1`, sig: trickySig, ok: true},
	{name: "space before the closing parenthesis", in: `sig1=("@method" )`, sig: trickySig, ok: true},
	{name: "space after a semicolon", in: `sig1=("@method"); created=1`, sig: trickySig, ok: true},
	{name: "space before a semicolon", in: `sig1=("@method") ;created=1`, sig: trickySig},
	{name: "members separated by tab", in: "sig1=(\"@method\"),\tsig2=(\"@path\")", sig: trickySig + ",\tsig2=::", label: "sig1", fast: true, ok: true},
	{name: "two field lines", in: "sig1=(\"@method\")\nsig2=(\"@path\")", sig: trickySig + "\nsig2=::", label: "sig2", fast: true, ok: true, digest: "md5=:AAAA:\n" + trickyDig, fastDigest: true, okDigest: true},
	{name: "empty field line", in: trickyInput + "\n", sig: trickySig, digest: trickyDig + "\n"},
	{name: "duplicate label", in: trickyInput + ", sig1=()", sig: trickySig, digest: trickyDig + ", " + trickyDig, okDigest: true},
	{name: "duplicate label in Signature", in: trickyInput, sig: trickySig + ", sig1=::"},
	{name: "duplicate list parameter", in: `sig1=("@method");created=1;created=2`, sig: trickySig, ok: true},
	{name: "duplicate req", in: `sig1=("@status" "@method";req;req)`, sig: trickySig, ok: true},
	{name: "parameters in another order", in: `sig1=("@method");keyid="k";nonce="n";expires=9;created=1`, sig: trickySig, fast: true, ok: true},
	{name: "unknown parameters", in: `sig1=("@method");foo="bar";baz;n=5`, sig: trickySig, fast: true, ok: true},
	{name: "unsupported component parameter", in: `sig1=("content-type";sf)`, sig: trickySig},
	{name: "non-canonical base64 bits", in: trickyInput, sig: `sig1=:AB==:`, digest: `sha-256=:AB==:`, fast: true, ok: true, fastDigest: true, okDigest: true},
	{name: "base64 without padding", in: trickyInput, sig: `sig1=:AB:`, digest: `sha-256=:AB:`},
	{name: "base64 padding inside", in: trickyInput, sig: `sig1=:AB==AAAA:`, digest: `sha-256=:A=AA:`},
	{name: "base64 three pads", in: trickyInput, sig: `sig1=:A===:`, digest: `sha-256=:====:`},
	{name: "bad base64 in an ignored member", in: trickyInput + `, sig2=("@path")`, sig: trickySig + `, sig2=:AB:`, label: "sig1", digest: `md5=:AB:, ` + trickyDig},
	{name: "base64url", in: trickyInput, sig: `sig1=:a-_b:`, digest: `sha-256=:a-_b:`},
	{name: "empty byte sequence", in: trickyInput, sig: `sig1=::`, digest: `sha-256=::`, fast: true, ok: true, fastDigest: true, okDigest: true},
	{name: "byte sequence with parameters", in: trickyInput, sig: trickySig + `;a=1`, digest: trickyDig + `;a`, ok: true, okDigest: true},
	{name: "trailing comma", in: trickyInput + ",", sig: trickySig + ",", digest: trickyDig + ", "},
	{name: "leading comma", in: "," + trickyInput, sig: trickySig, digest: "," + trickyDig},
	{name: "huge integer", in: `sig1=("@method");created=1000000000000000`, sig: trickySig},
	{name: "largest integer", in: `sig1=("@method");created=999999999999999`, sig: trickySig, fast: true, ok: true},
	{name: "leading zero", in: `sig1=("@method");created=01`, sig: trickySig, ok: true},
	{name: "negative integer", in: `sig1=("@method");created=-1`, sig: trickySig},
	{name: "decimal", in: `sig1=("@method");created=1.5`, sig: trickySig},
	{name: "empty inner list", in: `sig1=()`, sig: trickySig, fast: true, ok: true},
	{name: "empty dictionary", in: ``, sig: trickySig},
	{name: "empty member list", in: ` `, sig: trickySig, digest: ` `},
	{name: "too many components", in: `sig1=(` + strings.Repeat(`"a" `, MaxComponents) + `"b")`, sig: trickySig},
	{name: "uppercase component", in: `sig1=("Content-Type")`, sig: trickySig},
	{name: "escaped quote in a string", in: `sig1=("@method");nonce="a\"b"`, sig: trickySig, ok: true},
	{name: "token component", in: `sig1=(method)`, sig: trickySig},
	{name: "date parameter", in: `sig1=("@method");created=@1`, sig: trickySig},
	{name: "boolean member", in: `sig1`, sig: trickySig, digest: `sha-256`},
	{name: "uppercase key", in: `Sig1=()`, sig: `Sig1=::`, digest: `SHA-256=` + strings.TrimPrefix(trickyDig, "sha-256=")},
	{name: "no label with two", in: `a=(), b=()`, sig: `a=::, b=::`},
	{name: "unknown digest only", digest: `md5=:AAAA:`},
	{name: "digest inner list", digest: `sha-256=("a")`},
	{name: "non-ASCII", in: "sig1=(\"é\")", sig: trickySig, digest: "sha-256=:é:"},
}

// TestFastPathTrickyInputs pins, for each tricky input, whether the fast
// path takes it and what the general path decides, and that both agree.
func TestFastPathTrickyInputs(t *testing.T) {
	for _, c := range trickyInputs {
		t.Run(c.name, func(t *testing.T) {
			checkAgree(t, c.in, c.sig, c.label, c.digest)
			in, sig := fieldLines(c.in), fieldLines(c.sig)
			if in != nil || c.fast || c.ok {
				_, fast := fastSignatures(in, sig, c.label)
				_, err := generalSignatures(in, sig, c.label)
				if fast != c.fast || (err == nil) != c.ok {
					t.Errorf("signature fields: fast path %v (want %v), general path error %v (want ok %v)", fast, c.fast, err, c.ok)
				}
			}
			if c.digest != "" {
				dl := fieldLines(c.digest)
				_, fast := fastContentDigest(dl)
				gd, err := generalContentDigest(dl)
				ok := err == nil && gd.err == nil
				if fast != c.fastDigest || ok != c.okDigest {
					t.Errorf("Content-Digest: fast path %v (want %v), general path ok %v (want %v): %v", fast, c.fastDigest, ok, c.okDigest, err)
				}
			}
		})
	}
}

// TestVerifyContentDigestRefusesBadIgnoredMember: a member of an algorithm
// that is not checked must still be a valid structured field, on the fast
// path as on the general one.
func TestVerifyContentDigestRefusesBadIgnoredMember(t *testing.T) {
	body := []byte(`{"name":"report.pdf"}`)
	good, err := ContentDigest(DigestSHA256, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyContentDigest([]string{"md5=:AAAA:, " + good}, body); err != nil {
		t.Fatalf("valid ignored member: %v", err)
	}
	for _, bad := range []string{"md5=:AB:, ", "md5=:A===:, ", "md5=:AB==AAAA:, "} {
		if err := VerifyContentDigest([]string{bad + good}, body); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", bad+good, err)
		}
	}
}

// decodeBytes decodes into the caller's buffer exactly what
// base64.StdEncoding decodes, at every length around the buffer's.
func TestDecodeBytesBuffer(t *testing.T) {
	for n := 0; n <= 100; n++ {
		text := strings.Repeat("QUJD", n/4) + "QUJD"[:n%4]
		want, werr := base64.StdEncoding.DecodeString(text)
		for _, buf := range [][]byte{nil, make([]byte, sigBufLen)} {
			got, ok := decodeBytes(":"+text+":", buf)
			if ok != (werr == nil) || ok && !bytes.Equal(got, want) {
				t.Fatalf("%d characters (buffer %d): got %x %v, want %x %v", n, len(buf), got, ok, want, werr)
			}
		}
	}
}
