package server

import (
	"bytes"
	"errors"
	"maps"
	"net/http"

	"github.com/sealkit/sealkit/examples/vaultserver/api"
	"github.com/sealkit/sealkit/identity"
)

// sign signs next's answers with the response key (API.md, "Signed
// responses"). A payload route's 200 answer is streamed: its status and
// headers are signed as they are sent, without the body. Every other
// answer is buffered (at most maxSignedBody) and signed with its
// Content-Digest by the ResponseSigner. The writer next gets reaches the
// connection through http.ResponseController, so httplimit's deadlines
// and pacing work under it.
func (s *Server) sign(payload bool, next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &signingWriter{ResponseWriter: w, s: s, r: r, payload: payload}
		next.ServeHTTP(sw, r)
		sw.finish()
	}
}

// maxSignedBody caps a buffered answer, as the ResponseSigner does.
const maxSignedBody = 16 << 20

// signingWriter signs an answer: a payload route's 200 as WriteHeader
// sends it, any other buffered and signed whole by finish.
type signingWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	payload bool
	status  int
	buf     *bytes.Buffer // a buffered answer's body
	over    bool          // it went past maxSignedBody: answered as a 500
}

func (w *signingWriter) WriteHeader(code int) {
	if w.status != 0 || code < http.StatusOK {
		return
	}
	w.status = code
	if code != http.StatusOK || !w.payload {
		w.buf = new(bytes.Buffer)
		return
	}
	if err := w.s.signHead(w.r, w.Header()); err != nil {
		w.s.cfg.Logger.Error("signing a response", "err", err)
		code = http.StatusInternalServerError
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *signingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.buf == nil {
		return w.ResponseWriter.Write(p)
	}
	if w.buf.Len()+len(p) > maxSignedBody {
		w.over = true
		return 0, http.ErrContentLength
	}
	return w.buf.Write(p)
}

// finish sends a buffered answer through the ResponseSigner.
func (w *signingWriter) finish() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.buf == nil {
		return
	}
	h := w.Header().Clone()
	w.s.signer.Handler(http.HandlerFunc(func(bw http.ResponseWriter, _ *http.Request) {
		if w.over {
			w.Header().Del("Content-Length")
			w.s.cfg.Logger.Error("answer too large to sign", "path", w.r.URL.Path)
			writeError(bw, errTooLargeToSign)
			return
		}
		maps.Copy(bw.Header(), h)
		bw.WriteHeader(w.status)
		bw.Write(w.buf.Bytes())
	})).ServeHTTP(w.ResponseWriter, w.r)
}

// errTooLargeToSign is an answer past maxSignedBody (a 500).
var errTooLargeToSign = errors.New("vault: answer too large to sign")

// FlushError flushes a streamed answer; a buffered one is sent by finish.
func (w *signingWriter) FlushError() error {
	if w.buf != nil || w.status == 0 {
		return nil
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *signingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// signHead signs a streamed 200 answer's status and headers, and the
// request's signature if it had one.
func (s *Server) signHead(r *http.Request, h http.Header) error {
	comps := []string{"@status"}
	if h.Get("Content-Type") != "" {
		comps = append(comps, "content-type")
	}
	if r.Header.Get("Signature") != "" {
		comps = append(comps, "signature;req")
	}
	k := s.signer.Key
	resp := &http.Response{StatusCode: http.StatusOK, Header: h, Request: r}
	return identity.SignResponse(resp, k, identity.DefaultLabel, identity.SignatureParams{
		Components: comps, Created: s.cfg.Now(), Alg: k.Algorithm(), KeyID: k.KeyID(),
	})
}

// handleServerKey publishes the response key, for clients to pin.
func (s *Server) handleServerKey(w http.ResponseWriter, _ *http.Request) {
	k := s.signer.Key.Public()
	writeJSON(w, http.StatusOK, api.ServerKeyResponse{Alg: string(k.Algorithm()), KeyID: k.KeyID(), PublicKey: k.Bytes()})
}
