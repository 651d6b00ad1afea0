package identity

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"
)

// Limits on signature headers, checked before any signature work.
const (
	// MaxSignatureHeaderBytes caps Signature-Input and Signature (all field
	// lines joined), each.
	MaxSignatureHeaderBytes = 8 << 10
	// MaxSignatures caps the labels in one Signature-Input.
	MaxSignatures = 8
	// MaxComponents caps the covered components of one signature.
	MaxComponents = 32
	// MaxNonceLength caps the nonce parameter.
	MaxNonceLength = 128
)

// Header field names, in canonical form: the verifier indexes http.Header
// with them directly (headerGet), without canonicalizing them per request.
const (
	headerSignatureInput = "Signature-Input"
	headerSignature      = "Signature"
	headerContentType    = "Content-Type"
)

// headerGet is h.Get(key) for a canonical key.
func headerGet(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// SignatureParams are one RFC 9421 signature's covered components and
// parameters. Zero times and empty strings are omitted from the
// serialization; parameters appear in the order created, expires, nonce,
// alg, keyid, tag.
type SignatureParams struct {
	// Components are component identifiers: derived components ("@method",
	// "@target-uri", "@authority", "@scheme", "@path", "@query", "@status")
	// or lowercase header field names; a ";req" suffix names the request
	// component of a response signature (RFC 9421 §2.4).
	Components []string
	Created    time.Time // the "created" parameter, whole seconds
	Expires    time.Time // the "expires" parameter, whole seconds
	Nonce      string    // the "nonce" parameter
	Alg        Algorithm // the "alg" parameter
	KeyID      string    // the "keyid" parameter: the signer's key ID
	Tag        string    // the "tag" parameter: the application the signature is for
}

type component struct {
	name string
	req  bool
}

func (c component) String() string {
	if c.req {
		return c.name + ";req"
	}
	return c.name
}

func parseComponentString(s string) (component, error) {
	name, req := strings.CutSuffix(s, ";req")
	if name == "" || strings.ToLower(name) != name || strings.ContainsAny(name, ";\" ") || !printableASCII(name) {
		return component{}, reject(ReasonMalformed, "bad component identifier")
	}
	return component{name, req}, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// sigParams is the parsed form used for bases: components plus the inner
// list exactly as it will be serialized.
type sigParams struct {
	comps []component
	list  httpsfv.InnerList // set by build, for the Signature-Input field
	ser   string            // the inner list serialized: the @signature-params value
	p     SignatureParams
}

func (p SignatureParams) build() (*sigParams, error) {
	if len(p.Components) > MaxComponents {
		return nil, reject(ReasonMalformed, "too many components")
	}
	sp := &sigParams{p: p, list: httpsfv.InnerList{Params: httpsfv.NewParams()}}
	seen := map[component]bool{}
	for _, s := range p.Components {
		c, err := parseComponentString(s)
		if err != nil {
			return nil, err
		}
		if seen[c] {
			return nil, reject(ReasonMalformed, "duplicate component "+c.String())
		}
		seen[c] = true
		sp.comps = append(sp.comps, c)
		sp.list.Items = append(sp.list.Items, c.item())
	}
	ps := sp.list.Params
	if !p.Created.IsZero() {
		ps.Add("created", p.Created.Unix())
	}
	if !p.Expires.IsZero() {
		ps.Add("expires", p.Expires.Unix())
	}
	if p.Nonce != "" {
		ps.Add("nonce", p.Nonce)
	}
	if p.Alg != "" {
		ps.Add("alg", string(p.Alg))
	}
	if p.KeyID != "" {
		ps.Add("keyid", p.KeyID)
	}
	if p.Tag != "" {
		ps.Add("tag", p.Tag)
	}
	ser, err := httpsfv.Marshal(sp.list)
	if err != nil {
		return nil, reject(ReasonMalformed, "signature parameters do not serialize")
	}
	sp.ser = ser
	return sp, nil
}

func (c component) item() httpsfv.Item {
	it := httpsfv.NewItem(c.name)
	if c.req {
		it.Params.Add("req", true)
	}
	return it
}

// msgView is what a signature base reads from a request or response.
type msgView struct {
	response  bool
	method    string
	scheme    string
	authority string
	path      string
	rawQuery  string
	hasQuery  bool // a "?" was sent, even with an empty query
	status    int
	header    http.Header
	req       *msgView
}

// requestView views r with the given scheme and authority (the client's URL,
// or the server's configured public origin).
func requestView(r *http.Request, scheme, authority string) msgView {
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	scheme = strings.ToLower(scheme)
	return msgView{
		method:    r.Method,
		scheme:    scheme,
		authority: normalizeAuthority(scheme, authority),
		path:      path,
		rawQuery:  r.URL.RawQuery,
		hasQuery:  r.URL.RawQuery != "" || r.URL.ForceQuery,
		header:    r.Header,
	}
}

// clientRequestView views an outgoing request as its URL says.
func clientRequestView(r *http.Request) msgView {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return requestView(r, r.URL.Scheme, host)
}

// normalizeAuthority lowercases the host and drops the scheme's default
// port (RFC 9421 §2.2.3).
func normalizeAuthority(scheme, a string) string {
	a = strings.ToLower(a)
	if !strings.Contains(a, ":") {
		return a // no port (SplitHostPort would allocate its error)
	}
	if h, p, err := net.SplitHostPort(a); err == nil {
		if (scheme == "https" && p == "443") || (scheme == "http" && p == "80") {
			if strings.Contains(h, ":") {
				return "[" + h + "]"
			}
			return h
		}
	}
	return a
}

// appendValue appends c's component value to b.
func (m *msgView) appendValue(b []byte, c component) ([]byte, error) {
	if c.req {
		if !m.response || m.req == nil {
			return nil, reject(ReasonPolicy, "component "+c.String()+" needs the request")
		}
		return m.req.appendValue(b, component{name: c.name})
	}
	if strings.HasPrefix(c.name, "@") {
		if m.response && c.name != "@status" {
			return nil, reject(ReasonMalformed, "request component "+c.name+" in a response signature")
		}
		switch c.name {
		case "@method":
			return append(b, m.method...), nil
		case "@target-uri":
			b = append(append(append(b, m.scheme...), "://"...), m.authority...)
			b = append(b, m.path...)
			if m.hasQuery {
				b = append(append(b, '?'), m.rawQuery...)
			}
			return b, nil
		case "@authority":
			return append(b, m.authority...), nil
		case "@scheme":
			return append(b, m.scheme...), nil
		case "@path":
			return append(b, m.path...), nil
		case "@query":
			return append(append(b, '?'), m.rawQuery...), nil
		case "@status":
			if !m.response {
				return nil, reject(ReasonMalformed, "@status in a request signature")
			}
			return strconv.AppendInt(b, int64(m.status), 10), nil
		}
		return nil, reject(ReasonMalformed, "unsupported derived component "+c.name)
	}
	vals := m.headerValues(c.name)
	if len(vals) == 0 {
		return nil, reject(ReasonPolicy, "covered header "+c.name+" is missing")
	}
	for i, v := range vals {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, strings.Trim(v, " \t")...)
	}
	return b, nil
}

// headerValues is m.header.Values(name) for a lowercase field name. The
// fields signatures commonly cover are looked up by their canonical keys,
// so that the component name is not canonicalized (allocated) each time.
func (m *msgView) headerValues(name string) []string {
	switch name {
	case "content-digest":
		return m.header[headerContentDigest]
	case "content-type":
		return m.header[headerContentType]
	case "content-length":
		return m.header["Content-Length"]
	case "authorization":
		return m.header["Authorization"]
	case "signature":
		return m.header[headerSignature]
	case "date":
		return m.header["Date"]
	}
	return m.header.Values(name)
}

// base returns the RFC 9421 §2.5 signature base: one line per covered
// component, then the @signature-params line, joined by LF.
func (m *msgView) base(sp *sigParams) ([]byte, error) {
	return m.appendBase(make([]byte, 0, 256+len(sp.ser)), sp)
}

// appendBase appends the signature base to b.
func (m *msgView) appendBase(b []byte, sp *sigParams) ([]byte, error) {
	for _, c := range sp.comps {
		b = appendIdentifier(b, c)
		b = append(b, ": "...)
		n := len(b)
		var err error
		if b, err = m.appendValue(b, c); err != nil {
			return nil, err
		}
		if v := b[n:]; bytes.IndexByte(v, '\r') >= 0 || bytes.IndexByte(v, '\n') >= 0 {
			return nil, reject(ReasonMalformed, "component value holds a line break")
		}
		b = append(b, '\n')
	}
	b = append(b, `"@signature-params": `...)
	return append(b, sp.ser...), nil
}

// appendIdentifier appends c serialized as an RFC 8941 string with its
// parameters (what httpsfv.Marshal of c.item() gives, without the
// allocations): names were validated as printable ASCII strings.
func appendIdentifier(b []byte, c component) []byte {
	b = append(b, '"')
	for i := 0; i < len(c.name); i++ {
		if ch := c.name[i]; ch == '"' || ch == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c.name[i])
	}
	b = append(b, '"')
	if c.req {
		b = append(b, ";req"...)
	}
	return b
}

// sign computes the signature and the two header values for label.
func (m *msgView) sign(key *PrivateKey, label string, p SignatureParams) (input, signature string, err error) {
	sp, err := p.build()
	if err != nil {
		return "", "", err
	}
	base, err := m.base(sp)
	if err != nil {
		return "", "", err
	}
	sig, err := key.Sign(base)
	if err != nil {
		return "", "", err
	}
	in := httpsfv.NewDictionary()
	in.Add(label, sp.list)
	sd := httpsfv.NewDictionary()
	sd.Add(label, httpsfv.NewItem(sig))
	if input, err = httpsfv.Marshal(in); err != nil {
		return "", "", reject(ReasonMalformed, "label")
	}
	if signature, err = httpsfv.Marshal(sd); err != nil {
		return "", "", reject(ReasonMalformed, "label")
	}
	return input, signature, nil
}

// SignRequest signs r as it will be sent (scheme and authority from its
// URL, or r.Host) and sets its Signature-Input and Signature headers to the
// single signature label. It covers what p lists and nothing more: it
// computes no Content-Digest (Transport does). With p.Created, p.KeyID and
// the components of RFC 9421 B.2.6 it reproduces that example byte for
// byte.
func SignRequest(r *http.Request, key *PrivateKey, label string, p SignatureParams) error {
	m := clientRequestView(r)
	in, sig, err := m.sign(key, label, p)
	if err != nil {
		return err
	}
	r.Header.Set(headerSignatureInput, in)
	r.Header.Set(headerSignature, sig)
	return nil
}

// RequestSignatureBase returns the signature base SignRequest would sign,
// for debugging and for checking other implementations.
func RequestSignatureBase(r *http.Request, p SignatureParams) ([]byte, error) {
	sp, err := p.build()
	if err != nil {
		return nil, err
	}
	m := clientRequestView(r)
	return m.base(sp)
}

// parsedSig is one signature from Signature-Input and Signature.
type parsedSig struct {
	label string
	sp    *sigParams
	sig   []byte
}

// parseSignatures parses both header fields (RFC 8941 dictionaries) with
// caps, rejecting duplicate labels, and returns the signature for label (or
// the only one when label is empty).
func parseSignatures(h http.Header, label string) (*parsedSig, error) {
	inLines, sigLines := h[headerSignatureInput], h[headerSignature]
	if len(inLines) == 0 && len(sigLines) == 0 {
		return nil, reject(ReasonMissingSignature, "no Signature-Input or Signature header")
	}
	if len(inLines) == 0 || len(sigLines) == 0 {
		return nil, reject(ReasonMalformed, "Signature-Input and Signature must both be present")
	}
	if ps, ok := fastSignatures(inLines, sigLines, label); ok {
		return ps, nil
	}
	return generalSignatures(inLines, sigLines, label)
}

// generalSignatures is parseSignatures with the general parser, for
// anything the fast path (sfv.go) does not take.
func generalSignatures(inLines, sigLines []string, label string) (*parsedSig, error) {
	in, err := parseDict(inLines, "Signature-Input")
	if err != nil {
		return nil, err
	}
	sd, err := parseDict(sigLines, "Signature")
	if err != nil {
		return nil, err
	}
	if label == "" {
		names := in.Names()
		if len(names) != 1 {
			return nil, reject(ReasonMalformed, "want exactly one signature label")
		}
		label = names[0]
	}
	im, ok := in.Get(label)
	if !ok {
		return nil, reject(ReasonMissingSignature, "no signature labelled "+strconv.Quote(label))
	}
	sm, ok := sd.Get(label)
	if !ok {
		return nil, reject(ReasonMalformed, "Signature has no value for the label")
	}
	il, ok := im.(httpsfv.InnerList)
	if !ok {
		return nil, reject(ReasonMalformed, "Signature-Input member is not an inner list")
	}
	sit, ok := sm.(httpsfv.Item)
	if !ok {
		return nil, reject(ReasonMalformed, "Signature member is not an item")
	}
	sig, ok := sit.Value.([]byte)
	if !ok {
		return nil, reject(ReasonMalformed, "Signature member is not a byte sequence")
	}
	sp, err := fromInnerList(il)
	if err != nil {
		return nil, err
	}
	return &parsedSig{label: label, sp: sp, sig: sig}, nil
}

func parseDict(lines []string, name string) (*httpsfv.Dictionary, error) {
	n := 0
	for _, l := range lines {
		n += len(l) + 2
	}
	if n > MaxSignatureHeaderBytes {
		return nil, reject(ReasonMalformed, name+" too large")
	}
	d, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil {
		return nil, rejectErr(ReasonMalformed, name+" is not a structured dictionary", err)
	}
	members := countMembers(strings.Join(lines, ","))
	if members != len(d.Names()) {
		return nil, reject(ReasonMalformed, name+" repeats a label")
	}
	if members > MaxSignatures {
		return nil, reject(ReasonMalformed, name+" has too many labels")
	}
	return d, nil
}

// countMembers counts the top-level members of a dictionary that
// httpsfv has already accepted, so that a label given twice (which RFC 8941
// parsing silently collapses to the last value) can be refused. Only commas
// outside strings and inner lists separate members; byte sequences and
// tokens cannot contain commas, quotes or parentheses.
func countMembers(s string) int {
	n, depth, inStr, esc := 1, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			n++
		}
	}
	return n
}

func fromInnerList(il httpsfv.InnerList) (*sigParams, error) {
	if len(il.Items) > MaxComponents {
		return nil, reject(ReasonMalformed, "too many components")
	}
	ser, err := httpsfv.Marshal(il)
	if err != nil {
		return nil, reject(ReasonMalformed, "signature parameters do not serialize")
	}
	sp := &sigParams{list: il, ser: ser}
	seen := map[component]bool{}
	for _, it := range il.Items {
		name, ok := it.Value.(string)
		if !ok || name == "" || strings.ToLower(name) != name {
			return nil, reject(ReasonMalformed, "component identifier is not a lowercase string")
		}
		c := component{name: name}
		for _, pn := range it.Params.Names() {
			v, _ := it.Params.Get(pn)
			if pn != "req" || v != true {
				return nil, reject(ReasonMalformed, "unsupported component parameter "+strconv.Quote(pn))
			}
			c.req = true
		}
		if seen[c] {
			return nil, reject(ReasonMalformed, "duplicate component "+c.String())
		}
		seen[c] = true
		sp.comps = append(sp.comps, c)
		sp.p.Components = append(sp.p.Components, c.String())
	}
	ps := il.Params
	for _, pn := range ps.Names() {
		v, _ := ps.Get(pn)
		switch pn {
		case "created", "expires":
			n, ok := v.(int64)
			if !ok || n < 0 {
				return nil, reject(ReasonMalformed, pn+" is not a non-negative integer")
			}
			if pn == "created" {
				sp.p.Created = time.Unix(n, 0)
			} else {
				sp.p.Expires = time.Unix(n, 0)
			}
		case "nonce", "alg", "keyid", "tag":
			s, ok := v.(string)
			if !ok {
				return nil, reject(ReasonMalformed, pn+" is not a string")
			}
			switch pn {
			case "nonce":
				if len(s) > MaxNonceLength {
					return nil, reject(ReasonMalformed, "nonce too long")
				}
				sp.p.Nonce = s
			case "alg":
				sp.p.Alg = Algorithm(s)
			case "keyid":
				sp.p.KeyID = s
			case "tag":
				sp.p.Tag = s
			}
		}
	}
	return sp, nil
}

// baseBufLen is the size of the buffer msgView.verify builds the
// signature base in before it grows one on the heap.
const baseBufLen = 512

// verify checks ps against key (and the alg parameter against the key's
// algorithm, RFC 9421 §3.3.7).
func (m *msgView) verify(ps *parsedSig, key *PublicKey) error {
	if ps.sp.p.Alg != "" && ps.sp.p.Alg != key.alg {
		if ps.sp.p.Alg != Ed25519 && ps.sp.p.Alg != ECDSAP256SHA256 {
			return reject(ReasonUnknownAlgorithm, "alg "+strconv.Quote(string(ps.sp.p.Alg)))
		}
		return reject(ReasonBadSignature, "alg does not match the key")
	}
	var buf [baseBufLen]byte // the base of a typical request fits, on the stack
	base, err := m.appendBase(buf[:0], ps.sp)
	if err != nil {
		return err
	}
	if !key.Verify(base, ps.sig) {
		return reject(ReasonBadSignature, "signature does not verify")
	}
	return nil
}

// VerifyRequestSignature checks the signature labelled label (or the only
// one, if label is empty) on r, as seen by its sender (scheme and authority
// from r.URL or r.Host), against key, and returns its parameters. It checks
// no freshness, coverage or replay: Verifier does.
func VerifyRequestSignature(r *http.Request, label string, key *PublicKey) (*SignatureParams, error) {
	ps, err := parseSignatures(r.Header, label)
	if err != nil {
		return nil, err
	}
	m := clientRequestView(r)
	if err := m.verify(ps, key); err != nil {
		return nil, err
	}
	return &ps.sp.p, nil
}
