// Package webclient holds sealkit's browser client: sealkit.js, a WebCrypto
// implementation of the envelope format (envelope/SPEC.md), and
// check-vectors.mjs, a Node script that checks the Go package's golden
// vectors with it and seals fresh envelopes.
//
// The package has no Go API. Its test, interop_test.go, runs the Node
// checker and opens what sealkit.js sealed with the Go envelope package, so
// the spec is shown to be enough for a second implementation in both
// directions. It needs node and `npm ci` in this directory; without them it
// skips.
package webclient
