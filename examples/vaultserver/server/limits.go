package server

import (
	"net/http"
	"time"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/share"
	"github.com/sealkit/sealkit/storageauth"
)

// Body caps of the small routes (API.md, "Limits"). Only the upload route
// takes a body of object size.
const (
	// maxSmallBody caps share's JSON routes, the signed routes that send
	// no body, and everything else.
	maxSmallBody = share.MaxSmallRecord
	// maxStorageBody is the most storageauth's Server reads of a PUT: half
	// as much again as its MaxCiphertext (set to DefaultMaxCiphertext in
	// New). A larger cap would admit bytes it can never use.
	maxStorageBody = storageauth.DefaultMaxCiphertext + storageauth.DefaultMaxCiphertext/2
	// maxAnonBody is the largest body an anonymous request may send (the
	// register route's): each anonymous budget must admit one.
	maxAnonBody = max(api.MaxRegisterBody, api.MaxLoginBody, maxStorageBody, maxSmallBody)
)

// routeKind says how a route's deadlines are set.
type routeKind int

const (
	smallRoute    routeKind = iota
	uploadRoute             // the body may be an object: read deadline paced by bytes received
	downloadRoute           // the response may be an object: write deadline paced by bytes written
)

// route is what a route may take: its body cap and deadlines, and whether
// its handler authenticates (and so admits the body budget itself, by
// user) or is anonymous (admitted here, by client address).
type route struct {
	maxBody       int64
	kind          routeKind
	authenticates bool
}

var (
	anonRoute     = route{maxBody: maxSmallBody}
	authRoute     = route{maxBody: maxSmallBody, authenticates: true}
	registerRoute = route{maxBody: api.MaxRegisterBody}
	loginRoute    = route{maxBody: api.MaxLoginBody}
	storageRoute  = route{maxBody: maxStorageBody}
)

// limit applies r's limits before next reads a byte of the body: a
// Content-Length over the cap is refused with 413, the body is capped
// (http.MaxBytesReader) for requests without one, every body byte is
// charged to a budget ticket (in the context, paid back when next
// returns) as it arrives, and transfers are held to MinTransferRate.
func (s *Server) limit(rt route, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > rt.maxBody {
			writeRefusal(w, r, errTooLarge)
			return
		}
		t := &ticket{b: s.budget, declared: r.ContentLength}
		defer t.release()
		g := newGuardWriter(w, r, t)
		body := &meteredBody{ReadCloser: r.Body, t: t}
		s.pace(w, rt.kind, body, g)
		r.Body = http.MaxBytesReader(w, body, rt.maxBody)
		r = r.WithContext(withTicket(r.Context(), t))
		if !rt.authenticates {
			if err := admit(r, anonPrefix+requestAddrKey(r)); err != nil {
				writeRefusal(w, r, err)
				return
			}
		}
		next(g, r)
		g.finish()
	}
}

// setDeadlines gives every request the small-route deadlines, counted from
// now (its headers have just been read): ReadTimeout for its body and
// WriteTimeout for its response. Where the connection does not support
// deadlines (a test recorder), the request runs without.
func (s *Server) setDeadlines(w http.ResponseWriter) {
	now := time.Now()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(now.Add(s.cfg.ReadTimeout))
	_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
}

// pace holds transfers to MinTransferRate instead of fixed deadlines: an
// upload's read deadline starts ReadTimeout away and moves by the bytes
// received (its response then has WriteTimeout more), a download's write
// deadline starts WriteTimeout away and moves by the bytes written. A
// transfer that sends nothing, or trickles, is cut off after its grace;
// one that keeps the rate may take as long as its real size needs.
//
// Once a body has ended, net/http reads on in the background and takes a
// read timeout as the client gone, cancelling the request's context: so
// the read deadline then follows the write deadline, which bounds the
// rest of the request.
func (s *Server) pace(w http.ResponseWriter, k routeKind, body *meteredBody, g *guardWriter) {
	rc := http.NewResponseController(w)
	switch k {
	case uploadRoute:
		p := newPacer(func(d time.Time) {
			_ = rc.SetReadDeadline(d)
			_ = rc.SetWriteDeadline(d.Add(s.cfg.WriteTimeout))
		}, s.cfg.MinTransferRate, s.cfg.ReadTimeout)
		body.pace = p
		body.eof = func() { _ = rc.SetReadDeadline(p.deadline.Add(s.cfg.WriteTimeout)) }
	case downloadRoute:
		ended := false // the request body, read under ReadTimeout
		p := newPacer(func(d time.Time) {
			if ended {
				_ = rc.SetReadDeadline(d)
			}
			_ = rc.SetWriteDeadline(d)
		}, s.cfg.MinTransferRate, s.cfg.WriteTimeout)
		g.pace = p
		body.eof = func() {
			ended = true
			_ = rc.SetReadDeadline(p.deadline)
		}
	}
}
