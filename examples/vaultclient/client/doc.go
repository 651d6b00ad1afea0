// Package client is the Go client of the reference vault server
// (examples/vaultserver): registration and login against the server's
// keystore records, then every file flow through share.Client over
// sharehttp.Client, with each request signed by identity.Transport.
//
// The passphrase never leaves the process: it unlocks the keystore
// account record the server hands back, which opens the user's sealed
// Ed25519 signing key and MLKEM768-X25519 encryption key. The encryption
// key also serves as the user's KEK (share.Client.KEK): the DEKs of the
// user's own items are wrapped to it, so only this user's passphrase opens
// them.
package client
