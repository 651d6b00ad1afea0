// Command vaultclient is the command-line client of the reference vault
// server (examples/vaultserver). Run it without arguments for usage.
//
//	go run ./examples/vaultclient -state /tmp/alice register -url https://127.0.0.1:8443 -user alice -ca vault-cert.pem
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/sealkit/sealkit/examples/vaultclient/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
