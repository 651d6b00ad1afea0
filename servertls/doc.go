// Package servertls gives a sealkit server its TLS configuration: a
// self-signed certificate made at start ([SelfSigned]), for development
// and for clients that pin it, or a certificate and key read from files
// ([Load]) and read again when they change, so that a renewed certificate
// takes effect without a restart. Both configurations require TLS 1.3: a
// sealkit server has no older clients to serve.
package servertls
