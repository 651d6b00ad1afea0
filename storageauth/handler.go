package storageauth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTP header fields of a retrieve proof (SPEC.md §6).
const (
	HeaderProofTimestamp = "Storageauth-Timestamp"
	HeaderProofSignature = "Storageauth-Signature"
)

// Error codes in an error response body {"error": code, "message": text}.
const (
	codeMalformed        = "malformed"
	codeTooLarge         = "too_large"
	codeInvalidSignature = "invalid_signature"
	codeConflict         = "conflict"
	codeNotFound         = "not_found"
	codeRateLimited      = "rate_limited"
	codeFull             = "full"
	codeInternal         = "internal"
)

// ServeHTTP serves one slot per path: PUT /{id} stores the record in the
// body, GET /{id} returns the stored record. Mount it under a prefix with
// http.StripPrefix. Status codes: 204 stored, 200 retrieved, 400 malformed,
// 403 invalid signature or proof, 404 not found, 409 conflict, 413 too
// large, 429 and 507 for a new slot AllowCreate refused, 405 other methods;
// error bodies are {"error","message"} JSON.
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
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
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

// writeError maps err to a status and a code. Messages of our own sentinels
// are non-secret by construction; anything else (a backend's error) is
// reported as "internal" without its text.
func writeError(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusInternalServerError, codeInternal, "internal error"
	switch {
	case errors.Is(err, ErrTooLarge):
		status, code, msg = http.StatusRequestEntityTooLarge, codeTooLarge, err.Error()
	case errors.Is(err, ErrMalformed):
		status, code, msg = http.StatusBadRequest, codeMalformed, err.Error()
	case errors.Is(err, ErrInvalidSignature):
		status, code, msg = http.StatusForbidden, codeInvalidSignature, err.Error()
	case errors.Is(err, ErrConflict):
		status, code, msg = http.StatusConflict, codeConflict, err.Error()
	case errors.Is(err, ErrNotFound):
		status, code, msg = http.StatusNotFound, codeNotFound, err.Error()
	case errors.Is(err, ErrRateLimited):
		status, code, msg = http.StatusTooManyRequests, codeRateLimited, ErrRateLimited.Error()
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			w.Header().Set("Retry-After", strconv.Itoa(int(ra.RetryAfter()/time.Second)+1))
		}
	case errors.Is(err, ErrFull):
		status, code, msg = http.StatusInsufficientStorage, codeFull, ErrFull.Error()
	}
	body, _ := json.Marshal(map[string]string{"error": code, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// errorForCode maps an error response's code back to a sentinel.
func errorForCode(code string) error {
	switch code {
	case codeMalformed:
		return ErrMalformed
	case codeTooLarge:
		return ErrTooLarge
	case codeInvalidSignature:
		return ErrInvalidSignature
	case codeConflict:
		return ErrConflict
	case codeNotFound:
		return ErrNotFound
	case codeRateLimited:
		return ErrRateLimited
	case codeFull:
		return ErrFull
	}
	return nil
}
