package storageauth

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sealkit/sealkit/internal/httpwire"
)

// HTTP header fields of a retrieve proof (SPEC.md §6).
const (
	HeaderProofTimestamp = "Storageauth-Timestamp"
	HeaderProofSignature = "Storageauth-Signature"
)

// wire is storageauth's code table on the one HTTP convention
// (internal/httpwire): the wire code and status of each sentinel, for the
// handler's answers and the client's errors. Any other error is "internal"
// (500) and its text is not sent.
var wire = httpwire.Convention{
	Package: "storageauth",
	Codes: []httpwire.Code{
		{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Err: ErrTooLarge},
		{Code: "malformed", Status: http.StatusBadRequest, Err: ErrMalformed},
		{Code: "invalid_signature", Status: http.StatusForbidden, Err: ErrInvalidSignature},
		{Code: "conflict", Status: http.StatusConflict, Err: ErrConflict},
		{Code: "not_found", Status: http.StatusNotFound, Err: ErrNotFound},
		{Code: "rate_limited", Status: http.StatusTooManyRequests, Err: ErrRateLimited},
		{Code: "full", Status: http.StatusInsufficientStorage, Err: ErrFull},
		{Code: "method_not_allowed", Status: http.StatusMethodNotAllowed, Err: errMethod},
	},
	TooLarge: ErrTooLarge,
	Invalid:  ErrMalformed,
}

// errMethod is the handler's answer to a method other than GET and PUT.
var errMethod = errors.New("storageauth: method not allowed")

// ServeHTTP serves one slot per path: PUT /{id} stores the record in the
// body, GET /{id} returns the stored record. Mount it under a prefix with
// http.StripPrefix. Status codes: 204 stored, 200 retrieved, 400 malformed,
// 403 invalid signature or proof, 404 not found, 409 conflict, 413 too
// large, 429 and 507 for a new slot AllowCreate refused, 405 other methods;
// error bodies are {"error": code} JSON (SPEC.md §6).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/")
	if id == "" || strings.Contains(id, "/") {
		writeError(w, ErrNotFound)
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.servePut(w, r, id)
	case http.MethodGet:
		s.serveGet(w, r, id)
	default:
		w.Header().Set("Allow", "GET, PUT")
		writeError(w, errMethod)
	}
}

func (s *Server) servePut(w http.ResponseWriter, r *http.Request, id string) {
	limit := s.maxBody()
	tooLarge := &wrapped{"body longer than " + strconv.Itoa(limit) + " bytes", ErrTooLarge}
	if r.ContentLength > int64(limit) {
		writeError(w, tooLarge)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, tooLarge)
			return
		}
		writeError(w, malformed("reading the body failed"))
		return
	}
	rec, err := ParseRecord(data)
	if err != nil {
		writeError(w, err)
		return
	}
	if rec.ID != id {
		writeError(w, malformed("the body's slot ID differs from the path's"))
		return
	}
	if err := s.Put(r.Context(), rec); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, id string) {
	var proof *RetrieveProof
	ts, sig := r.Header.Get(HeaderProofTimestamp), r.Header.Get(HeaderProofSignature)
	if ts != "" || sig != "" {
		t, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || t < 0 {
			writeError(w, malformed("retrieve proof timestamp is not a Unix time in seconds"))
			return
		}
		if len(sig) > b64.EncodedLen(SignatureSize) {
			writeError(w, malformed("retrieve proof signature must be 64 bytes"))
			return
		}
		b, err := b64.DecodeString(sig)
		if err != nil || len(b) != SignatureSize {
			writeError(w, malformed("retrieve proof signature must be 64 bytes of base64url"))
			return
		}
		proof = &RetrieveProof{Timestamp: t, Signature: b}
	}
	rec, err := s.Get(r.Context(), id, proof)
	if err != nil {
		writeError(w, err)
		return
	}
	body, err := rec.MarshalJSON()
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

// writeError answers with err's code and status from the code table; the
// text of err is never sent.
func writeError(w http.ResponseWriter, err error) { wire.WriteError(w, err) }
