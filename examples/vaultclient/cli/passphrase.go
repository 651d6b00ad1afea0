package cli

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Passphrase rules at registration. No maintained, small Go strength
// estimator was available (the zxcvbn ports are unmaintained since 2019
// and ship megabytes of dictionaries), so the rule is simple and stated in
// full: at least minPassphraseChars Unicode code points, at least
// minDistinctChars different ones, at least two character classes, and not
// one of the commonest passphrases. It stops the worst choices; it does not
// measure strength. Login never applies it, so older accounts still open.
const (
	minPassphraseChars = 12
	minDistinctChars   = 5
)

// errWeakPassphrase is wrapped by every refusal of a new passphrase.
var errWeakPassphrase = errors.New("passphrase refused")

// passphraseAdvice ends every refusal: what to do instead.
const passphraseAdvice = "choose a longer one, for example four or five unrelated words separated by spaces"

// commonPassphrases are passphrases of at least minPassphraseChars that
// lead the public lists of leaked passwords, compared after
// normalizePassphrase. Shorter ones are refused by length already.
var commonPassphrases = map[string]bool{
	"123456789012": true, "1234567890123": true, "12345678901234": true,
	"123123123123": true, "123412341234": true, "098765432109": true,
	"password1234": true, "password12345": true, "password123456": true,
	"passwordpassword": true, "passw0rd1234": true, "p@ssw0rd1234": true,
	"p@ssword1234": true, "mypassword123": true, "qwertyuiop12": true,
	"qwertyuiop123": true, "qwerty123456": true, "qwertyqwerty": true,
	"qwertyuiopasdfghjkl": true, "1q2w3e4r5t6y": true, "1q2w3e4r5t6y7u8i": true,
	"1qaz2wsx3edc": true, "1qaz2wsx3edc4rfv": true, "asdfghjkl123": true,
	"zxcvbnm12345": true, "abc123abc123": true, "abcdefghijkl": true,
	"abcd1234abcd": true, "iloveyou1234": true, "iloveyouiloveyou": true,
	"letmein12345": true, "welcome12345": true, "welcome123456": true,
	"administrator": true, "admin1234567": true, "changeme1234": true,
	"trustno1trustno1": true, "football1234": true, "baseball1234": true,
	"sunshine1234": true, "princess1234": true, "superman1234": true,
	"monkey123456": true, "dragon123456": true, "correcthorsebatterystaple": true,
}

// normalizePassphrase folds case and drops white space, so that
// "Correct Horse Battery Staple" matches its list entry.
func normalizePassphrase(p string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, p)
}

// charClass sorts a code point into one of the classes the rule counts:
// lower-case letter, upper-case letter, other letter (scripts without
// case), digit, space, anything else (punctuation, symbols, marks).
func charClass(r rune) int {
	switch {
	case unicode.IsLower(r):
		return 0
	case unicode.IsUpper(r):
		return 1
	case unicode.IsLetter(r):
		return 2
	case unicode.IsDigit(r):
		return 3
	case unicode.IsSpace(r):
		return 4
	}
	return 5
}

// checkNewPassphrase applies the registration rule; the error says which
// part failed and what to do, never the passphrase.
func checkNewPassphrase(p string) error {
	if n := utf8.RuneCountInString(p); n < minPassphraseChars {
		return fmt.Errorf("%w: %d characters, at least %d are needed; %s",
			errWeakPassphrase, n, minPassphraseChars, passphraseAdvice)
	}
	distinct := map[rune]bool{}
	classes := map[int]bool{}
	for _, r := range p {
		distinct[r] = true
		classes[charClass(r)] = true
	}
	if len(distinct) < minDistinctChars {
		return fmt.Errorf("%w: only %d different characters, at least %d are needed; %s",
			errWeakPassphrase, len(distinct), minDistinctChars, passphraseAdvice)
	}
	if len(classes) < 2 {
		return fmt.Errorf("%w: it is all one kind of character (only letters, or only digits, ...); add spaces between words, digits or punctuation",
			errWeakPassphrase)
	}
	if commonPassphrases[normalizePassphrase(p)] {
		return fmt.Errorf("%w: it is one of the most common passphrases; %s", errWeakPassphrase, passphraseAdvice)
	}
	return nil
}

// samePassphrase compares a passphrase with its confirmation in constant
// time.
func samePassphrase(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
