// Command vaultserver is the reference zero-knowledge vault server: HTTPS
// with a self-signed certificate made at start (or -cert and -key, read
// again when renewed), embedded SQLite by default (PostgreSQL with
// -postgres or $SEALKIT_POSTGRES_DSN), and graceful shutdown on
// SIGINT/SIGTERM. Its HTTP API is in API.md; the handler is package server.
//
//	go run ./examples/vaultserver -db /tmp/vault.db -cert-out /tmp/vault.pem
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sealkit/sealkit/account"
	"github.com/sealkit/sealkit/backend/postgres"
	"github.com/sealkit/sealkit/examples/vaultserver/server"
	"github.com/sealkit/sealkit/httplimit"
	"github.com/sealkit/sealkit/identity"
	"github.com/sealkit/sealkit/servertls"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vaultserver:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8443", "listen address")
	dbPath := flag.String("db", "vault.db", "SQLite database file")
	dsn := flag.String("postgres", os.Getenv(postgres.DSNEnv), "PostgreSQL DSN (default $"+postgres.DSNEnv+"); overrides -db")
	static := flag.String("static", "examples/webclient", "directory served at / (\"\" for none)")
	insecure := flag.Bool("insecure-http", false, "plain HTTP, for loopback tests and development only")
	pepperFile := flag.String("pepper-file", "", "file holding the login pepper (created if missing; default <db>.pepper)")
	respKeyFile := flag.String("response-key-file", "", "file holding the response-signing key's seed (created if missing; default <db>.response-key)")
	certOut := flag.String("cert-out", "vault-cert.pem", "where to write the self-signed certificate clients should trust")
	certFile := flag.String("cert", "", "PEM certificate chain to serve instead of a self-signed one (re-read when it changes; needs -key)")
	keyFile := flag.String("key", "", "PEM private key of -cert")
	hosts := flag.String("hosts", "localhost,127.0.0.1,::1", "names and addresses in the self-signed certificate")
	var cfg server.Config
	l := &cfg.Limits
	flag.Int64Var(&cfg.Quota, "quota", server.DefaultQuota, "storage per user in bytes")
	flag.Int64Var(&cfg.MaxObjectSize, "max-object", server.DefaultMaxObjectSize, "largest file in bytes")
	flag.IntVar(&cfg.MaxItems, "max-items", server.DefaultMaxItems, "files each user may own")
	flag.Int64Var(&cfg.MaxSlots, "max-slots", server.DefaultMaxSlots, "storage-authorisation slots in all")
	flag.IntVar(&cfg.MaxUsers, "max-users", account.DefaultMaxUsers, "accounts registered in all")
	flag.IntVar(&l.MaxConnsPerAddr, "max-conns-per-addr", httplimit.DefaultMaxConnsPerAddr, "open connections per client address (IPv6: per /64)")
	flag.Int64Var(&l.MaxInflightBytes, "max-inflight", 0, "request body bytes held at once in all (0: the larger of 512 MiB and twice -max-inflight-per-user)")
	flag.Int64Var(&l.MaxInflightBytesPerUser, "max-inflight-per-user", 0, "request body bytes held at once per user (0: twice the largest upload)")
	flag.Int64Var(&l.MaxAnonInflightBytes, "max-anon-inflight", httplimit.DefaultMaxAnonInflightBytes, "anonymous request body bytes held at once in all, apart from users'")
	flag.Int64Var(&l.MaxAnonInflightBytesPerAddr, "max-anon-inflight-per-addr", httplimit.DefaultMaxAnonInflightBytesPerAddr, "anonymous request body bytes held at once per client address")
	flag.IntVar(&l.MaxRequestsPerAddr, "max-requests-per-addr", httplimit.DefaultMaxRequestsPerAddr, "requests in flight per client address (HTTP/2 carries many on a connection)")
	flag.IntVar(&cfg.MaxDownloadsPerUser, "max-downloads-per-user", server.DefaultMaxDownloadsPerUser, "downloads open at once per user (link downloads: per client address)")
	flag.DurationVar(&l.ReadTimeout, "read-timeout", httplimit.DefaultReadTimeout, "time a request may take to send its body (uploads: as long as they keep -min-rate)")
	flag.Int64Var(&l.MinTransferRate, "min-rate", httplimit.DefaultMinTransferRate, "slowest upload or download kept, in bytes per second; one that stalls for -read-timeout (downloads: 30 s) or falls that far behind is cut off")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var stores *server.Stores
	var err error
	if *dsn != "" {
		stores, err = server.OpenPostgres(ctx, *dsn)
	} else {
		stores, err = server.OpenSQLite(ctx, *dbPath)
	}
	if err != nil {
		return err
	}
	defer stores.Close()
	pepper, err := loadSecret(cmp.Or(*pepperFile, *dbPath+".pepper"))
	if err != nil {
		return err
	}
	seed, err := loadSecret(cmp.Or(*respKeyFile, *dbPath+".response-key"))
	if err != nil {
		return err
	}
	respKey, err := identity.NewEd25519PrivateKey(seed[:32])
	if err != nil {
		return err
	}
	log.Info("response key", "key_id", respKey.KeyID())
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if a, _ := ln.Addr().(*net.TCPAddr); *insecure && (a == nil || !a.IP.IsLoopback()) {
		return errors.New("-insecure-http only listens on a loopback address")
	}
	if *static != "" {
		if _, err := os.Stat(*static); err != nil {
			log.Warn("static directory missing; serving none", "dir", *static)
			*static = ""
		}
	}
	cfg.Stores, cfg.Pepper, cfg.ResponseKey, cfg.StaticDir, cfg.Logger = stores, pepper, respKey, *static, log
	if cfg.InsecureLoopback = *insecure; *insecure {
		// What clients sign: without TLS the Verifier cannot tell the
		// request's Host is genuine. With TLS the Host is used.
		cfg.Authority = ln.Addr().String()
	}
	h, err := server.New(cfg)
	if err != nil {
		return err
	}
	scheme := "https"
	var tlsConfig *tls.Config
	switch {
	case *insecure && *certFile+*keyFile != "":
		return errors.New("-insecure-http serves no certificate: drop -cert and -key")
	case *insecure:
		scheme = "http"
	case *certFile != "" || *keyFile != "":
		if tlsConfig, err = servertls.Load(*certFile, *keyFile); err != nil {
			return err
		}
		log.Info("certificate", "file", *certFile)
	default:
		tc, certPEM, fp, err := servertls.SelfSigned(strings.Split(*hosts, ","), 30*24*time.Hour)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*certOut, certPEM, 0o644); err != nil {
			return err
		}
		tlsConfig = tc
		log.Info("self-signed certificate", "file", *certOut, "sha256", fp)
	}
	log.Info("serving", "url", scheme+"://"+ln.Addr().String())
	err = h.Serve(ctx, ln, tlsConfig)
	log.Info("stopped", "err", err)
	return err
}

// loadSecret reads a secret of at least 32 bytes (the login pepper, the
// response key's seed), making a random one on first start. Keep the
// pepper apart from the database: with both, an attacker can test
// passphrase guesses against login verifiers too.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = make([]byte, 32)
		rand.Read(b)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) < 32 {
		return nil, errors.New(path + " is shorter than 32 bytes")
	}
	return b, nil
}
