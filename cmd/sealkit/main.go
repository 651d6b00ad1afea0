// Command sealkit encrypts and decrypts files with sealkit envelopes, in the
// manner of age, using only the public envelope API.
//
//	sealkit keygen [-pq] [-o file]
//	sealkit encrypt [-r recipient]... [-R recipients-file]... [-p] [-a] [-o out] [in]
//	sealkit decrypt [-i identity-file]... [-p] [-o out] [in]
//
// Keys are in the text form of envelope/SPEC.md §10: recipients
// "sealkit1…" (X25519), "sealkit-hybrid1…" (ML-KEM-768+X25519) and
// "sealkit-rsa1…", identities "SEALKIT-…SECRET-KEY-1…", one per line in
// files, with '#' comments. -p seals to a passphrase with Argon2id; the
// passphrase is read from the terminal when standard input is one, and
// otherwise from the environment variable SEALKIT_PASSPHRASE. -a writes
// ASCII armor; decrypt recognises armor by itself.
//
// Input and output stream in constant memory. With -o the output file
// appears only once everything succeeded; on standard output, decrypt may
// have written the authenticated part of a truncated or damaged file before
// it reports the error, so always check the exit status. Flags come before
// the input file name. The exit status is 0 on success, 1 on failure and 2
// for a usage error. Envelopes are sealed without associated data.
package main

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/sealkit/sealkit/envelope"
)

// passphraseEnv names the environment variable read for -p when standard
// input is not a terminal.
const passphraseEnv = "SEALKIT_PASSPHRASE"

const usage = `Usage:
  sealkit keygen [-pq] [-o file]
  sealkit encrypt [-r recipient]... [-R recipients-file]... [-p] [-a] [-o out] [in]
  sealkit decrypt [-i identity-file]... [-p] [-o out] [in]
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// command is one invocation's streams and environment.
type command struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// run is the whole command; main only binds it to the process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &command{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "keygen":
		err = c.keygen(args[1:])
	case "encrypt":
		err = c.encrypt(args[1:])
	case "decrypt":
		err = c.decrypt(args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q", args[0])
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sealkit: %v\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "sealkit: %v\n", err)
		return 1
	}
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (c *command) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sealkit "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > maxArgs {
		return usagef("unexpected arguments %q (flags go before the file name)", fs.Args()[maxArgs:])
	}
	return nil
}

func (c *command) keygen(args []string) error {
	fs := c.flags("keygen")
	pq := fs.Bool("pq", false, "generate an ML-KEM-768+X25519 (post-quantum hybrid) identity instead of X25519")
	out := fs.String("o", "", "write the identity to a new `file` (mode 0600) instead of standard output")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var secret, public string
	if *pq {
		id, err := envelope.GenerateHybridIdentity()
		if err != nil {
			return err
		}
		secret, public = id.SecretKeyString(), id.Recipient().String()
	} else {
		id, err := envelope.GenerateX25519Identity()
		if err != nil {
			return err
		}
		secret, public = id.SecretKeyString(), id.Recipient().String()
	}
	text := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), public, secret)
	if *out == "" {
		_, err := io.WriteString(c.stdout, text)
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err // an existing file is never overwritten
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Public key: %s\n", public)
	return nil
}

func (c *command) encrypt(args []string) error {
	fs := c.flags("encrypt")
	var rs, rfiles stringList
	fs.Var(&rs, "r", "encrypt to this `recipient` (repeatable)")
	fs.Var(&rfiles, "R", "encrypt to the recipients in this `file` (repeatable)")
	pass := fs.Bool("p", false, "encrypt with a passphrase (Argon2id)")
	armor := fs.Bool("a", false, "write ASCII armor")
	out := fs.String("o", "", "write to this `file` instead of standard output")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if *pass && len(rs)+len(rfiles) > 0 {
		return usagef("-p cannot be combined with -r or -R: a passphrase must be the only recipient")
	}
	if !*pass && len(rs)+len(rfiles) == 0 {
		return usagef("no recipients: give -r, -R or -p")
	}
	if !*armor && *out == "" && isTerminal(c.stdout) {
		return usagef("refusing to write binary output to a terminal: use -a or -o")
	}
	var recipients []envelope.Recipient
	for _, s := range rs {
		r, err := envelope.ParseRecipient(s)
		if err != nil {
			return fmt.Errorf("-r: %w", err)
		}
		recipients = append(recipients, r)
	}
	for _, name := range rfiles {
		got, err := readKeyFile(name, envelope.ParseRecipients)
		if err != nil {
			return fmt.Errorf("-R %s: %w", name, err)
		}
		recipients = append(recipients, got...)
	}
	if *pass {
		p, err := c.passphrase(true)
		if err != nil {
			return err
		}
		r, err := envelope.NewArgon2idRecipient(p)
		if err != nil {
			return err
		}
		recipients = append(recipients, r)
	}
	if err := envelope.CheckRecipients(recipients); err != nil {
		return err
	}
	in, err := c.input(fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	return c.output(*out, func(w io.Writer) error {
		var armorW *armorWriter
		if *armor {
			var err error
			if armorW, err = newArmorWriter(w); err != nil {
				return err
			}
			w = armorW
		}
		ew, err := envelope.NewWriter(w, nil, nil, recipients...)
		if err != nil {
			return err
		}
		if _, err := io.Copy(ew, in); err != nil {
			return err
		}
		if err := ew.Close(); err != nil {
			return err
		}
		if armorW != nil {
			return armorW.Close()
		}
		return nil
	})
}

func (c *command) decrypt(args []string) error {
	fs := c.flags("decrypt")
	var ifiles stringList
	fs.Var(&ifiles, "i", "decrypt with the identities in this `file` (repeatable)")
	pass := fs.Bool("p", false, "decrypt with a passphrase")
	out := fs.String("o", "", "write to this `file` instead of standard output")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if !*pass && len(ifiles) == 0 {
		return usagef("no identities: give -i or -p")
	}
	var ids []envelope.Identity
	for _, name := range ifiles {
		got, err := readKeyFile(name, envelope.ParseIdentities)
		if err != nil {
			return fmt.Errorf("-i %s: %w", name, err)
		}
		ids = append(ids, got...)
	}
	if *pass {
		p, err := c.passphrase(false)
		if err != nil {
			return err
		}
		id, err := envelope.NewPassphraseIdentity(p)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	in, err := c.input(fs.Arg(0))
	if err != nil {
		return err
	}
	defer in.Close()
	src := bufio.NewReaderSize(in, 4096)
	var r io.Reader = src
	if start, _ := src.Peek(len(armorBegin)); string(start) == armorBegin {
		r = newArmorReader(src)
	}
	return c.output(*out, func(w io.Writer) error {
		er, err := envelope.NewReader(r, nil, nil, ids...)
		if err != nil {
			return explain(err, *pass)
		}
		if _, err := io.Copy(w, er); err != nil {
			return explain(err, *pass)
		}
		return nil
	})
}

// explain adds what a user can do about an opening error.
func explain(err error, pass bool) error {
	var nm *envelope.NoIdentityMatchError
	switch {
	case errors.As(err, &nm) && pass:
		return fmt.Errorf("%w (wrong passphrase?)", err)
	case errors.Is(err, envelope.ErrCorrupt):
		return fmt.Errorf("the file is damaged, truncated or was tampered with: %w", err)
	}
	return err
}

func readKeyFile[T any](name string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}

// passphrase reads a passphrase from the terminal (twice when confirm is
// set) if standard input is one, and from SEALKIT_PASSPHRASE otherwise.
func (c *command) passphrase(confirm bool) (string, error) {
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		p := c.getenv(passphraseEnv)
		if p == "" {
			return "", fmt.Errorf("standard input is not a terminal: set %s to the passphrase", passphraseEnv)
		}
		return p, nil
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(c.stderr, prompt)
		defer fmt.Fprintln(c.stderr)
		return term.ReadPassword(int(f.Fd()))
	}
	p, err := read("Enter passphrase: ")
	if err != nil {
		return "", err
	}
	if len(p) == 0 {
		return "", errors.New("empty passphrase")
	}
	if confirm {
		again, err := read("Confirm passphrase: ")
		if err != nil {
			return "", err
		}
		if subtle.ConstantTimeCompare(p, again) != 1 {
			return "", errors.New("the passphrases do not match")
		}
	}
	return string(p), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *command) input(name string) (io.ReadCloser, error) {
	if name == "" || name == "-" {
		return io.NopCloser(c.stdin), nil
	}
	return os.Open(name)
}

// output runs write on standard output, or on a temporary file beside name
// that replaces name only if write succeeds, so that a failed decryption
// never leaves partial plaintext behind.
func (c *command) output(name string, write func(io.Writer) error) error {
	if name == "" || name == "-" {
		bw := bufio.NewWriter(c.stdout)
		if err := write(bw); err != nil {
			return err // what is still buffered is dropped
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".sealkit-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	bw := bufio.NewWriter(tmp)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
