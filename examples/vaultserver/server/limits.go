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
)

// routeKind says how a route's deadlines are set.
type routeKind int

const (
	smallRoute    routeKind = iota
	uploadRoute             // the body may be an object: read deadline by Content-Length
	downloadRoute           // the response may be an object: write deadline by MaxObjectSize
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
	storageRoute  = route{maxBody: storageauth.MaxRecordBytes}
)

// limit applies r's limits before next reads a byte of the body: a
// Content-Length over the cap is refused with 413, the body is capped
// (http.MaxBytesReader) for requests without one, its deadlines are set,
// and a budget ticket for its size rides in the context, returned when
// next returns.
func (s *Server) limit(rt route, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > rt.maxBody {
			writeRefusal(w, r, errTooLarge)
			return
		}
		s.transferDeadlines(w, r, rt.kind)
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody)
		t := &ticket{b: s.budget, n: r.ContentLength}
		if t.n < 0 {
			t.n = rt.maxBody // no declared length: it may grow to the cap
		}
		defer t.release()
		r = r.WithContext(withTicket(r.Context(), t))
		if !rt.authenticates {
			if err := admit(r, "addr:"+requestAddrKey(r)); err != nil {
				writeRefusal(w, r, err)
				return
			}
		}
		next(w, r)
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

// transferDeadlines stretches the deadlines of uploads and downloads by
// their size at MinTransferRate.
func (s *Server) transferDeadlines(w http.ResponseWriter, r *http.Request, k routeKind) {
	now := time.Now()
	rc := http.NewResponseController(w)
	switch k {
	case uploadRoute:
		n := r.ContentLength
		if n < 0 {
			n = s.cfg.maxUploadBody()
		}
		read := s.cfg.ReadTimeout + s.atRate(n)
		_ = rc.SetReadDeadline(now.Add(read))
		_ = rc.SetWriteDeadline(now.Add(read + s.cfg.WriteTimeout))
	case downloadRoute:
		_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteTimeout + s.atRate(s.cfg.MaxObjectSize)))
	}
}

// atRate is how long n bytes take at MinTransferRate.
func (s *Server) atRate(n int64) time.Duration {
	return time.Duration(float64(n) / float64(s.cfg.MinTransferRate) * float64(time.Second))
}
