// Command loadtest runs a bounded load test of the vault server: a fixed
// number of clients on loopback upload, share and download for a fixed time,
// then it prints requests/s and latency percentiles and exits non-zero if a
// request failed or a download's SHA-256 differed from its upload's.
//
//	go run ./examples/loadtest -clients 8 -duration 5s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/sealkit/sealkit/examples/loadtest/load"
)

func main() {
	var o load.Options
	flag.IntVar(&o.Clients, "clients", 8, fmt.Sprintf("concurrent clients (at most %d)", load.MaxClients))
	flag.DurationVar(&o.Duration, "duration", 5e9, "how long to run (at most "+load.MaxDuration.String()+")")
	flag.IntVar(&o.FileSize, "size", 64<<10, "bytes per file")
	flag.StringVar(&o.URL, "url", "", "a vault server on loopback (plain HTTP); default: one in process")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := load.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	fmt.Println(rep)
	if rep.Failed != 0 || rep.Mismatches != 0 || rep.OpErrors != 0 {
		fmt.Fprintln(os.Stderr, "loadtest: FAILED:", rep.FirstError)
		os.Exit(1)
	}
}
