package sharehttp

import (
	"net/url"
	"strings"
)

// Auth says who may call a route.
type Auth int

const (
	// AuthSigned routes act as the verified user the Handler's principal
	// function returns; without one they answer unauthenticated (401).
	AuthSigned Auth = iota + 1
	// AuthLink routes are anonymous: whoever knows the link ID may ask,
	// and the link proof in the body is what authorizes a download.
	AuthLink
)

// Kind is the shape of a request or response body.
type Kind int

const (
	// NoBody: no request body.
	NoBody Kind = iota
	// JSON: one JSON value of the Body's Schema (application/json).
	JSON
	// JSONList: a JSON array of the Body's Schema (application/json).
	JSONList
	// Frame: uint32be(len(record)) || record || payload, the record a JSON
	// value of the Body's Schema (application/octet-stream).
	Frame
	// Stream: ciphertext bytes (application/octet-stream).
	Stream
)

// Body is a request or response body: its kind and, for JSON, lists and
// frames, the name of the record type (a share type, or a wire type of
// this package; the schema's name in openapi.json).
type Body struct {
	Kind   Kind
	Schema string // "" for [NoBody] and [Stream]
}

// Route is one operation of share's HTTP API. The [Handler] serves it and
// the [Client] calls it from the same entry.
type Route struct {
	Name     string   // operationId in openapi.json; the Service method, lower-cased
	Method   string   // HTTP method
	Path     string   // http.ServeMux path pattern, e.g. /v1/items/{id}
	Query    []string // query parameters the route reads
	Auth     Auth     // how the caller must authenticate
	Request  Body
	Response Body
	Status   int // status of a successful answer
	// Ranges: the route honours a Range header (Range, If-Range) and
	// answers one range with 206, or 416 past the end.
	Ranges bool

	serve func(*call) error
}

// Routes returns share's HTTP API, one entry per operation.
func Routes() []Route {
	out := make([]Route, len(table))
	for i, r := range table {
		out[i] = *r
		out[i].Query = append([]string(nil), r.Query...)
		out[i].serve = nil
	}
	return out
}

// url returns base + the route's path with its {wildcards} replaced, in
// order, by args (path-escaped). A count that does not match the pattern
// is a bug in this package and panics.
func (rt *Route) url(base string, args ...string) string {
	var b strings.Builder
	b.WriteString(base)
	rest := rt.Path
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest, '}')
		b.WriteString(rest[:i])
		if len(args) == 0 {
			panic("sharehttp: too few path arguments for " + rt.Path)
		}
		b.WriteString(url.PathEscape(args[0]))
		args = args[1:]
		rest = rest[j+1:]
	}
	if len(args) != 0 {
		panic("sharehttp: too many path arguments for " + rt.Path)
	}
	return b.String()
}
