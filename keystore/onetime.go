package keystore

import "crypto/rand"

// OneTimePassphraseBits is the entropy of GeneratePassphrase's output.
const OneTimePassphraseBits = 160

// GeneratePassphrase returns a random passphrase of 160 bits for the
// server-custody model: the server creates the account with it,
// returns it to the user once, and never stores it. It is 32 Crockford
// base32 characters in eight groups of four ("7N3Q-K2PW-…"), easy to read
// aloud and to type; at this entropy the KDF is a formality, not a defense.
func GeneratePassphrase() string {
	b := make([]byte, OneTimePassphraseBits/8)
	rand.Read(b)
	defer clear(b)
	return formatGroups(b)
}
