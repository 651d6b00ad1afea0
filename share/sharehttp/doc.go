// Package sharehttp is share's HTTP binding: a [Handler] that serves a
// [share.Service] and a [Client] that implements [share.Transport] against
// it, both built from one route table ([Routes]), with the upload frame
// encoded and decoded by [EncodeUploadFrame] and [ReadUploadFrame].
// openapi.json beside this file describes the same routes, statuses and
// error codes; a test holds it against the table both ways.
//
// The Handler authenticates nothing itself: the caller supplies a
// function that returns the verified user acting in a request (identity's
// verifier plugs in there), and the Client authenticates through its
// *http.Client (identity's signing RoundTripper). Link routes are
// anonymous: the link proof in the body is their authorization. Options
// of the Handler bound what anonymous clients can take of a server
// exposed to the Internet: [LinkRate] rate-limits the link routes per
// client address and per link, [MaxDownloads] caps the downloads open at
// once per user and per address.
//
// Errors travel as {"error": code} with the status of share's code table
// and come back as a [*share.HTTPError] that errors.Is matches to share's
// sentinel. Request bodies are single JSON values under a cap with no
// unknown fields; response records are capped and validated before the
// client trusts them.
//
// The download route also honours one HTTP byte range (Range: bytes=…):
// 206 with its Content-Range, 416 past the end, 400 for more than one
// range or a malformed one (share/SPEC.md §8 gives the grammar, and
// testdata/range.json its vectors). [Client.DownloadRange] takes only the
// 206 its request must get.
//
// # Adding an operation
//
// After the [share.Service] method exists (and its [share.Transport] role
// method and [share.Local] forwarder beside it), all of the HTTP side is in
// routes.go: one [Route] entry in the table (method, path, auth, bodies,
// success status), one small serve function that reads the request and
// calls the Service, and one [Client] method that sends it. The Handler
// mounts every table entry, and the client takes method, path and status
// from the same entry; add the route to openapi.json too, or the test
// fails. A [share.Client] method that uses the operation is the only other
// file to touch.
package sharehttp
