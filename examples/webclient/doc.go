// Package webclient holds sealkit's browser client: sealkit.js, a WebCrypto
// implementation of the envelope format (envelope/SPEC.md); keystore.js and
// identity.js for the keystore and identity formats; vault.js, a client of
// the reference vault server (examples/vaultserver/API.md); and the page
// (index.html, app.js) the server serves at "/".
//
// The package has no Go API. Its tests show the specs are enough for a
// second implementation: interop_test.go runs the Node checker
// (check-vectors.mjs) over every golden vector file and opens what
// sealkit.js sealed with the Go envelope package, and e2e_test.go drives
// the page in headless Chromium (DevTools protocol over a pipe) against the
// server in process, exchanging files with the Go client both ways. They
// need node, Chromium and `npm ci` in this directory; without them they
// skip, saying so.
package webclient
