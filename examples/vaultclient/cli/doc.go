// Package cli is the vaultclient command line: Run parses a command and
// runs it against the vault server through package client, keeping the
// server URL, the user name and a cached session token in a state
// directory. Keys are never stored locally: each command fetches the
// sealed records and opens them with the passphrase.
package cli
