package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sealkit/sealkit/examples/vaultclient/client"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/keystore"
	"github.com/sealkit/sealkit/share"
	"golang.org/x/term"
)

// PassphraseEnv names the environment variable read for the passphrase
// before asking on standard input.
const PassphraseEnv = "VAULT_PASSPHRASE"

const usage = `usage: vaultclient [-state DIR] COMMAND [flags] [args]

commands:
  register -url URL -user NAME [-ca FILE] [-kdf argon2id|pbkdf2]
  login    [-url URL] [-user NAME] [-ca FILE]
  upload   [-share USER,...] FILE
  list
  received
  download [-o PATH] ID
  share    ID USER
  revoke   [-rotate] ID USER
  delete   ID
  storage
  link create [-ttl DURATION] [-max N] ID
  link open   [-o PATH] [-ca FILE] URL

The passphrase is read from $VAULT_PASSPHRASE, else asked on the terminal
without echo (twice at register), else read from the first line of standard
input when it is not a terminal. A new passphrase needs at least 12
characters of two kinds (letters, digits, spaces, ...), and not a common one.
`

// env is one invocation's surroundings.
type env struct {
	ctx    context.Context
	dir    string
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer
	// readPassword reads one passphrase from the terminal without echo. It
	// is set when stdin is a terminal; nil means read a line of stdin.
	readPassword func() ([]byte, error)
	// stderrTerminal says stderr is a terminal, where the progress bar is
	// redrawn in place; elsewhere (pipes, logs) progress is plain lines.
	stderrTerminal bool
	// kdf, if not nil, replaces the account KDF policy the state names.
	// Run never sets it; the package's tests do (export_test.go), so that
	// they do not spend a second of Argon2id per command.
	kdf *keystore.Policy
}

// Run runs one command and returns the process exit code: 0 on success,
// 1 on failure, 2 for a usage error. A stdin or stderr that is an *os.File
// on a terminal is used as one (passphrase without echo, progress bar).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: bufio.NewReader(stdin), stdout: stdout, stderr: stderr}
	if fd, ok := terminalFd(stdin); ok {
		e.readPassword = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	_, e.stderrTerminal = terminalFd(stderr)
	return e.run(args)
}

// terminalFd returns the file descriptor of v if it is a terminal.
func terminalFd(v any) (int, bool) {
	f, ok := v.(*os.File)
	if !ok || f == nil {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// run parses the global flags and runs the command.
func (e *env) run(args []string) int {
	stderr := e.stderr
	fs := flag.NewFlagSet("vaultclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	dir := fs.String("state", defaultStateDir(), "state directory (server URL, user name, cached token)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	e.dir = *dir
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	var err error
	switch cmd {
	case "register":
		err = e.register(rest)
	case "login":
		err = e.login(rest)
	case "upload":
		err = e.upload(rest)
	case "list":
		err = e.list(rest, false)
	case "received":
		err = e.list(rest, true)
	case "download":
		err = e.download(rest)
	case "share":
		err = e.share(rest)
	case "revoke":
		err = e.revoke(rest)
	case "delete":
		err = e.delete(rest)
	case "storage":
		err = e.storage(rest)
	case "link":
		err = e.link(rest)
	default:
		err = errUsage
	}
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "vaultclient:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func defaultStateDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "sealkit-vault")
	}
	return ".sealkit-vault"
}

// passphrase returns $VAULT_PASSPHRASE, else asks for it on the terminal
// without echo, else reads the first line of stdin.
func (e *env) passphrase() (string, error) {
	if p := os.Getenv(PassphraseEnv); p != "" {
		return p, nil
	}
	return e.ask("passphrase: ")
}

// ask prints prompt on stderr and reads one passphrase: from the terminal
// without echo when stdin is one, else a line of stdin.
func (e *env) ask(prompt string) (string, error) {
	fmt.Fprint(e.stderr, prompt)
	if e.readPassword != nil {
		b, err := e.readPassword()
		fmt.Fprintln(e.stderr) // the typed newline was not echoed either
		if err != nil {
			return "", fmt.Errorf("reading the passphrase from the terminal: %w", err)
		}
		p := string(b)
		clear(b)
		return p, nil
	}
	line, err := e.stdin.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no passphrase: set $%s or write it on standard input", PassphraseEnv)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// newPassphrase gets the passphrase of a new account and refuses a weak
// one (checkNewPassphrase). Typed on a terminal, it is asked twice and a
// mismatch is refused; from $VAULT_PASSPHRASE or a pipe it is read once, as
// nothing was typed that could hold a typo.
func (e *env) newPassphrase() (string, error) {
	if p := os.Getenv(PassphraseEnv); p != "" {
		if err := checkNewPassphrase(p); err != nil {
			return "", fmt.Errorf("$%s: %w", PassphraseEnv, err)
		}
		return p, nil
	}
	p, err := e.ask("new passphrase: ")
	if err != nil {
		return "", err
	}
	if err := checkNewPassphrase(p); err != nil {
		return "", err
	}
	if e.readPassword == nil {
		return p, nil
	}
	again, err := e.ask("repeat the passphrase: ")
	if err != nil {
		return "", err
	}
	if !samePassphrase(p, again) {
		return "", errors.New("the two passphrases differ; nothing was registered: run register again")
	}
	return p, nil
}

// options builds the client options from the state; kdf, if not nil,
// replaces the KDF policy the state names.
func (st *state) options(kdf *keystore.Policy) (client.Options, error) {
	opts := client.Options{URL: st.URL}
	switch st.KDF {
	case "", "argon2id":
		opts.Policy = keystore.DefaultPolicy()
	case "pbkdf2":
		opts.Policy = keystore.BrowserPolicy()
	default:
		return opts, fmt.Errorf("unknown KDF %q", st.KDF)
	}
	if kdf != nil {
		opts.Policy = kdf
	}
	if st.ServerKey != nil {
		k, err := identity.NewEd25519PublicKey(st.ServerKey)
		if err != nil {
			return opts, fmt.Errorf("pinned server key: %w", err)
		}
		opts.ResponseKey = k
	}
	hc, err := httpClient(st.CAFile)
	opts.HTTPClient = hc
	return opts, err
}

// httpClient trusts the certificate in caFile (the server's self-signed
// one) if given, else the system roots.
func httpClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return http.DefaultClient, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	return &http.Client{Transport: t}, nil
}

// session logs in: with the cached token if it is still valid, else with
// the passphrase's auth key, and caches the new token.
func (e *env) session() (*client.Session, error) {
	st, err := loadState(e.dir)
	if err != nil {
		return nil, err
	}
	if st.URL == "" || st.User == "" {
		return nil, errors.New("not registered: run register or login first")
	}
	opts, err := st.options(e.kdf)
	if err != nil {
		return nil, err
	}
	pass, err := e.passphrase()
	if err != nil {
		return nil, err
	}
	if st.Token != "" && time.Until(st.TokenExpires) > 30*time.Second {
		s, err := client.Resume(e.ctx, opts, st.User, pass, st.Token)
		if err == nil {
			return s, nil
		}
		if !client.IsStatus(err, http.StatusUnauthorized) {
			return nil, err
		}
	}
	s, err := client.Login(e.ctx, opts, st.User, pass)
	if err != nil {
		return nil, err
	}
	st.Token, st.TokenExpires = s.Token()
	st.ServerKey = s.ResponseKey().Bytes()
	if err := st.save(e.dir); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (e *env) register(args []string) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	url := fs.String("url", "", "server URL, e.g. https://127.0.0.1:8443")
	user := fs.String("user", "", "user name")
	ca := fs.String("ca", "", "PEM file of the server certificate to trust")
	kdf := fs.String("kdf", "argon2id", "passphrase KDF: argon2id, or pbkdf2 for accounts a browser opens too")
	if err := fs.Parse(args); err != nil || *url == "" || *user == "" || fs.NArg() != 0 {
		return errUsage
	}
	st := &state{URL: *url, User: *user, CAFile: absPath(*ca), KDF: *kdf}
	opts, err := st.options(e.kdf)
	if err != nil {
		return err
	}
	pass, err := e.newPassphrase()
	if err != nil {
		return err
	}
	s, rk, err := client.Register(e.ctx, opts, *user, pass)
	if err != nil {
		return err
	}
	defer s.Close()
	st.Token, st.TokenExpires = s.Token()
	st.ServerKey = s.ResponseKey().Bytes()
	if err := st.save(e.dir); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "registered %s at %s\n", *user, *url)
	fmt.Fprintf(e.stdout, "recovery key (write it down; it is shown once and never stored):\n  %s\n", rk.Phrase())
	rk.Destroy()
	return nil
}

func (e *env) login(args []string) error {
	st, err := loadState(e.dir)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	old := st.URL
	fs.StringVar(&st.URL, "url", st.URL, "server URL")
	fs.StringVar(&st.User, "user", st.User, "user name")
	ca := fs.String("ca", st.CAFile, "PEM file of the server certificate to trust")
	if err := fs.Parse(args); err != nil || st.URL == "" || st.User == "" || fs.NArg() != 0 {
		return errUsage
	}
	if st.URL != old {
		st.ServerKey = nil // another server: pin its key afresh
	}
	st.CAFile = absPath(*ca)
	st.Token = ""
	if err := st.save(e.dir); err != nil {
		return err
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	_, exp := s.Token()
	fmt.Fprintf(e.stdout, "logged in as %s; token valid until %s\n", s.User(), exp.Local().Format(time.TimeOnly))
	return nil
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func (e *env) upload(args []string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	shareWith := fs.String("share", "", "comma-separated users to share with")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errUsage
	}
	recipients, err := parseRecipients(*shareWith)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	name := filepath.Base(fs.Arg(0))
	var update func(int64)
	var p progress
	if fi.Size() >= progressThreshold {
		p = newProgress(e.stderr, e.stderrTerminal, name, fi.Size())
		update = p.update
	}
	it, err := s.Upload(e.ctx, name, f, fi.Size(), update, recipients...)
	if p != nil {
		p.done()
	}
	var unknown *client.UnknownRecipientsError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("nothing uploaded: no such user to share with: %s (check the names, or upload without them)",
			strings.Join(unknown.Users, ", "))
	case errors.Is(err, share.ErrSelfShare):
		return fmt.Errorf("nothing uploaded: %w; leave your own name out of -share", err)
	case it == nil:
		return err
	}
	// Stored: say so with the ID whatever happened to the shares, so that
	// nobody uploads it again.
	fmt.Fprintf(e.stdout, "uploaded %s as %s (%d bytes stored)\n", name, it.ID, it.Size)
	var se *client.ShareError
	if errors.As(err, &se) {
		if len(se.Shared) > 0 {
			fmt.Fprintf(e.stdout, "shared with %s\n", strings.Join(se.Shared, ", "))
		}
		for i, u := range se.Failed {
			fmt.Fprintf(e.stderr, "vaultclient: not shared with %s: %v\n  retry with: vaultclient share %s %s\n",
				u, se.Errs[i], it.ID, u)
		}
		return fmt.Errorf("%s is stored as %s (do not upload it again) but not shared with %s",
			name, it.ID, strings.Join(se.Failed, ", "))
	}
	if err != nil {
		return err
	}
	if len(recipients) > 0 {
		fmt.Fprintf(e.stdout, "shared with %s\n", strings.Join(recipients, ", "))
	}
	return nil
}

// parseRecipients splits the -share list, trimming spaces and dropping
// repeats (the file is shared once with each, and reported once); an empty
// name ("a,,b" or a trailing comma) is refused rather than guessed at.
func parseRecipients(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	var out []string
	for _, r := range strings.Split(list, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			return nil, fmt.Errorf("-share %q: empty user name", list)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (e *env) list(args []string, received bool) error {
	if len(args) != 0 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	var files []client.File
	if received {
		files, err = s.Received(e.ctx)
	} else {
		files, err = s.List(e.ctx)
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSIZE\tOWNER\tCREATED")
	for _, f := range files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", f.ID, f.Name, f.Size, f.Owner, f.Created.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func (e *env) download(args []string) error {
	fs := flag.NewFlagSet("download", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("o", "", "output file (default: the file's name, in the current directory; - for stdout)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	id := fs.Arg(0)
	return e.writeOut(*out, id, func(w io.Writer) (string, error) {
		m, err := s.Download(e.ctx, id, w)
		if err != nil || m == nil {
			return "", err
		}
		return m.Name, nil
	})
}

// writeOut decrypts into a temporary file beside the destination and
// renames it into place only once everything was authenticated, so a
// failure leaves no partial plaintext file. out "-" streams to stdout.
func (e *env) writeOut(out, fallback string, fetch func(io.Writer) (string, error)) error {
	if out == "-" {
		_, err := fetch(e.stdout)
		return err
	}
	dir := "."
	if out != "" {
		dir = filepath.Dir(out)
	}
	tmp, err := os.CreateTemp(dir, ".vault-download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	name, err := fetch(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if out == "" {
		out = safeName(name, fallback)
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s exists; choose another name with -o", out)
		}
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", out)
	return nil
}

// safeName keeps only the last element of a name someone else chose.
func safeName(name, fallback string) string {
	name = filepath.Base(filepath.Clean("/" + strings.ReplaceAll(name, `\`, "/")))
	if name == "/" || name == "." || strings.HasPrefix(name, ".") {
		return fallback
	}
	return name
}

func (e *env) share(args []string) error {
	if len(args) != 2 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.ShareWith(e.ctx, args[0], args[1]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "shared %s with %s\n", args[0], args[1])
	return nil
}

func (e *env) revoke(args []string) error {
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rotate := fs.Bool("rotate", false, "re-seal the file under a new key for the remaining recipients")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Revoke(e.ctx, fs.Arg(0), fs.Arg(1), *rotate); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked %s from %s\n", fs.Arg(1), fs.Arg(0))
	return nil
}

func (e *env) delete(args []string) error {
	if len(args) != 1 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Delete(e.ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted %s\n", args[0])
	return nil
}

func (e *env) storage(args []string) error {
	if len(args) != 0 {
		return errUsage
	}
	s, err := e.session()
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.Storage(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d files, %d of %d bytes (%.1f%%); largest file %d bytes\n",
		u.FileCount, u.UsedBytes, u.QuotaBytes, u.PercentageUsed, u.MaxObjectBytes)
	return nil
}

func (e *env) link(args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("link create", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		ttl := fs.Duration("ttl", 7*24*time.Hour, "how long the link works")
		maxDl := fs.Int("max", 10, "how many downloads it allows")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return errUsage
		}
		s, err := e.session()
		if err != nil {
			return err
		}
		defer s.Close()
		u, err := s.CreateLink(e.ctx, fs.Arg(0), *ttl, *maxDl)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, u)
		return nil
	case "open":
		fs := flag.NewFlagSet("link open", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		out := fs.String("o", "", "output file (default: the file's name; - for stdout)")
		ca := fs.String("ca", "", "PEM file of the server certificate to trust")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return errUsage
		}
		caFile := *ca
		if caFile == "" {
			if st, err := loadState(e.dir); err == nil {
				caFile = st.CAFile
			}
		}
		hc, err := httpClient(caFile)
		if err != nil {
			return err
		}
		return e.writeOut(*out, "download", func(w io.Writer) (string, error) {
			m, err := client.OpenLink(e.ctx, hc, fs.Arg(0), w)
			if err != nil || m == nil {
				return "", err
			}
			return m.Name, nil
		})
	}
	return errUsage
}
