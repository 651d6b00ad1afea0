// Command benchcmp runs every side-by-side comparison of sealkit with age,
// Tink and the bare standard-library primitives in one process, and prints
// a markdown table and one line per comparison, "ratio <name> <value>",
// where above 1 means sealkit is faster. See BENCHMARKS.md at the
// repository root.
//
//	cd bench
//	go run . -quick                  # CI: under two minutes on two cores
//	go run . -out results/full.txt   # BENCHMARKS.md: adds 1 GiB, more rounds
//	go run ./plot -in results/full.txt -out results/throughput.png
//	go run . -run stream -cpuprofile cpu.out   # profile one comparison
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/pprof"
	"strings"

	"github.com/sealkit/sealkit/bench/bench"
)

func main() {
	quick := flag.Bool("quick", false, "quick mode: fewer, shorter rounds and no 1 GiB payloads")
	tiny := flag.Bool("tiny", false, "one tiny round of everything (a smoke test, not a measurement)")
	out := flag.String("out", "", "also write the report to this file")
	run := flag.String("run", "", "only comparisons and probes whose name matches this regexp")
	strict := flag.Bool("strict", false, "exit with status 2 when a target is missed")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the run to this file")
	flag.Parse()

	cfg := bench.Config{Mode: bench.Full}
	switch {
	case *tiny:
		cfg.Mode = bench.Tiny
	case *quick:
		cfg.Mode = bench.Quick
	}
	opts := bench.Options{Config: cfg, Progress: os.Stderr}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fatal(err)
		}
		opts.Match = re.MatchString
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
		defer f.Close()
	}
	rep, err := bench.Run(opts)
	pprof.StopCPUProfile()
	if err != nil {
		fatal(err)
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fatal(err)
		}
		f.Close()
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		w = io.MultiWriter(os.Stdout, f)
	}
	if err := rep.Write(w); err != nil {
		fatal(err)
	}
	if missed := rep.Missed(); *strict && len(missed) > 0 {
		fmt.Fprintf(os.Stderr, "benchcmp: targets missed: %s\n", strings.Join(missed, ", "))
		os.Exit(2)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchcmp:", err)
	os.Exit(1)
}
