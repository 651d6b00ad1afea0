// Command quickstart walks through sealkit's flows, printing each step in
// plain language: envelope encryption; then, on an embedded SQLite vault
// served over HTTPS with signed requests, registration, upload, sharing,
// revocation, public password links, connections with encryption spaces,
// the audit trail and a refused replay; then storage-authorisation slots.
// Run it from the repository root:
//
//	go run ./examples/quickstart
//
// It writes only to a temporary directory, which it removes.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/sealkit/sealkit/backend/sqlite"
)

func main() {
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "sealkit-quickstart-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := run(os.Stdout, dir); err != nil {
		log.Fatalf("quickstart failed: %v", err)
	}
}

// step prints a numbered step.
type steps struct {
	w io.Writer
	n int
}

func (s *steps) say(format string, args ...any) {
	s.n++
	fmt.Fprintf(s.w, "%2d. "+format+"\n", append([]any{s.n}, args...)...)
}

func (s *steps) detail(format string, args ...any) {
	fmt.Fprintf(s.w, "    "+format+"\n", args...)
}

func (s *steps) section(title string) {
	fmt.Fprintf(s.w, "\n== %s\n", title)
}

// run walks through every flow against an embedded SQLite database in dir.
func run(out io.Writer, dir string) error {
	ctx := context.Background()
	s := &steps{w: out}
	fmt.Fprintln(out, "sealkit quickstart: every flow, step by step")
	if err := envelopeFlows(s, dir); err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "vault.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := vaultFlows(ctx, s, db); err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	if err := slotFlows(ctx, s, db); err != nil {
		return fmt.Errorf("storage authorisation: %w", err)
	}
	fmt.Fprintln(out, "\ndone: every step checked.")
	return nil
}
